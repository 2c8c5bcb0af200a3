"""Pages of the reporting app (dashboards, report runs)."""

from django.urls import path  # noqa: F401

app_name = "reporting"
urlpatterns: list = []

"""Pages of the reporting app (dashboards, report runs)."""

from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/projet/<int:pk>/", views.project_dashboard, name="project_dashboard"),
]

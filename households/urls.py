"""Household screens. Each views module lists its own routes; they are joined here."""

from django.urls import path

from .views import export

app_name = "households"

urlpatterns = [
    path("menages/<int:pk>/droit-d-acces/", export.right_of_access_export, name="right-of-access"),
]

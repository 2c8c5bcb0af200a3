"""Project screens."""

from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("projets/", views.project_list, name="list"),
    path("projets/<int:pk>/", views.project_detail, name="detail"),
]

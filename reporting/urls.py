"""Pages of the reporting app (dashboards, report runs)."""

from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("tableau-de-bord/", views.dashboard, name="dashboard"),
    path("tableau-de-bord/projet/<int:pk>/", views.project_dashboard, name="project_dashboard"),
    path("rapports/", views.runs, name="runs"),
    path("rapports/nouveau/", views.run_new, name="run_new"),
    path("rapports/<int:pk>/", views.run_detail, name="run"),
    path("rapports/<int:pk>/etat/", views.run_status, name="run_status"),
    path("rapports/<int:pk>/fichier/", views.run_file, name="run_file"),
    path("rapports/<int:pk>/relancer/", views.run_relaunch, name="run_relaunch"),
]

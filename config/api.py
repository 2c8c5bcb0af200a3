"""The REST API v1 (/api/v1/): one router; each app lists its own routes in ``<app>/api/routes.py``."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from households.api import routes as households_routes
from housing.api import routes as housing_routes
from partners.api import routes as partners_routes
from projects.api import routes as projects_routes
from reporting.api import routes as reporting_routes

APPS = [partners_routes, projects_routes, housing_routes, households_routes, reporting_routes]

router = DefaultRouter()
for app in APPS:
    for prefix, viewset, basename in app.VIEWSETS:
        router.register(prefix, viewset, basename=basename)

app_name = "api"
urlpatterns = [
    *(path(route, view, name=name) for app in APPS for route, view, name in app.VIEWS),
    *router.urls,
]

"""The REST API v1 (/api/v1/): one router, each app's viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from households.api.views import (
    BulkContactsView,
    ContactViewSet,
    HouseholdViewSet,
    PersonViewSet,
    RemovalsView,
    SupportMeasureViewSet,
)
from projects.api.views import ProjectViewSet

router = DefaultRouter()
router.register("households", HouseholdViewSet, basename="household")
router.register("people", PersonViewSet, basename="person")
router.register("support-measures", SupportMeasureViewSet, basename="supportmeasure")
router.register("contacts", ContactViewSet, basename="contact")
router.register("projects", ProjectViewSet, basename="project")

app_name = "api"
urlpatterns = [
    path("contacts/bulk/", BulkContactsView.as_view(), name="contact-bulk"),
    path("removals/", RemovalsView.as_view(), name="removals"),
    *router.urls,
]

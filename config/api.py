"""The REST API v1 (/api/v1/): one router, each app's viewsets."""

from django.urls import path
from rest_framework.routers import DefaultRouter

from households.api.views import (
    BulkContactsView,
    ConsentViewSet,
    ContactViewSet,
    HouseholdViewSet,
    PersonViewSet,
    ReferralViewSet,
    RemovalsView,
    SupportGoalViewSet,
    SupportMeasureViewSet,
)
from housing.api.views import EvictionCaseViewSet, EvictionStepViewSet, LeaseViewSet
from projects.api.views import ProjectViewSet

router = DefaultRouter()
router.register("households", HouseholdViewSet, basename="household")
router.register("people", PersonViewSet, basename="person")
router.register("support-measures", SupportMeasureViewSet, basename="supportmeasure")
router.register("contacts", ContactViewSet, basename="contact")
router.register("projects", ProjectViewSet, basename="project")
router.register("referrals", ReferralViewSet, basename="referral")
router.register("consents", ConsentViewSet, basename="consent")
router.register("goals", SupportGoalViewSet, basename="supportgoal")
router.register("leases", LeaseViewSet, basename="lease")
router.register("eviction-cases", EvictionCaseViewSet, basename="evictioncase")
router.register("eviction-steps", EvictionStepViewSet, basename="evictionstep")

app_name = "api"
urlpatterns = [
    path("contacts/bulk/", BulkContactsView.as_view(), name="contact-bulk"),
    path("removals/", RemovalsView.as_view(), name="removals"),
    *router.urls,
]

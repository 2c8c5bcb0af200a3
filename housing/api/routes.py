"""Routes of the tenancy resources (registered by config/api.py)."""

from . import views

VIEWSETS = [
    ("leases", views.LeaseViewSet, "lease"),
    ("eviction-cases", views.EvictionCaseViewSet, "evictioncase"),
    ("eviction-steps", views.EvictionStepViewSet, "evictionstep"),
]
VIEWS: list = []

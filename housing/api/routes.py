"""Routes of the tenancy resources (registered by config/api.py)."""

from . import views

VIEWSETS = [
    ("housing-units", views.HousingUnitViewSet, "housingunit"),
    ("leases", views.LeaseViewSet, "lease"),
    ("attribution-steps", views.AttributionStepViewSet, "attributionstep"),
    ("eviction-cases", views.EvictionCaseViewSet, "evictioncase"),
    ("eviction-steps", views.EvictionStepViewSet, "evictionstep"),
]
VIEWS: list = []

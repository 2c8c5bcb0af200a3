"""Routes of the partners resources (registered by config/api.py)."""

from . import views

VIEWSETS = [
    ("organisations", views.OrganisationViewSet, "organisation"),
]
VIEWS: list = []

"""Routes of the project resources (registered by config/api.py)."""

from . import views

VIEWSETS = [
    ("projects", views.ProjectViewSet, "project"),
]
VIEWS: list = []

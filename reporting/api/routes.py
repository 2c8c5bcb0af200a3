"""Routes of the reporting resources (registered by config/api.py)."""

from . import views

VIEWSETS = [
    ("report-runs", views.ReportRunViewSet, "report-run"),
]
VIEWS: list = []

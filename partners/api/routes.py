"""Routes of the partners resources (registered by config/api.py)."""

VIEWSETS: list = []
VIEWS: list = []

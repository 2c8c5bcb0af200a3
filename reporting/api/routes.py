"""Routes of the reporting resources (registered by config/api.py)."""

VIEWSETS: list = []
VIEWS: list = []

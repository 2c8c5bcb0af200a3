"""Household views, one module per screen family; ``households/urls.py`` joins their routes."""

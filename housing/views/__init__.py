"""Housing views: one module per screen family; ``housing/urls.py`` joins their routes."""

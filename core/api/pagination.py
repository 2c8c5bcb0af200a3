"""Cursor pagination on ``(updated_at, id)``: stable under inserts, the order of incremental sync."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class SyncCursorPagination(CursorPagination):
    """Pages of rows in ``(updated_at, id)`` order; follow ``next`` until it is null.

    The cursor is opaque; together with ``updated_since``
    (:mod:`core.api.sync`) it gives a client every row changed since its
    last sync, each at least once.
    """

    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

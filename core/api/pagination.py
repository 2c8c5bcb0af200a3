"""Cursor pagination on ``(updated_at, id)``: stable under inserts, the order of incremental sync."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.pagination import CursorPagination

INVALID_CURSOR = _("Curseur de pagination invalide : suivez tel quel le lien next ou previous reçu.")


class SyncCursorPagination(CursorPagination):
    """Pages of rows in ``(updated_at, id)`` order; follow ``next`` until it is null.

    The cursor is opaque; together with ``updated_since``
    (:mod:`core.api.sync`) it gives a client every row changed since its
    last sync, each at least once. A cursor that is not one this API gave
    (garbled, or its position not a value of the ordering field) is the
    caller's error: 400 naming ``cursor`` (REST framework's default is a
    404, which would say that the list does not exist).
    """

    ordering = ("updated_at", "id")
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    invalid_cursor_message = INVALID_CURSOR

    def _invalid(self) -> ValidationError:
        return ValidationError({self.cursor_query_param: [INVALID_CURSOR]})

    def decode_cursor(self, request):
        try:
            cursor = super().decode_cursor(request)
        except NotFound:
            raise self._invalid() from None
        if cursor is not None and cursor.position is not None and "\x00" in cursor.position:
            raise self._invalid()
        return cursor

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.cursor_query_param) is None:
            return super().paginate_queryset(queryset, request, view)
        try:
            return super().paginate_queryset(queryset, request, view)
        except (DjangoValidationError, ValueError, TypeError, OverflowError):
            # The position of a forged cursor does not fit the ordering field ("abc" for an id, a date).
            raise self._invalid() from None

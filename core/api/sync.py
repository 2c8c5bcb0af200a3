"""Incremental sync: ``?updated_since=<ISO 8601 datetime>`` on every list.

``updated_at`` is set by the application when a transaction *starts*
writing, not when it commits: a row written by a slow transaction may
become visible after a client has already read rows with a later
``updated_at``. So the filter goes back :data:`OVERLAP` before the time
given: rows changed up to five minutes before ``updated_since`` are sent
again (the client keeps the latest ``version`` of each ``id``), and a row
that committed late within that window is not missed. Write transactions
are far shorter than the window (statement and request timeouts).

How a client syncs: remember the largest ``updated_at`` of the rows
received, then ask ``?updated_since=<that value>`` and follow ``next``
until it is null. Rows that must be dropped (deleted, anonymised, no
longer shared) come from ``/api/v1/removals/?since=``.
"""

from __future__ import annotations

import datetime

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.filters import BaseFilterBackend

OVERLAP = datetime.timedelta(minutes=5)
PARAM = "updated_since"


#: Any moment before this one asks for every row (and leaves room for the overlap).
FLOOR = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)


def parse_since(value: str, name: str = PARAM) -> datetime.datetime:
    """The moment of ``?updated_since=`` (or ``name``), in UTC; a 400 naming ``name`` if it is not one.

    PostgreSQL accepts UTC offsets up to ±15:59 only, while ISO 8601 and
    Python allow more: the moment is converted to UTC here so that any
    parsable value is a valid query (never a database error). A moment
    before 1970 is read as 1970 (no row is older), so that subtracting
    :data:`OVERLAP` cannot leave Python's range.
    """
    try:
        moment = parse_datetime(value.strip())
    except ValueError:
        moment = None
    if moment is not None:
        try:
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment)
            moment = moment.astimezone(datetime.timezone.utc)
        except (OverflowError, ValueError):
            moment = None
    if moment is None:
        raise exceptions.ValidationError({name: [_("Date et heure ISO 8601 attendues (ex. 2026-01-31T08:00:00Z).")]})
    return max(moment, FLOOR)


class UpdatedSinceFilter(BaseFilterBackend):
    def filter_queryset(self, request, queryset, view):
        value = request.query_params.get(PARAM)
        if not value:
            return queryset
        return queryset.filter(updated_at__gte=parse_since(value) - OVERLAP)

    def get_schema_operation_parameters(self, view):
        return [
            {
                "name": PARAM,
                "required": False,
                "in": "query",
                "description": _(
                    "Lignes modifiées depuis cette date (ISO 8601), avec un recouvrement de 5 minutes : "
                    "une ligne validée en retard n'est pas manquée ; dédoublonnez sur id."
                ),
                "schema": {"type": "string", "format": "date-time"},
            }
        ]

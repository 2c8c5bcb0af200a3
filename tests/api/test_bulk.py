"""POST /api/v1/contacts/bulk/: 1 000 rows, all or nothing, per-row errors, idempotent on client_uuid."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone

from core.models import AuditLog
from households.models import Contact
from tests.api.conftest import assert_error_shape

pytestmark = pytest.mark.django_db

URL = "/api/v1/contacts/bulk/"


def rows_for(household, n: int) -> list[dict]:
    start = max(household.measures.get().identified_on, timezone.localdate() - datetime.timedelta(days=300))
    return [
        {"client_uuid": str(uuid.uuid4()), "household": household.pk, "kind": "phone",
         "occurred_on": (start + datetime.timedelta(days=i % 200)).isoformat(), "duration_minutes": 10}
        for i in range(n)
    ]


def test_a_thousand_rows_are_stored_and_sending_them_again_creates_nothing(world, api_as):
    household = world["a"]["household"]
    client = api_as("a", "caseworker")
    before = Contact.objects.count()
    payload = {"contacts": rows_for(household, 1000)}
    response = client.post(URL, payload, format="json")
    assert response.status_code == 201, response.content[:500]
    body = response.json()
    assert (body["created"], body["existing"]) == (1000, 0)
    assert Contact.objects.count() == before + 1000
    assert AuditLog.objects.filter(action="create", model_label="households.Contact").count() >= 1000
    again = client.post(URL, payload, format="json")
    assert again.status_code == 200 and (again.json()["created"], again.json()["existing"]) == (0, 1000)
    assert Contact.objects.count() == before + 1000


def test_one_bad_row_refuses_the_whole_batch_naming_its_index(world, api_as):
    household = world["a"]["household"]
    client = api_as("a", "caseworker")
    rows = rows_for(household, 5)
    rows[3]["occurred_on"] = (timezone.localdate() + datetime.timedelta(days=3)).isoformat()  # in the future
    rows[4]["kind"] = "telepathy"
    before = Contact.objects.count()
    body = assert_error_shape(client.post(URL, {"contacts": rows}, format="json"), 400, "invalid")
    assert set(body["errors"]) == {"3", "4"}
    assert "occurred_on" in body["errors"]["3"] and "kind" in body["errors"]["4"]
    assert Contact.objects.count() == before


def test_rows_about_households_one_cannot_see_are_errors_and_nothing_is_written(world, api_as):
    client = api_as("a", "caseworker")
    rows = rows_for(world["a"]["household"], 2)
    rows[1]["household"] = world["b"]["household"].pk
    before = Contact.objects.count()
    body = assert_error_shape(client.post(URL, {"contacts": rows}, format="json"), 400, "invalid")
    assert body["errors"] == {"1": {"household": ["Ménage introuvable."]}}
    assert Contact.objects.count() == before


def test_more_than_a_thousand_rows_is_a_400(world, api_as):
    rows = rows_for(world["a"]["household"], 1001)
    assert_error_shape(api_as("a", "caseworker").post(URL, {"contacts": rows}, format="json"), 400, "invalid")


def test_a_row_costs_a_bounded_number_of_queries(world, api_as):
    """Per row: the repeated-draft lookup, the measure, two savepoints, the insert, the audit row…

    The household's audiences are computed once per request, not once per
    row (logging a contact changes nobody's relation to the household).
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    household = world["a"]["household"]
    client = api_as("a", "caseworker")
    client.get("/api/v1/households/")  # token last-used stamp
    counts = []
    for n in (10, 20):
        with CaptureQueriesContext(connection) as queries:
            assert client.post(URL, {"contacts": rows_for(household, n)}, format="json").status_code == 201
        counts.append(len(queries))
    assert counts[1] - counts[0] <= 10 * 10, counts

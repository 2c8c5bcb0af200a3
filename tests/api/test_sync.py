"""Cursor pagination, incremental sync with an overlap window, the removals feed, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from config.api import router
from households.models import Consent, Household
from households.retention import anonymise
from tests import factories as f
from tests.api.conftest import assert_error_shape, client_for

pytestmark = pytest.mark.django_db


def every_page(client, url, params=None) -> list[dict]:
    rows, response = [], client.get(url, params or {})
    while True:
        assert response.status_code == 200, response.content
        body = response.json()
        rows += body["results"]
        if not body["next"]:
            return rows
        response = client.get(body["next"])


def households_of(association, n: int) -> list[Household]:
    return [f.HouseholdFactory(organisation=association) for _ in range(n)]


def test_cursor_pages_give_every_row_once(world, api_as):
    households_of(world["a"]["association"], 7)
    client = api_as("a", "caseworker")
    rows = every_page(client, "/api/v1/households/", {"page_size": 3})
    expected = set(Household.objects.filter(organisation=world["a"]["association"]).values_list("pk", flat=True))
    assert len(rows) == len(expected) == 8 and {row["id"] for row in rows} == expected
    stamps = [(row["updated_at"], row["id"]) for row in rows]
    assert stamps == sorted(stamps)


def test_incremental_sync_misses_no_row_that_committed_late_within_the_window(world, api_as):
    association = world["a"]["association"]
    client = api_as("a", "caseworker")
    t0 = timezone.now() - datetime.timedelta(hours=1)
    early, late_writer, later = households_of(association, 3)
    Household.objects.filter(pk=early.pk).update(updated_at=t0 - datetime.timedelta(minutes=10))
    Household.objects.filter(pk=later.pk).update(updated_at=t0 + datetime.timedelta(seconds=10))
    # late_writer's transaction started at t0 + 5 s but has not committed when the client syncs.
    Household.objects.filter(pk=late_writer.pk).update(updated_at=t0 - datetime.timedelta(days=30))
    mine = {early.pk, late_writer.pk, later.pk}
    first = every_page(client, "/api/v1/households/", {"updated_since": (t0 - datetime.timedelta(minutes=20)).isoformat()})
    assert {row["id"] for row in first} & mine == {early.pk, later.pk}
    first = [row for row in first if row["id"] in mine]
    high_water = max(row["updated_at"] for row in first)
    # Now it commits, with the updated_at its transaction set when it started.
    Household.objects.filter(pk=late_writer.pk).update(updated_at=t0 + datetime.timedelta(seconds=5), display_name="Ménage tardif")
    second = every_page(client, "/api/v1/households/", {"updated_since": high_water})
    assert late_writer.pk in {row["id"] for row in second}  # within the 5-minute overlap: not missed
    # Rows older than the window (10 min before the high-water mark) are not sent again.
    assert early.pk not in {row["id"] for row in second}


def test_updated_since_must_be_a_datetime(world, api_as):
    body = assert_error_shape(api_as("a", "caseworker").get("/api/v1/contacts/", {"updated_since": "hier"}), 400, "invalid")
    assert "updated_since" in body["errors"]


def test_removals_list_anonymised_households_and_withdrawn_consents(world, api_as):
    since = (timezone.now() - datetime.timedelta(minutes=1)).isoformat()
    household = world["a"]["household"]
    caseworker, adviser = api_as("a", "caseworker"), api_as("a", "adviser")
    assert caseworker.get("/api/v1/removals/", {"since": since}).json()["results"] == []
    Consent.objects.filter(household=household, partner=world["a"]["landlord"]).update(withdrawn_on=timezone.localdate())
    withdrawn = adviser.get("/api/v1/removals/", {"since": since}).json()["results"]
    assert [(r["model"], r["id"], r["reason"]) for r in withdrawn] == [("households.Household", household.pk, "consent_withdrawn")]
    Household.objects.filter(pk=household.pk).update(archived_at=timezone.now())
    household.refresh_from_db()
    anonymise(household, now=timezone.now())
    entries = caseworker.get("/api/v1/removals/", {"since": since}).json()["results"]
    assert ("households.Household", household.pk, "anonymised") in {(r["model"], r["id"], r["reason"]) for r in entries}
    # Pair B knows nothing of it.
    assert api_as("b", "caseworker").get("/api/v1/removals/", {"since": since}).json()["results"] == []
    assert_error_shape(caseworker.get("/api/v1/removals/"), 400, "invalid")


# Queries of one token-authenticated list request, whatever the page size.
# The token lookup joins its membership, user and organisation (1 query;
# last_used_at is written at most every 5 minutes, here by the warm-up
# request). The scoping of core.access is subqueries inside the page's one
# SELECT. Cursor pagination needs no COUNT.
#: Queries of one page of every list of the router: the token, then the page
#: (select_related / annotations in the same query). A third for the lists
#: that prefetch: contacts (their goals), goals (their reviews), committee
#: meetings (their participants). Removals: token, anonymised/archived
#: households, audit deletions, withdrawn consents.
PREFETCHING = {"contacts": 3, "goals": 3, "committee-meetings": 3}
LIST_QUERIES = {
    **{f"/api/v1/{prefix}/": PREFETCHING.get(prefix, 2) for prefix, _viewset, _basename in router.registry},
    "/api/v1/removals/?since=2020-01-01T00:00:00Z": 4,
}


#: Lists with no row for the association's team lead in this world (the query count is still pinned).
EMPTY_FOR_THE_LEAD = {"removals"}


def test_every_list_of_the_router_has_its_query_count_pinned():
    assert len(LIST_QUERIES) == len(router.registry) + 1


@pytest.mark.parametrize("url", list(LIST_QUERIES))
def test_list_query_counts_are_pinned_and_do_not_grow_with_the_page(world, url):
    pair = world["a"]
    for _ in range(6):
        household = f.HouseholdFactory(organisation=pair["association"], project=pair["project"])
        measure = f.SupportMeasureFactory(household=household, project=pair["project"], organisation=pair["association"])
        f.PersonFactory(household=household)
        contact = f.ContactFactory(measure=measure)
        contact.goals.add(f.SupportGoalFactory(measure=measure))
        f.ProjectCarrierFactory(project=f.ProjectFactory(lead_landlord=pair["landlord"]), organisation=pair["association"], role="partner")
    client = client_for(pair["people"]["lead"])
    client.get(url)  # first use of the token writes last_used_at
    counts = []
    for size in (2, 6):
        separator = "&" if "?" in url else "?"
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"{url}{separator}page_size={size}")
        assert response.status_code == 200, response.content
        counts.append(len(queries))
    assert response.json()["results"] or url.split("/")[3] in EMPTY_FOR_THE_LEAD, url
    assert counts == [LIST_QUERIES[url]] * 2, (url, counts)


@pytest.mark.django_db(transaction=True)
def test_a_row_committed_after_a_later_one_is_not_missed(world):
    """Two real transactions on two connections commit out of order; the client misses neither row.

    The slow writer stamps ``updated_at`` when it writes, then holds its
    transaction open; meanwhile a fast writer commits a row with a later
    ``updated_at`` and the client syncs and sees only that one. When the slow
    writer commits, the next ``updated_since`` (the latest ``updated_at`` the
    client saw) still brings its row, thanks to the overlap window.
    """
    import threading

    from django.db import connection, transaction

    association = world["a"]["association"]
    client = client_for(world["a"]["people"]["caseworker"])
    written, release, done = threading.Event(), threading.Event(), threading.Event()
    slow = {}

    def slow_writer():
        try:
            with transaction.atomic():
                slow["household"] = f.HouseholdFactory(organisation=association, display_name="Ménage lent")
                written.set()
                release.wait(10)
        finally:
            connection.close()
            done.set()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert written.wait(10)
    fast = f.HouseholdFactory(organisation=association, display_name="Ménage rapide")  # autocommit: visible at once
    assert fast.updated_at > slow["household"].updated_at
    first = every_page(client, "/api/v1/households/")
    assert fast.pk in {row["id"] for row in first} and slow["household"].pk not in {row["id"] for row in first}
    high_water = max(row["updated_at"] for row in first)
    release.set()
    assert done.wait(10)
    thread.join(10)
    second = every_page(client, "/api/v1/households/", {"updated_since": high_water})
    assert slow["household"].pk in {row["id"] for row in second}

"""Households, people, measures, contacts, projects: same visibility as the web, field policy, If-Match."""

from __future__ import annotations

import uuid

import pytest

from core.models import AuditLog
from households.models import Contact, Household, Person
from tests.api.conftest import assert_error_shape

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_lists_show_only_what_the_web_shows(world, api_as):
    a, b = world["a"], world["b"]
    client = api_as("a", "caseworker")
    assert ids(client.get("/api/v1/households/")) == {a["household"].pk}
    assert ids(client.get("/api/v1/contacts/")) == {a["contact"].pk}
    assert ids(client.get("/api/v1/support-measures/")) == {a["measure"].pk}
    assert ids(client.get("/api/v1/people/")) == {a["person"].pk}
    assert a["project"].pk in ids(client.get("/api/v1/projects/"))
    assert b["project"].pk not in ids(client.get("/api/v1/projects/"))
    # National staff: no household row at all, projects yes.
    from tests.api.conftest import client_for

    national = client_for(world["national"])
    assert ids(national.get("/api/v1/households/")) == set()
    assert {a["project"].pk, b["project"].pk} <= ids(national.get("/api/v1/projects/"))


@pytest.mark.parametrize("resource", ["households", "contacts", "support-measures", "people"])
def test_another_organisations_object_is_a_404_without_a_hint(world, api_as, resource):
    key = {"households": "household", "contacts": "contact", "support-measures": "measure", "people": "person"}[resource]
    theirs = world["b"][key]
    client = api_as("a", "caseworker")
    missing = assert_error_shape(client.get(f"/api/v1/{resource}/999999999/"), 404, "not_found")
    hidden = assert_error_shape(client.get(f"/api/v1/{resource}/{theirs.pk}/"), 404, "not_found")
    assert missing == hidden  # the same answer whether it exists or not
    assert AuditLog.objects.filter(action="refused", object_id=str(theirs.pk), reason="not_visible").exists()


def test_the_landlord_adviser_does_not_get_the_contact_note(world, api_as):
    contact = world["a"]["contact"]
    adviser = api_as("a", "adviser").get(f"/api/v1/contacts/{contact.pk}/")
    assert adviser.status_code == 200
    assert "note" not in adviser.json() and adviser.json()["kind"] == contact.kind
    caseworker = api_as("a", "caseworker").get(f"/api/v1/contacts/{contact.pk}/")
    assert caseworker.json()["note"] == "SECRET-note"
    # Household notes likewise: the team reads them, the adviser does not.
    household = world["a"]["household"]
    assert "health_notes" not in api_as("a", "adviser").get(f"/api/v1/households/{household.pk}/").json()
    assert "domestic_violence" not in api_as("a", "colleague").get(f"/api/v1/households/{household.pk}/").json()
    assert api_as("a", "caseworker").get(f"/api/v1/households/{household.pk}/").json()["health_notes"] == "SECRET-sante"
    # Each opening of the file is audited, as on the web.
    opened = AuditLog.objects.filter(action="view", model_label="households.Household", object_id=str(household.pk))
    assert {row.membership_id for row in opened} >= {world["a"]["people"]["caseworker"].pk, world["a"]["people"]["adviser"].pk}
    # Lists never carry notes.
    assert all("note" not in row for row in api_as("a", "caseworker").get("/api/v1/contacts/").json()["results"])


def test_writing_a_field_one_may_not_write_is_a_400_naming_it(world, api_as):
    household = world["a"]["household"]
    url = f"/api/v1/households/{household.pk}/"
    colleague = api_as("a", "colleague")  # same association, not on the household's team
    response = colleague.patch(url, {"display_name": "Ménage Nouveau", "health_notes": "x"}, format="json", HTTP_IF_MATCH='"1"')
    body = assert_error_shape(response, 400, "field_not_writable")
    assert list(body["errors"]) == ["health_notes"]
    household.refresh_from_db()
    assert household.display_name != "Ménage Nouveau" and household.health_notes == "SECRET-sante"
    # The flag that goes with the violence notes, likewise.
    response = colleague.patch(url, {"domestic_violence": False}, format="json", HTTP_IF_MATCH='"1"')
    assert list(assert_error_shape(response, 400, "field_not_writable")["errors"]) == ["domestic_violence"]
    # A field that is not part of the resource, or read-only: named too.
    response = colleague.patch(url, {"organisation": 1, "nickname": "x"}, format="json", HTTP_IF_MATCH='"1"')
    assert set(assert_error_shape(response, 400, "invalid")["errors"]) == {"organisation", "nickname"}


def test_a_visible_object_with_a_forbidden_action_is_a_403(world, api_as):
    household = world["a"]["household"]
    response = api_as("a", "adviser").patch(
        f"/api/v1/households/{household.pk}/", {"display_name": "X"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert_error_shape(response, 403, "permission_denied")


def test_updates_need_if_match_and_refuse_a_stale_one(world, api_as):
    household = world["a"]["household"]
    url = f"/api/v1/households/{household.pk}/"
    client = api_as("a", "caseworker")
    read = client.get(url)
    etag = read["ETag"]
    assert etag == f'"{household.version}"'
    assert_error_shape(client.patch(url, {"display_name": "Ménage Dupont"}, format="json"), 428, "precondition_required")
    assert_error_shape(client.patch(url, {"display_name": "Ménage Dupont"}, format="json", HTTP_IF_MATCH='"999"'), 412,
                       "precondition_failed")
    response = client.patch(url, {"display_name": "Ménage Dupont", "health_notes": "nouvelle note"}, format="json",
                            HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response["ETag"] == f'"{household.version + 1}"'
    household.refresh_from_db()
    assert (household.display_name, household.health_notes) == ("Ménage Dupont", "nouvelle note")
    row = AuditLog.objects.get(action="update", model_label="households.Household", object_id=str(household.pk))
    assert sorted(row.fields) == ["display_name", "health_notes"]
    # The first ETag is stale now: a second writer is told so, nothing overwritten.
    assert_error_shape(client.patch(url, {"display_name": "Autre"}, format="json", HTTP_IF_MATCH=etag), 412)
    household.refresh_from_db()
    assert household.display_name == "Ménage Dupont"


def test_people_are_added_through_the_service(world, api_as):
    household = world["a"]["household"]
    client = api_as("a", "caseworker")
    response = client.post("/api/v1/people/", {"household": household.pk, "role": "child", "first_name": "Léa",
                                               "last_name": "Martin", "birth_date": "2015-03-02"}, format="json")
    assert response.status_code == 201, response.content
    person = Person.objects.get(pk=response.json()["id"])
    assert person.household == household and response["ETag"] == '"1"'
    assert AuditLog.objects.filter(action="create", model_label="households.Person", object_id=str(person.pk)).exists()
    # Another organisation's household reads as a missing one.
    theirs = world["b"]["household"]
    response = client.post("/api/v1/people/", {"household": theirs.pk, "role": "child", "first_name": "A", "last_name": "B"}, format="json")
    assert "household" in assert_error_shape(response, 400, "invalid")["errors"]
    assert not Person.objects.filter(household=theirs, first_name="A").exists()
    # A birth date in the future: the service's French message.
    response = client.post("/api/v1/people/", {"household": household.pk, "role": "child", "first_name": "A",
                                               "last_name": "B", "birth_date": "2999-01-01"}, format="json")
    assert "futur" in assert_error_shape(response, 400, "invalid")["errors"]["birth_date"][0]


def test_a_contact_is_logged_once_per_client_uuid(world, api_as):
    household = world["a"]["household"]
    client = api_as("a", "caseworker")
    payload = {"client_uuid": str(uuid.uuid4()), "household": household.pk, "kind": "home_visit",
               "occurred_on": household.measures.get().identified_on.isoformat(), "duration_minutes": 45, "note": "Visite"}
    first = client.post("/api/v1/contacts/", payload, format="json")
    assert first.status_code == 201, first.content
    again = client.post("/api/v1/contacts/", payload, format="json")
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    assert Contact.objects.filter(client_uuid=payload["client_uuid"]).count() == 1
    # The landlord adviser may not log a contact on the association's measure.
    response = api_as("a", "adviser").post("/api/v1/contacts/", {**payload, "client_uuid": str(uuid.uuid4())}, format="json")
    assert_error_shape(response, 403)


def test_filters_of_the_web_list_apply(world, api_as):
    household = world["a"]["household"]
    client = api_as("a", "caseworker")
    assert ids(client.get("/api/v1/households/", {"q": household.display_name})) == {household.pk}
    assert ids(client.get("/api/v1/households/", {"q": "zzzz-personne"})) == set()
    assert_error_shape(client.get("/api/v1/households/", {"not_seen_for": "abc"}), 400, "invalid")


def test_households_cannot_be_created_or_deleted_through_the_api(world, api_as):
    client = api_as("a", "caseworker")
    assert_error_shape(client.post("/api/v1/households/", {}, format="json"), 400)  # created by household_open: see test_household_writes
    household = world["a"]["household"]
    assert_error_shape(client.delete(f"/api/v1/households/{household.pk}/", HTTP_IF_MATCH='"1"'), 405)
    assert Household.objects.filter(pk=household.pk).exists()


def test_the_session_acts_for_the_chosen_membership(client, world):
    from tests.test_route_matrix import login_as

    login_as(client, world["b"]["people"]["caseworker"])
    response = client.get("/api/v1/households/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    assert ids(response) == {world["b"]["household"].pk}
    # Writes from a session need the CSRF token like any form of the site.
    from rest_framework.test import APIClient

    csrf_client = APIClient(enforce_csrf_checks=True)
    csrf_client.force_login(world["b"]["people"]["caseworker"].user)
    household = world["b"]["household"]
    response = csrf_client.patch(f"/api/v1/households/{household.pk}/", {"display_name": "X"}, format="json", HTTP_IF_MATCH='"1"')
    assert_error_shape(response, 403)

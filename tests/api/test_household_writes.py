"""Writes of the household side of the API: through the services of the web forms, per role.

Household files (create, upsert by file number), referrals (record, decide),
consents (record, withdraw), phase changes, goals and their reviews,
outcomes (situation snapshots), workshops and attendances.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditLog
from households.models import (
    Consent,
    GoalReview,
    GoalStatus,
    Household,
    Phase,
    Referral,
    ReferralDecision,
    SituationSnapshot,
    SupportGoal,
    SupportMeasure,
    TeamMember,
    WorkshopAttendance,
)
from tests import factories as f
from tests.api.conftest import assert_error_shape, client_for

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
LAST_MONTH = TODAY - datetime.timedelta(days=30)


def audited(model_label: str, object_id: int) -> bool:
    return AuditLog.objects.filter(model_label=model_label, object_id=str(object_id)).exists()


# --------------------------------------------------------------------------
# Household files
# --------------------------------------------------------------------------


def new_file(world, **extra) -> dict:
    return {"reference": "ASSO-2026-001", "display_name": "Ménage Test", "project": world["a"]["project"].pk,
            "identified_on": LAST_MONTH.isoformat(), **extra}


def test_a_caseworker_opens_a_file_and_becomes_its_referent(world, api_as):
    caseworker = world["a"]["people"]["caseworker"]
    response = api_as("a", "caseworker").post("/api/v1/households/", new_file(world, nur="abc123456"), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    household = Household.objects.get(pk=body["id"])
    assert (household.organisation, household.reference, household.nur) == (world["a"]["association"], "ASSO-2026-001", "ABC123456")
    measure = SupportMeasure.objects.get(household=household)
    assert (measure.phase, measure.referent, measure.organisation) == (Phase.IDENTIFICATION, caseworker, world["a"]["association"])
    assert TeamMember.objects.filter(measure=measure, membership=caseworker).exists()
    assert audited("households.Household", household.pk) and audited("households.SupportMeasure", measure.pk)
    # The referent reads the notes section of the detail (team): the fields are there.
    assert "health_notes" in body and response["ETag"] == '"1"'


def test_opening_a_file_refuses_bad_input_in_french_and_writes_nothing(world, api_as):
    client = api_as("a", "caseworker")
    before = Household.objects.count()
    # Another pair's project is not one of ours: it reads as missing.
    body = assert_error_shape(client.post("/api/v1/households/", new_file(world, project=world["b"]["project"].pk), format="json"), 400)
    assert "project" in body["errors"]
    future = (TODAY + datetime.timedelta(days=3)).isoformat()
    body = assert_error_shape(client.post("/api/v1/households/", new_file(world, identified_on=future), format="json"), 400)
    assert "futur" in body["errors"]["identified_on"][0]
    body = assert_error_shape(client.post("/api/v1/households/", new_file(world, secret="x"), format="json"), 400)
    assert list(body["errors"]) == ["secret"]
    body = assert_error_shape(client.post("/api/v1/households/", new_file(world, display_name="a\x00b"), format="json"), 400)
    assert "display_name" in body["errors"]
    assert Household.objects.count() == before
    world["a"]["household"].__class__.objects.filter(pk=world["a"]["household"].pk).update(reference="ASSO-2026-001")
    body = assert_error_shape(client.post("/api/v1/households/", new_file(world), format="json"), 400)
    assert "existe déjà" in body["errors"]["reference"][0]


@pytest.mark.parametrize("persona", ["national", "funder"])
def test_aggregate_roles_open_no_file(world, persona):
    response = client_for(world[persona]).post("/api/v1/households/", new_file(world), format="json")
    assert_error_shape(response, 403)


def test_a_read_only_token_writes_nothing(world, api_as):
    assert_error_shape(api_as("a", "caseworker", scope="read").post("/api/v1/households/", new_file(world), format="json"), 403)


def test_upsert_by_file_number_creates_then_updates_with_a_precondition(world, api_as):
    client = api_as("a", "caseworker")
    url = "/api/v1/households/reference/DOSSIER-77/"
    payload = {"display_name": "Ménage Upsert", "project": world["a"]["project"].pk, "identified_on": LAST_MONTH.isoformat()}
    created = client.put(url, payload, format="json")
    assert created.status_code == 201, created.content
    household = Household.objects.get(organisation=world["a"]["association"], reference="DOSSIER-77")
    # Same reference again: an update, which needs the version read.
    assert_error_shape(client.put(url, {"display_name": "Ménage Upsert 2"}, format="json"), 428, "precondition_required")
    assert_error_shape(client.put(url, {"display_name": "X"}, format="json", HTTP_IF_MATCH='"9"'), 412, "precondition_failed")
    updated = client.put(url, {"display_name": "Ménage Upsert 2", "version": 1}, format="json")
    assert updated.status_code == 200, updated.content
    household.refresh_from_db()
    assert (household.display_name, household.version) == ("Ménage Upsert 2", 2)
    assert SupportMeasure.objects.filter(household=household).count() == 1
    # Creation needs the project and the date of identification.
    body = assert_error_shape(client.put("/api/v1/households/reference/DOSSIER-78/", {"display_name": "Y"}, format="json"), 400)
    assert set(body["errors"]) == {"project", "identified_on"}
    # Another organisation's file with the same number is not ours: a new one of ours would be created,
    # never theirs updated.
    Household.objects.filter(pk=world["b"]["household"].pk).update(reference="DOSSIER-79")
    other = client.put("/api/v1/households/reference/DOSSIER-79/", {**payload, "display_name": "Le nôtre"}, format="json")
    assert other.status_code == 201
    assert Household.objects.get(pk=world["b"]["household"].pk).display_name != "Le nôtre"


def test_an_if_match_on_a_missing_file_is_a_412(world, api_as):
    response = api_as("a", "caseworker").put(
        "/api/v1/households/reference/NOPE/", {"display_name": "Z"}, format="json", HTTP_IF_MATCH='"1"')
    assert_error_shape(response, 412)


# --------------------------------------------------------------------------
# Referrals
# --------------------------------------------------------------------------


def test_referral_recorded_then_refused_with_its_reason(world, api_as):
    client = api_as("a", "caseworker")
    household = world["a"]["household"]
    response = client.post("/api/v1/referrals/", {
        "household": household.pk, "source": "siao", "referred_on": LAST_MONTH.isoformat(), "project": world["a"]["project"].pk,
    }, format="json")
    assert response.status_code == 201, response.content
    referral = Referral.objects.get(pk=response.json()["id"])
    assert referral.decision == ReferralDecision.PENDING and audited("households.Referral", referral.pk)
    url = f"/api/v1/referrals/{referral.pk}/decision/"
    body = assert_error_shape(client.post(url, {"decision": "refused", "decided_on": TODAY.isoformat(), "version": 1}, format="json"), 400)
    assert "refusal_reason" in body["errors"]
    assert_error_shape(client.post(url, {"decision": "refused", "decided_on": TODAY.isoformat()}, format="json"), 428)
    decided = client.post(url, {"decision": "refused", "decided_on": TODAY.isoformat(), "refusal_reason": "Hors critères"},
                          format="json", HTTP_IF_MATCH='"1"')
    assert decided.status_code == 200, decided.content
    assert decided.json()["refusal_reason"] == "Hors critères"
    referral.refresh_from_db()
    assert (referral.decision, referral.decided_on) == (ReferralDecision.REFUSED, TODAY)


def test_the_landlord_neither_reads_nor_decides_referrals(world, api_as):
    referral = world["a"]["referral"]
    adviser = api_as("a", "adviser")
    assert_error_shape(adviser.post(f"/api/v1/referrals/{referral.pk}/decision/", {"decision": "accepted"}, format="json"), 404)
    other = api_as("b", "caseworker")
    assert_error_shape(other.post(f"/api/v1/referrals/{referral.pk}/decision/", {}, format="json"), 404)
    body = assert_error_shape(other.post("/api/v1/referrals/", {
        "household": world["a"]["household"].pk, "source": "siao", "referred_on": LAST_MONTH.isoformat()}, format="json"), 400)
    assert list(body["errors"]) == ["household"]


# --------------------------------------------------------------------------
# Consents
# --------------------------------------------------------------------------


def test_consent_recorded_then_withdrawn(world, api_as):
    client = api_as("a", "caseworker")
    response = client.post("/api/v1/consents/", {
        "household": world["a"]["household"].pk, "partner": world["a"]["landlord"].pk, "purpose": "social_details",
        "given_on": LAST_MONTH.isoformat(),
    }, format="json")
    assert response.status_code == 201, response.content
    consent = Consent.objects.get(pk=response.json()["id"])
    assert consent.recorded_by == world["a"]["people"]["caseworker"]
    again = client.post("/api/v1/consents/", {
        "household": world["a"]["household"].pk, "partner": world["a"]["landlord"].pk, "purpose": "social_details",
        "given_on": LAST_MONTH.isoformat(),
    }, format="json")
    assert "déjà en cours" in assert_error_shape(again, 400)["errors"]["partner"][0]
    url = f"/api/v1/consents/{consent.pk}/withdraw/"
    body = assert_error_shape(client.post(url, {"withdrawn_on": (LAST_MONTH - datetime.timedelta(days=5)).isoformat(), "version": 1},
                                          format="json"), 400)
    assert "withdrawn_on" in body["errors"]
    withdrawn = client.post(url, {"withdrawn_on": TODAY.isoformat(), "version": 1}, format="json")
    assert withdrawn.status_code == 200 and withdrawn.json()["withdrawn_on"] == TODAY.isoformat()
    # The landlord, who reads the consents given to it, may not withdraw them.
    assert_error_shape(api_as("a", "adviser").post(url, {"withdrawn_on": TODAY.isoformat(), "version": 2}, format="json"), 403)


# --------------------------------------------------------------------------
# Phases, goals, reviews
# --------------------------------------------------------------------------


def test_phase_change_through_the_service(world, api_as):
    measure = world["a"]["measure"]
    SupportMeasure.objects.filter(pk=measure.pk).update(
        phase=Phase.IDENTIFICATION, identified_on=LAST_MONTH, diagnostic_on=None, contract_signed_on=None, intensity="")
    measure.refresh_from_db()
    client = api_as("a", "caseworker")
    url = f"/api/v1/support-measures/{measure.pk}/phase/"
    early = (LAST_MONTH - datetime.timedelta(days=1)).isoformat()
    body = assert_error_shape(client.post(url, {"phase": "diagnostic", "on": early, "version": measure.version}, format="json"), 400)
    assert "on" in body["errors"]
    response = client.post(url, {"phase": "diagnostic", "on": TODAY.isoformat()}, format="json", HTTP_IF_MATCH=f'"{measure.version}"')
    assert response.status_code == 200, response.content
    assert response.json()["phase"] == "diagnostic" and response["ETag"] == f'"{measure.version + 1}"'
    # The landlord sees the measure but does not run the support.
    assert_error_shape(api_as("a", "adviser").post(url, {"phase": "contract", "on": TODAY.isoformat(), "version": measure.version + 1},
                                                   format="json"), 403)


def test_goal_set_then_reviewed_and_closed(world, api_as):
    measure = world["a"]["measure"]
    client = api_as("a", "caseworker")
    response = client.post("/api/v1/goals/", {"measure": measure.pk, "domain": "budget", "title": "Payer le loyer",
                                              "set_on": TODAY.isoformat()}, format="json")
    assert response.status_code == 201, response.content
    goal = SupportGoal.objects.get(pk=response.json()["id"])
    assert [r["milestone"] for r in response.json()["reviews"]] == ["m2", "m6"]
    reviewed = client.post(f"/api/v1/goals/{goal.pk}/reviews/", {"milestone": "m2", "reviewed_on": TODAY.isoformat(),
                                                                 "progress": 100, "goal_status": "achieved"}, format="json")
    assert reviewed.status_code == 201, reviewed.content
    goal.refresh_from_db()
    assert goal.status == GoalStatus.ACHIEVED
    assert GoalReview.objects.get(goal=goal, milestone="m2").progress == 100
    closed = client.post(f"/api/v1/goals/{goal.pk}/reviews/", {"milestone": "m6", "reviewed_on": TODAY.isoformat()}, format="json")
    assert "clos" in assert_error_shape(closed, 400)["message"] + str(closed.json()["errors"])
    body = assert_error_shape(client.post(f"/api/v1/goals/{goal.pk}/reviews/", {"milestone": "x", "reviewed_on": "31/12/2026"},
                                          format="json"), 400)
    assert set(body["errors"]) == {"milestone", "reviewed_on"}


# --------------------------------------------------------------------------
# Outcomes, workshops
# --------------------------------------------------------------------------


def test_outcomes_recorded_once_per_moment_and_corrected_with_a_precondition(world, api_as):
    measure = f.SupportMeasureFactory(
        household=world["a"]["household"], project=f.ProjectFactory(lead_landlord=world["a"]["landlord"]),
        organisation=world["a"]["association"], identified_on=datetime.date(2024, 1, 15),
    )
    client = api_as("a", "caseworker")
    payload = {"measure": measure.pk, "moment": "entry", "observed_on": TODAY.isoformat(), "rent_arrears": "1234.50",
               "housing_benefit": True}
    response = client.post("/api/v1/outcomes/", payload, format="json")
    assert response.status_code == 201, response.content
    snapshot = SituationSnapshot.objects.get(pk=response.json()["id"])
    assert str(snapshot.rent_arrears) == "1234.50" and snapshot.housing_benefit
    again = assert_error_shape(client.post("/api/v1/outcomes/", payload, format="json"), 400)
    assert "déjà enregistrée" in again["errors"]["moment"][0], again
    exit_ = assert_error_shape(client.post("/api/v1/outcomes/", {**payload, "moment": "exit"}, format="json"), 400)
    assert "terminée" in exit_["errors"]["moment"][0]
    assert_error_shape(client.patch(f"/api/v1/outcomes/{snapshot.pk}/", {"rent_arrears": "0"}, format="json"), 428)
    patched = client.patch(f"/api/v1/outcomes/{snapshot.pk}/", {"rent_arrears": "0.00"}, format="json", HTTP_IF_MATCH='"1"')
    assert patched.status_code == 200 and patched.json()["rent_arrears"] == "0.00"
    body = assert_error_shape(client.patch(f"/api/v1/outcomes/{snapshot.pk}/", {"moment": "exit"}, format="json", HTTP_IF_MATCH='"2"'), 400)
    assert list(body["errors"]) == ["moment"]
    negative = client.patch(f"/api/v1/outcomes/{snapshot.pk}/", {"rent_arrears": "-5"}, format="json", HTTP_IF_MATCH='"2"')
    assert "rent_arrears" in assert_error_shape(negative, 400)["errors"]
    # The other pair's association sees none of it.
    assert_error_shape(api_as("b", "caseworker").get(f"/api/v1/outcomes/{snapshot.pk}/"), 404)


def test_workshops_and_attendance(world, api_as):
    client = api_as("a", "caseworker")
    response = client.post("/api/v1/workshops/", {"title": "Budget du foyer", "theme": "budget", "held_on": TODAY.isoformat(),
                                                  "capacity": 1, "project": world["a"]["project"].pk}, format="json")
    assert response.status_code == 201, response.content
    workshop_id = response.json()["id"]
    household = f.HouseholdFactory(organisation=world["a"]["association"], project=world["a"]["project"])
    f.SupportMeasureFactory(household=household, project=world["a"]["project"], organisation=world["a"]["association"])
    joined = client.post("/api/v1/workshop-attendances/", {"workshop": workshop_id, "household": household.pk}, format="json")
    assert joined.status_code == 201, joined.content
    full = client.post("/api/v1/workshop-attendances/", {"workshop": workshop_id, "household": world["a"]["household"].pk}, format="json")
    assert "complet" in assert_error_shape(full, 400)["errors"]["workshop"][0]
    assert WorkshopAttendance.objects.filter(workshop_id=workshop_id).count() == 1
    # Another organisation neither sees the workshop nor enrols into it.
    other = api_as("b", "caseworker")
    assert_error_shape(other.get(f"/api/v1/workshops/{workshop_id}/"), 404)
    refused = other.post("/api/v1/workshop-attendances/", {"workshop": workshop_id, "household": world["b"]["household"].pk}, format="json")
    assert list(assert_error_shape(refused, 400)["errors"]) == ["workshop"]
    assert_error_shape(api_as("a", "adviser").get(f"/api/v1/workshops/{workshop_id}/"), 404)


@pytest.mark.parametrize("resource", ["outcomes", "workshops", "workshop-attendances"])
def test_new_lists_cost_the_same_whatever_the_page_size(world, api_as, resource):
    client = api_as("a", "caseworker")
    client.get(f"/api/v1/{resource}/")  # token last-used stamp
    counts = []
    for size in (1, 20):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/api/v1/{resource}/?page_size={size}").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_ordering_on_the_offered_fields_with_id_as_tie_break(world, api_as):
    association, project = world["a"]["association"], world["a"]["project"]
    for reference in ("B-2", "A-1", "B-2-bis"):
        household = f.HouseholdFactory(organisation=association, project=project, reference=reference)
        f.SupportMeasureFactory(household=household, project=f.ProjectFactory(lead_landlord=world["a"]["landlord"]),
                                organisation=association)
    client = api_as("a", "lead")
    pages, url = [], "/api/v1/households/?ordering=-reference&page_size=2"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        pages.append([row["reference"] for row in response.json()["results"]])
        url = response.json()["next"]
    references = [reference for page in pages for reference in page]
    assert references == sorted(references, reverse=True) and len(references) == len(set(references)) >= 4
    # A field that is not offered (a protected note) is ignored, never a 500 nor a leak through the order.
    assert client.get("/api/v1/households/?ordering=health_notes").status_code == 200

"""Referrals, consents, goals, leases, eviction cases and steps (read-only): scope, field policy, query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from households.models import ConsentPurpose, ReferralDecision, SupportGoal
from housing.models import EvictionCase, EvictionStep, Lease
from tests import factories as f
from tests.api.conftest import assert_error_shape, client_for

pytestmark = pytest.mark.django_db

RESOURCES = ["referrals", "consents", "goals", "leases", "eviction-cases", "eviction-steps"]


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def rows_of(pair: dict, resource: str) -> set[int]:
    """The pair's own rows of a resource, straight from the database."""
    if resource == "referrals":
        return {pair["referral"].pk}
    if resource == "consents":
        return {pair["consent"].pk}
    household = pair["household"]
    queryset = {
        "goals": SupportGoal.objects.filter(measure__household=household),
        "leases": Lease.objects.filter(occupant=household),
        "eviction-cases": EvictionCase.objects.filter(lease__occupant=household),
        "eviction-steps": EvictionStep.objects.filter(case__lease__occupant=household),
    }[resource]
    return set(queryset.values_list("pk", flat=True))


@pytest.mark.parametrize("resource", RESOURCES)
def test_lists_are_scoped_and_another_organisations_row_is_a_404(world, api_as, resource):
    mine, theirs = rows_of(world["a"], resource), rows_of(world["b"], resource)
    assert mine and theirs
    client = api_as("a", "caseworker")
    assert ids(client.get(f"/api/v1/{resource}/")) == mine
    detail = client.get(f"/api/v1/{resource}/{min(mine)}/")
    assert detail.status_code == 200 and detail["ETag"]
    hidden = assert_error_shape(client.get(f"/api/v1/{resource}/{min(theirs)}/"), 404, "not_found")
    assert hidden == assert_error_shape(client.get(f"/api/v1/{resource}/999999999/"), 404, "not_found")
    # National staff read no household data at all.
    assert ids(client_for(world["national"]).get(f"/api/v1/{resource}/")) == set()


def test_the_refusal_reason_is_for_the_supporting_organisation_only(world, api_as):
    a = world["a"]
    referral = a["referral"]
    type(referral).objects.filter(pk=referral.pk).update(
        decision=ReferralDecision.REFUSED, decided_on=datetime.date(2024, 1, 10), refusal_reason="SECRET-motif"
    )
    url = f"/api/v1/referrals/{referral.pk}/"
    assert api_as("a", "colleague").get(url).json()["refusal_reason"] == "SECRET-motif"
    # The landlord sees orientations only with a consent for social details, and never the reason.
    adviser = api_as("a", "adviser")
    assert_error_shape(adviser.get(url), 404, "not_found")
    f.ConsentFactory(household=a["household"], partner=a["landlord"], purpose=ConsentPurpose.SOCIAL_DETAILS)
    body = adviser.get(url).json()
    assert body["decision"] == "refused" and "refusal_reason" not in body
    assert all("refusal_reason" not in row for row in api_as("a", "colleague").get("/api/v1/referrals/").json()["results"])


def test_goal_and_review_notes_are_for_the_team(world, api_as):
    goal = SupportGoal.objects.get(measure=world["a"]["measure"])
    goal.notes = "SECRET-objectif"
    goal.save()
    goal.reviews.update(notes="SECRET-bilan")
    url = f"/api/v1/goals/{goal.pk}/"
    team = api_as("a", "caseworker").get(url).json()
    assert team["notes"] == "SECRET-objectif" and [r["notes"] for r in team["reviews"]] == ["SECRET-bilan"]
    colleague = api_as("a", "colleague").get(url).json()  # same association, off the team
    assert "notes" not in colleague and colleague["title"] == goal.title
    assert len(colleague["reviews"]) == 1 and "notes" not in colleague["reviews"][0]
    # The support plan is not the landlord's without consent.
    assert_error_shape(api_as("a", "adviser").get(url), 404, "not_found")
    listed = api_as("a", "caseworker").get("/api/v1/goals/").json()["results"]
    assert "notes" not in listed[0] and listed[0]["reviews"][0]["progress"] == 50 and "notes" not in listed[0]["reviews"][0]


def test_the_unit_of_a_protected_household_is_for_the_team_and_the_lessor(world, api_as):
    household = world["a"]["household"]
    household.domestic_violence = True
    household.save()
    lease = Lease.objects.select_related("unit").get(occupant=household)
    url = f"/api/v1/leases/{lease.pk}/"
    for role in ("caseworker", "adviser"):  # the team, the landlord of this lease
        body = api_as("a", role).get(url).json()
        assert body["unit"] == lease.unit_id and body["unit_address"] == lease.unit.address
    colleague = api_as("a", "colleague").get(url).json()  # the association, off the team
    assert colleague["occupant"] == household.pk
    assert not {"unit", "unit_address", "unit_postcode", "unit_city"} & set(colleague)
    # Lists never carry the unit.
    assert all("unit" not in row for row in api_as("a", "adviser").get("/api/v1/leases/").json()["results"])
    # Not protected: the colleague reads the unit too.
    household.domestic_violence = False
    household.save()
    assert api_as("a", "colleague").get(url).json()["unit"] == lease.unit_id


def test_eviction_steps_carry_their_deadline_and_the_rule_notes_for_the_tenancy_side(world, api_as):
    a = world["a"]
    case = EvictionCase.objects.get(lease__occupant=a["household"])
    rule = f.DeadlineRuleFactory(label="Fin du délai pour payer", legal_reference="Art. 24 loi 89-462")
    step = f.EvictionStepFactory(case=case, payment_order=True, deadline_rule=rule,
                                 deadline_on=datetime.date(2024, 12, 16), notes="SECRET-precision")
    url = f"/api/v1/eviction-steps/{step.pk}/"
    for role in ("caseworker", "colleague", "adviser"):  # the supporting organisation, the lessor
        body = api_as("a", role).get(url).json()
        assert body["notes"] == "SECRET-precision", role
        assert (body["deadline_on"], body["deadline_label"], body["deadline_legal_reference"]) == (
            "2024-12-16", "Fin du délai pour payer", "Art. 24 loi 89-462")
        assert body["lease"] == case.lease_id
    # Another landlord the household consented to share its tenancy with: the step, not its notes.
    f.ConsentFactory(household=a["household"], partner=world["b"]["landlord"], purpose=ConsentPurpose.TENANCY)
    other = api_as("b", "adviser").get(url)
    assert other.status_code == 200 and "notes" not in other.json()
    rows = {row["id"]: row for row in api_as("a", "adviser").get("/api/v1/eviction-steps/").json()["results"]}
    assert rows[step.pk]["deadline_label"] == "Fin du délai pour payer" and "notes" not in rows[step.pk]
    # A step without a rule: null label and reference.
    other_step = next(pk for pk in rows if pk != step.pk)
    assert rows[other_step]["deadline_label"] is None


def add_rows(pair: dict, resource: str, n: int) -> None:
    household, measure, landlord = pair["household"], pair["measure"], pair["landlord"]
    for i in range(n):
        if resource == "referrals":
            f.ReferralFactory(household=household, refused=True)
        elif resource == "consents":
            f.ConsentFactory(household=household, partner=f.OrganisationFactory(association=True))
        elif resource == "goals":
            f.GoalReviewFactory(goal=f.SupportGoalFactory(measure=measure))
        elif resource == "leases":
            f.LeaseFactory(unit=f.HousingUnitFactory(landlord=landlord, project=pair["project"]), lessor=landlord, occupant=household)
        elif resource == "eviction-cases":
            lease = f.LeaseFactory(unit=f.HousingUnitFactory(landlord=landlord, project=pair["project"]), lessor=landlord,
                                   occupant=household)
            f.EvictionCaseFactory(lease=lease)
        elif resource == "eviction-steps":
            case = EvictionCase.objects.filter(lease__occupant=household).first()
            f.EvictionStepFactory(case=case, payment_order=True, deadline_rule=f.DeadlineRuleFactory(),
                                  deadline_on=datetime.date(2024, 12, 16 + i % 10))


def list_queries(client, resource: str, expected_rows: int) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"/api/v1/{resource}/")
    assert len(response.json()["results"]) == expected_rows
    return len(captured)


# Per list request (after a warm-up request): 1 token lookup (with its
# membership and user joined; the last-use stamp is written at most once a
# while), 1 page SELECT in which the access policy's scope is subqueries, and
# for goals 1 prefetch of the reviews. Related rows shown (the rule of a step,
# the lease of a case) are joined. Nothing per row: lists carry no protected
# field, so no policy check runs per object.
LIST_QUERIES = {"referrals": 2, "consents": 2, "goals": 3, "leases": 2, "eviction-cases": 2, "eviction-steps": 2}


@pytest.mark.parametrize("resource", RESOURCES)
def test_a_list_costs_the_same_for_2_and_6_rows(world, api_as, resource):
    client = api_as("a", "caseworker")
    client.get(f"/api/v1/{resource}/")  # warm up (token last-use stamp, caches)
    base = len(rows_of(world["a"], resource))
    add_rows(world["a"], resource, 2 - base)
    two = list_queries(client, resource, 2)
    add_rows(world["a"], resource, 4)
    six = list_queries(client, resource, 6)
    assert two == six == LIST_QUERIES[resource], (two, six)


def test_updated_since_and_id_filters_work_on_the_new_lists(world, api_as):
    from django.utils import timezone

    a = world["a"]
    client = api_as("a", "caseworker")
    old = timezone.now() - datetime.timedelta(days=3)
    Lease.objects.filter(occupant=a["household"]).update(updated_at=old)
    lease = f.LeaseFactory(unit=f.HousingUnitFactory(landlord=a["landlord"], project=a["project"]), lessor=a["landlord"],
                           occupant=a["household"])
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(client.get("/api/v1/leases/", {"updated_since": since})) == {lease.pk}
    assert_error_shape(client.get("/api/v1/leases/", {"updated_since": "hier"}), 400)
    measure = a["measure"]
    assert ids(client.get("/api/v1/goals/", {"measure": measure.pk})) == rows_of(a, "goals")
    assert ids(client.get("/api/v1/goals/", {"measure": world["b"]["measure"].pk})) == set()
    assert ids(client.get("/api/v1/consents/", {"partner": a["landlord"].pk})) == {a["consent"].pk}
    assert ids(client.get("/api/v1/referrals/", {"decision": "refused"})) == set()

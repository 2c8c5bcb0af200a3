"""Home pages of caseworkers ("Mes ménages") and team leads, and the bulk reassignment of référents.

Personas at association A: bob and charlie are caseworkers, lea is the
team lead, alice the organisation admin; association B has its own
caseworker dora and team lead bruno.
"""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.models import AuditLog
from households.models import Phase, SupportMeasure, TeamMember, TeamRole
from partners.acting import SESSION_KEY
from partners.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

REASSIGN = "/equipe/reaffecter/"


def login_as(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


def today():
    return timezone.localdate()


def days_ago(n: int) -> datetime.date:
    return today() - datetime.timedelta(days=n)


def follow(association, referent, name, *, seen_days_ago=None, mandate_in=None, overdue_review=False, team=True, **measure):
    """An open measure of ``association`` with ``referent`` (on its team), seen ``seen_days_ago`` days ago."""
    household = f.HouseholdFactory(organisation=association, display_name=name)
    measure = f.SupportMeasureFactory(
        household=household, organisation=association, referent=referent,
        identified_on=days_ago(200), diagnostic_on=days_ago(190), contract_signed_on=days_ago(180), **measure,
    )
    if referent is not None and team:
        f.TeamMemberFactory(measure=measure, membership=referent, role=TeamRole.REFERENT, since=days_ago(200))
    if seen_days_ago is not None:
        f.ContactFactory(measure=measure, author=referent, occurred_on=days_ago(seen_days_ago))
    if mandate_in is not None:
        f.MandateFactory(measure=measure, starts_on=days_ago(150), ends_on=today() + datetime.timedelta(days=mandate_in))
    if overdue_review:
        goal = f.SupportGoalFactory(measure=measure, set_on=days_ago(180))
        f.GoalReviewFactory(goal=goal, due_on=days_ago(10), reviewed_on=None, progress=None)
    return measure


@pytest.fixture
def world():
    a = f.OrganisationFactory(association=True, name="Association A")
    b = f.OrganisationFactory(association=True, name="Association B")
    people = {
        "bob": f.MembershipFactory(organisation=a, role=Role.CASEWORKER, user__first_name="Bob", user__last_name="Arnaud"),
        "charlie": f.MembershipFactory(organisation=a, role=Role.CASEWORKER, user__first_name="Charlie", user__last_name="Bonnet"),
        "lea": f.MembershipFactory(organisation=a, role=Role.TEAM_LEAD, user__first_name="Léa", user__last_name="Chef"),
        "alice": f.MembershipFactory(organisation=a, role=Role.ORG_ADMIN),
        "dora": f.MembershipFactory(organisation=b, role=Role.CASEWORKER),
        "bruno": f.MembershipFactory(organisation=b, role=Role.TEAM_LEAD),
    }
    bob, charlie, dora = people["bob"], people["charlie"], people["dora"]
    measures = {
        "seen": follow(a, bob, "Ménage Vu", seen_days_ago=3),
        "not_seen": follow(a, bob, "Ménage Oublié", seen_days_ago=45),
        "mandate": follow(a, bob, "Ménage Mandat", seen_days_ago=5, mandate_in=10),
        "review": follow(a, bob, "Ménage Bilan", seen_days_ago=2, overdue_review=True),
        "charlie": follow(a, charlie, "Ménage De Charlie", seen_days_ago=1),
        "nobody": follow(a, None, "Ménage Sans Référent", seen_days_ago=60),
        "ended": follow(a, bob, "Ménage Terminé", seen_days_ago=400, phase=Phase.ENDED, ended_on=days_ago(30), outcome="maintained"),
        "b": follow(b, dora, "Ménage De B", seen_days_ago=90),
    }
    f.ContactFactory(measure=measures["seen"], author=bob, planned=True, occurred_on=today() + datetime.timedelta(days=7))
    return {"a": a, "b": b, **people, "m": measures}


# ----------------------------------------------------------------- caseworker


def test_caseworker_home_lists_own_households_with_their_alerts(client, world):
    login_as(client, world["bob"])
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Mes ménages" in html and "+ Saisir un contact" in html
    for name in ("Ménage Vu", "Ménage Oublié", "Ménage Mandat", "Ménage Bilan"):
        assert name in html
    for name in ("Ménage De Charlie", "Ménage Sans Référent", "Ménage Terminé", "Ménage De B"):
        assert name not in html
    assert "Non vu depuis 45 jours" in html
    assert "Mandat : fin dans 10 jours" in html
    assert "Bilan en retard" in html
    planned = (today() + datetime.timedelta(days=7)).strftime("%d/%m/%Y")
    assert planned in html and "dans 7 jours" in html
    tiles = response.context["counts"]
    assert (tiles["households"], tiles["not_seen"], tiles["mandate_soon"], tiles["reviews_overdue"]) == (4, 1, 1, 1)


def test_caseworker_home_filters_by_alert(client, world):
    login_as(client, world["bob"])
    html = client.get("/", {"alerte": "non-vus"}).content.decode()
    assert "Ménage Oublié" in html and "Ménage Vu<" not in html


def test_caseworker_also_sees_households_where_only_on_the_team(client, world):
    f.TeamMemberFactory(measure=world["m"]["charlie"], membership=world["bob"], role=TeamRole.REPLACEMENT)
    login_as(client, world["bob"])
    assert "Ménage De Charlie" in client.get("/").content.decode()


def caseload_of(association, referent, count):
    for n in range(count):
        follow(association, referent, f"Ménage Série {n}", seen_days_ago=n * 3, mandate_in=n, overdue_review=n % 2 == 0)


def test_caseworker_home_costs_the_same_for_5_or_25_households(client, world, django_assert_num_queries):
    """Session, user, acting memberships (3) + page count (1) + annotated page (1) + tiles (1) + session save (3) = 9."""
    login_as(client, world["bob"])
    caseload_of(world["a"], world["bob"], 1)  # 5 households
    with django_assert_num_queries(9):
        assert client.get("/").status_code == 200
    caseload_of(world["a"], world["bob"], 20)  # 25 households: the page holds them all
    with django_assert_num_queries(9):
        response = client.get("/")
    assert len(response.context["listing"].rows) == 25


# ----------------------------------------------------------------- team lead


def test_team_home_shows_households_not_seen_and_without_referent(client, world):
    login_as(client, world["lea"])
    response = client.get("/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Charge de l'équipe" in html
    # Default view: not seen for 30 days (the setting's default).
    assert "Ménage Oublié" in html and "Ménage Sans Référent" in html
    assert "Ménage De B" not in html
    tiles = response.context["counts"]
    assert (tiles["households"], tiles["not_seen"], tiles["without_referent"]) == (6, 2, 1)
    loads = {(load.membership.pk if load.membership else None): load.measures for load in response.context["load"]}
    assert loads == {world["bob"].pk: 4, world["charlie"].pk: 1, world["lea"].pk: 0, None: 1}
    html = client.get("/", {"vue": "sans-referent"}).content.decode()
    assert "Ménage Sans Référent" in html and "Ménage Oublié" not in html


def test_team_home_not_seen_threshold_comes_from_the_setting_and_the_page(client, world, settings):
    login_as(client, world["lea"])
    settings.HOUSEHOLD_NOT_SEEN_DAYS = 50
    response = client.get("/")
    assert response.context["days"] == 50
    assert "Ménage Sans Référent" in response.content.decode() and "Ménage Oublié" not in response.content.decode()
    response = client.get("/", {"jours": "4"})
    assert response.context["counts"]["not_seen"] == 3  # Oublié (45 days), Mandat (5), Sans référent (60)
    response = client.get("/", {"jours": "abc"})
    assert response.context["days"] == 50
    assert "Nombre de jours invalide" in response.content.decode()


def test_team_home_costs_the_same_for_5_or_25_households(client, world, django_assert_num_queries):
    """3 (session, user, memberships) + caseworkers (1) + page count and page (2) + tiles (1)
    + load per référent (1) + session save (3) = 11."""
    login_as(client, world["lea"])
    caseload_of(world["a"], world["charlie"], 1)
    with django_assert_num_queries(11):
        assert client.get("/", {"vue": "tous"}).status_code == 200
    caseload_of(world["a"], world["charlie"], 20)
    with django_assert_num_queries(11):
        response = client.get("/", {"vue": "tous"})
    assert len(response.context["listing"].rows) == 27  # 6 of the world + 21


# ----------------------------------------------------------------- reassignment


def test_bulk_reassignment_moves_the_measures_and_their_teams(client, world):
    login_as(client, world["lea"])
    moved = [world["m"]["not_seen"], world["m"]["nobody"]]
    response = client.post(REASSIGN, {
        "measures": [m.pk for m in moved], "referent": world["charlie"].pk, "next": "/?vue=non-vus",
    }, follow=True)
    assert response.redirect_chain[-1][0] == "/?vue=non-vus"
    assert "2 ménages réaffectés à Charlie Bonnet." in response.content.decode()
    for measure in moved:
        measure.refresh_from_db()
        assert measure.referent == world["charlie"]
        assert measure.version == 2
        row = TeamMember.objects.get(measure=measure, membership=world["charlie"], until__isnull=True)
        assert (row.role, row.since) == (TeamRole.REFERENT, today())
    old = TeamMember.objects.get(measure=world["m"]["not_seen"], membership=world["bob"])
    assert old.until == today()
    audit = AuditLog.objects.filter(membership_id=world["lea"].pk)
    assert audit.filter(action="update", model_label="households.SupportMeasure", fields=["referent"]).count() == 2
    assert audit.filter(action="update", model_label="households.TeamMember", fields=["until"]).count() == 1
    assert audit.filter(action="create", model_label="households.TeamMember").count() == 2
    # Untouched: the rest of bob's caseload.
    assert SupportMeasure.objects.filter(referent=world["bob"], ended_on__isnull=True).count() == 3


def test_reassigning_to_a_team_member_promotes_their_row(client, world):
    measure = world["m"]["seen"]
    f.TeamMemberFactory(measure=measure, membership=world["charlie"], role=TeamRole.REPLACEMENT, since=days_ago(20))
    login_as(client, world["alice"])  # an organisation admin may reassign too
    client.post(REASSIGN, {"measures": [measure.pk], "referent": world["charlie"].pk})
    rows = TeamMember.objects.filter(measure=measure, membership=world["charlie"])
    assert [(row.role, row.until) for row in rows] == [(TeamRole.REFERENT, None)]


def test_a_caseworker_may_not_reassign(client, world):
    login_as(client, world["bob"])
    response = client.post(REASSIGN, {"measures": [world["m"]["seen"].pk], "referent": world["charlie"].pk})
    assert response.status_code == 403
    world["m"]["seen"].refresh_from_db()
    assert world["m"]["seen"].referent == world["bob"]


def test_another_organisations_measure_in_the_post_writes_nothing(client, world):
    login_as(client, world["lea"])
    before = AuditLog.objects.filter(action="update").count()
    response = client.post(REASSIGN, {"measures": [world["m"]["seen"].pk, world["m"]["b"].pk], "referent": world["charlie"].pk})
    assert response.status_code == 404
    world["m"]["seen"].refresh_from_db()
    world["m"]["b"].refresh_from_db()
    assert (world["m"]["seen"].referent, world["m"]["b"].referent) == (world["bob"], world["dora"])
    assert AuditLog.objects.filter(action="update").count() == before
    assert not TeamMember.objects.filter(membership=world["charlie"]).exclude(measure=world["m"]["charlie"]).exists()


def test_a_referent_of_another_organisation_is_refused_with_the_selection_kept(client, world):
    login_as(client, world["lea"])
    measure = world["m"]["not_seen"]
    response = client.post(REASSIGN, {"measures": [measure.pk], "referent": world["dora"].pk, "next": "/?vue=non-vus"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choisissez le nouveau référent dans la liste." in html
    assert f'value="{measure.pk}" id="measure-{measure.pk}" checked' in html
    measure.refresh_from_db()
    assert measure.referent == world["bob"]


def test_reassignment_without_selection_says_so(client, world):
    login_as(client, world["lea"])
    response = client.post(REASSIGN, {"referent": world["charlie"].pk})
    assert response.status_code == 400
    assert "Cochez au moins un ménage" in response.content.decode()


def test_an_ended_measure_does_not_change_referent(client, world):
    login_as(client, world["lea"])
    response = client.post(REASSIGN, {"measures": [world["m"]["ended"].pk], "referent": world["charlie"].pk})
    assert response.status_code == 400
    assert "terminé" in response.content.decode()

"""Project screens as people use them: the list, the project page, its households panel, the programme home.

Personas (DESIGN.md §6): ``adviser`` works for landlord L, the lead of
project 2.3.9 whose partner association A supports three households;
``caseworker`` works for A; ``stranger`` advises for landlord M, who leads
project 2.1.19; ``national`` is USH staff (sees every project, never a
household row); ``funder`` is the DDETS that funds 2.3.9 only.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from partners.acting import SESSION_KEY
from partners.models import Role
from projects.models import Category, CarrierRole, FunderProgramme, ProjectStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.SECOND_FACTOR_REQUIRED = False  # the second factor has its own tests


TODAY = datetime.date(2026, 6, 1)  # year 3 of project 2.3.9 is under way


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


@pytest.fixture
def world():
    landlord = f.OrganisationFactory(landlord=True, name="Bailleur Lumière")
    association = f.OrganisationFactory(association=True, name="Association Abri")
    other_landlord = f.OrganisationFactory(landlord=True, name="Bailleur Montagne")
    state = f.OrganisationFactory(state=True, name="DDETS de l'Aude")
    region = f.OrganisationFactory(kind="department", name="Conseil départemental du Nord")
    ush = f.OrganisationFactory(federation=True, name="USH")
    session = f.SessionFactory(name="Octobre 2014", held_on=datetime.date(2014, 10, 1))

    ours = f.ProjectFactory(
        number="2.3.9", title="Accès et maintien des familles à Carcassonne", lead_landlord=landlord,
        category=Category.ACCESS_MAINTAIN, departements=["11"], call=session.call, session=session,
        target_households=18, starts_on=datetime.date(2024, 1, 1), ends_on=datetime.date(2026, 12, 31), duration_months=36,
    )
    f.ProjectCarrierFactory(project=ours, organisation=landlord, role=CarrierRole.LEAD)
    f.ProjectCarrierFactory(project=ours, organisation=association, role=CarrierRole.PARTNER)
    f.ActionFactory(project=ours, partner=association, title="Bail glissant", public="Familles sortant d'hôtel")
    f.ProjectTargetFactory(project=ours, year=1, households=6)
    f.ProjectTargetFactory(project=ours, year=2, households=6)
    f.ProjectTargetFactory(project=ours, year=3, households=6)
    f.FundingFactory(project=ours, funder=state, granted=True, amount_requested=Decimal("60000.00"))
    line = f.BudgetLineFactory(project=ours, year=2024, planned=Decimal("20000.00"))
    f.ExpenseFactory(budget_line=line, amount=Decimal("1650.00"))
    meeting = f.CommitteeMeetingFactory(project=ours, summary="SECRET-relevé : point sur les familles.")
    f.CommitteeDecisionFactory(meeting=meeting, subject="Fin d'accompagnement", decision="SECRET-décision détaillée")

    theirs = f.ProjectFactory(
        number="2.1.19", title="Logement d'abord en Flandre", lead_landlord=other_landlord,
        category=Category.ACCESS, departements=["59"], status=ProjectStatus.RETAINED,
    )
    f.ProjectCarrierFactory(project=theirs, organisation=other_landlord, role=CarrierRole.LEAD)
    f.FundingFactory(project=theirs, funder=region, programme=FunderProgramme.LOCAL_AUTHORITY, granted=True)

    people = {
        "adviser": f.MembershipFactory(organisation=landlord, role=Role.LANDLORD_ADVISER),
        "caseworker": f.MembershipFactory(organisation=association, role=Role.CASEWORKER),
        "stranger": f.MembershipFactory(organisation=other_landlord, role=Role.LANDLORD_ADVISER),
        "national": f.MembershipFactory(organisation=ush, role=Role.NATIONAL_STAFF),
        "funder": f.MembershipFactory(organisation=state, role=Role.FUNDER),
    }
    households = []
    for name in ("Ménage Zéphyrin", "Ménage Quenouille", "Ménage Vautrin"):
        household = f.HouseholdFactory(organisation=association, project=ours, display_name=name)
        f.SupportMeasureFactory(household=household, project=ours, organisation=association, referent=people["caseworker"])
        households.append(household)
    # One of the three ended in year 1: it does not count in year 2.
    ended = households[2].measures.get()
    ended.phase, ended.ended_on, ended.outcome = "ended", datetime.date(2024, 12, 16), "maintained"
    ended.save()
    f.ContactFactory(measure=households[0].measures.get(), occurred_on=datetime.date(2024, 5, 2))
    return {"ours": ours, "theirs": theirs, "households": households, "landlord": landlord,
            "other_landlord": other_landlord, "state": state, "region": region, "session": session, **people}


def numbers(response) -> list[str]:
    return [project.number for project in response.context["listing"].rows]


# ----------------------------------------------------------------- the list


def test_list_shows_only_the_projects_of_ones_organisation(client, world):
    login(client, world["adviser"])
    response = client.get("/projets/")
    assert response.status_code == 200
    assert numbers(response) == ["2.3.9"]
    assert "Logement d'abord en Flandre" not in response.content.decode()


def test_funder_sees_only_the_projects_it_funds(client, world):
    login(client, world["funder"])
    assert numbers(client.get("/projets/")) == ["2.3.9"]
    assert client.get(f"/projets/{world['theirs'].pk}/").status_code == 404


def test_national_staff_see_every_project(client, world):
    login(client, world["national"])
    assert sorted(numbers(client.get("/projets/"))) == ["2.1.19", "2.3.9"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("category=2.1", ["2.1.19"]),
        ("status=retained", ["2.1.19"]),
        ("territory=11", ["2.3.9"]),
        ("q=2.3", ["2.3.9"]),
        ("q=acces+familles", ["2.3.9"]),  # accents ignored: "Accès"
        ("q=FLANDRE", ["2.1.19"]),
        ("q=logement+dabord", []),  # words, not a substring soup
        ("q=Carcass", ["2.3.9"]),
    ],
)
def test_filters(client, world, query, expected):
    login(client, world["national"])
    assert numbers(client.get(f"/projets/?{query}")) == expected


def test_filter_by_funder_session_and_landlord(client, world):
    login(client, world["national"])
    assert numbers(client.get(f"/projets/?funder={world['region'].pk}")) == ["2.1.19"]
    assert numbers(client.get(f"/projets/?funder={world['state'].pk}")) == ["2.3.9"]
    assert numbers(client.get(f"/projets/?session={world['session'].pk}")) == ["2.3.9"]
    assert numbers(client.get(f"/projets/?landlord={world['other_landlord'].pk}")) == ["2.1.19"]


def test_filter_choices_list_only_what_the_actor_may_see(client, world):
    login(client, world["adviser"])
    page = client.get("/projets/").content.decode()
    assert "Bailleur Lumière" in page and "DDETS de l&#x27;Aude" in page
    assert "Bailleur Montagne" not in page and "Conseil départemental du Nord" not in page
    # A landlord that is not offered cannot be chosen: the list is empty, not another organisation's.
    response = client.get(f"/projets/?landlord={world['other_landlord'].pk}")
    assert response.status_code == 200 and numbers(response) == []


def test_filters_form_autosubmits_and_has_a_button(client, world):
    login(client, world["adviser"])
    page = client.get("/projets/").content.decode()
    assert "data-autosubmit" in page and "Filtrer</button>" in page


def test_numbers_sort_naturally(client, world):
    for number in ("2.3.19", "2.3.2", "1.4"):
        project = f.ProjectFactory(number=number, lead_landlord=world["landlord"])
        f.ProjectCarrierFactory(project=project, organisation=world["landlord"], role=CarrierRole.LEAD)
    login(client, world["adviser"])
    assert numbers(client.get("/projets/?tri=numero")) == ["1.4", "2.3.2", "2.3.9", "2.3.19"]
    assert numbers(client.get("/projets/?tri=-numero")) == ["2.3.19", "2.3.9", "2.3.2", "1.4"]


def test_sort_by_funding_and_title(client, world):
    login(client, world["national"])
    # 2.3.9: 60 000 € granted; 2.1.19: 60 000 € too, so add to one of them.
    f.FundingFactory(project=world["theirs"], funder=world["state"], granted=True, amount_requested=Decimal("1000.00"))
    assert numbers(client.get("/projets/?tri=-financement")) == ["2.1.19", "2.3.9"]
    assert numbers(client.get("/projets/?tri=intitule")) == ["2.3.9", "2.1.19"]  # "Accès…" before "Logement…"


def test_empty_list_says_why(client, world):
    login(client, world["adviser"])
    page = client.get("/projets/?q=inexistant").content.decode()
    assert "Aucun projet ne correspond à ces filtres" in page


def test_list_query_count_does_not_grow_with_the_projects(client, world, django_assert_max_num_queries):
    login(client, world["national"])

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/projets/").status_code == 200
        return len(queries)

    for _ in range(3):
        f.ProjectFactory()
    five = count_queries()
    for _ in range(25):
        f.ProjectFactory()
    thirty = count_queries()
    assert five == thirty
    # session + user + memberships (acting) + page count + page rows
    # + the choices of the département, session, funder and landlord selects
    # + the session save (savepoint, update, release): 12.
    with django_assert_max_num_queries(12):
        client.get("/projets/?category=2.3&tri=-financement")


# ---------------------------------------------------------- the project page


def test_another_organisations_project_is_a_404(client, world):
    login(client, world["stranger"])
    assert client.get(f"/projets/{world['ours'].pk}/").status_code == 404
    assert client.get(f"/projets/{world['ours'].pk}/menages/", **HTMX).status_code == 404


def test_project_page_shows_targets_against_households_supported(client, world):
    login(client, world["adviser"])
    response = client.get(f"/projets/{world['ours'].pk}/")
    assert response.status_code == 200
    rows = response.context["target_rows"]
    assert [(r["year"].number, r["target"].households, r["supported"].value, r["ratio"]) for r in rows] == [
        (1, 6, 3, 50), (2, 6, 2, 33), (3, 6, 2, 33),
    ]
    page = response.content.decode()
    assert "50&nbsp;%" in page and 'value="50"' in page
    assert "du 01/01/2024 au 31/12/2024" in page and "année en cours" in page
    # Money and committees, as the carrier sees them.
    assert "20\u202f000,00\u00a0€" in page and "1\u202f650,00\u00a0€" in page
    assert "SECRET-relevé" in page and "SECRET-décision" in page
    assert "Bail glissant" in page and "Association Abri" in page
    assert f'hx-get="/projets/{world["ours"].pk}/menages/"' in page and 'hx-trigger="load"' in page


def test_a_year_not_begun_shows_no_count(client, world):
    project = world["ours"]
    project.duration_months = 48  # year 4 starts on 01/01/2027, after TODAY
    project.save()
    login(client, world["adviser"])
    response = client.get(f"/projets/{project.pk}/")
    last = response.context["target_rows"][-1]
    assert last["year"].number == 4 and last["future"] and last["supported"] is None
    assert "à venir" in response.content.decode()


def test_national_staff_see_small_counts_hidden_and_no_household(client, world):
    login(client, world["national"])
    response = client.get(f"/projets/{world['ours'].pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "&lt; 11" in page
    assert [str(r["supported"]) for r in response.context["target_rows"]] == ["< 11", "< 11", "< 11"]
    assert all(r["ratio"] is None for r in response.context["target_rows"])  # a ratio would give the count back
    fragment = client.get(f"/projets/{world['ours'].pk}/menages/", **HTMX)
    assert fragment.status_code == 200
    for household in world["households"]:
        for content in (page, fragment.content.decode()):
            assert household.display_name not in content and household.reference not in content
    assert "hx-get" not in page  # no households panel is even requested
    # Money is never hidden; committee minutes are for carriers only.
    assert "60\u202f000,00\u00a0€" in page
    assert "SECRET-relevé" not in page and "SECRET-décision" not in page
    assert "Fin d&#x27;accompagnement" not in page  # a subject may name a household too
    assert "1 décision, réservée aux porteurs du projet." in page


def test_funder_sees_the_project_it_funds_with_hidden_small_counts(client, world):
    login(client, world["funder"])
    page = client.get(f"/projets/{world['ours'].pk}/").content.decode()
    assert "&lt; 11" in page and "Ménage Zéphyrin" not in page


def test_carriers_see_household_rows_in_the_panel(client, world):
    for persona in ("adviser", "caseworker"):
        login(client, world[persona])
        response = client.get(f"/projets/{world['ours'].pk}/menages/", **HTMX)
        assert response.status_code == 200
        content = response.content.decode()
        assert "<html" not in content  # a fragment
        for household in world["households"]:
            assert household.display_name in content and household.reference in content
        assert "badge--phase-support" in content and "badge--phase-ended" in content
        assert "02/05/2024" in content  # last contact


def test_households_panel_without_javascript_is_a_page(client, world):
    login(client, world["caseworker"])
    response = client.get(f"/projets/{world['ours'].pk}/menages/")
    content = response.content.decode()
    assert response.status_code == 200 and "<html" in content and "Ménage Zéphyrin" in content


def test_households_panel_lists_only_visible_households(client, world):
    outsider = f.OrganisationFactory(association=True)
    f.HouseholdFactory(organisation=outsider, project=world["ours"], display_name="Ménage Invisible")
    login(client, world["caseworker"])
    content = client.get(f"/projets/{world['ours'].pk}/menages/", **HTMX).content.decode()
    assert "Ménage Zéphyrin" in content and "Ménage Invisible" not in content


@pytest.mark.parametrize("persona", ["adviser", "caseworker", "national"])
def test_project_page_query_count_is_pinned(client, world, django_assert_max_num_queries, persona):
    login(client, world[persona])
    # session, user, memberships; the project (access); targets; supported per
    # year (one aggregate); measures per phase; budget lines; fundings;
    # transfers; meetings + their participants + their decisions (prefetch);
    # session, call (header); carriers; actions; the session save (savepoint,
    # update, release): 20 for the lead landlord. Anyone else costs one
    # "is a carrier?" query per check: the page itself, the minutes' and the
    # decisions' field rule (23). Nothing depends on the number of rows.
    with django_assert_max_num_queries(23):
        assert client.get(f"/projets/{world['ours'].pk}/").status_code == 200
    for _ in range(4):
        meeting = f.CommitteeMeetingFactory(project=world["ours"])
        f.CommitteeDecisionFactory(meeting=meeting)
        f.BudgetLineFactory(project=world["ours"], year=2025 + _ % 2, kind=["gla", "evaluation"][_ // 2])
    with django_assert_max_num_queries(23):
        assert client.get(f"/projets/{world['ours'].pk}/").status_code == 200


def test_households_panel_query_count_does_not_grow(client, world, django_assert_max_num_queries):
    login(client, world["caseworker"])
    url = f"/projets/{world['ours'].pk}/menages/"
    with CaptureQueriesContext(connection) as few:
        client.get(url, **HTMX)
    for _ in range(10):
        household = f.HouseholdFactory(organisation=world["households"][0].organisation, project=world["ours"])
        f.SupportMeasureFactory(household=household, referent=world["caseworker"])
    with CaptureQueriesContext(connection) as many:
        client.get(url, **HTMX)
    assert len(few) == len(many)
    # session, user, memberships, the project (access), page count, page rows
    # (phase, référent and last contact are subqueries of that one query),
    # then the session save (savepoint, update, release).
    with django_assert_max_num_queries(9):
        client.get(url, **HTMX)


# --------------------------------------------------------- the programme home


def test_programme_home_for_national_staff(client, world):
    """The national dashboard (reporting.dashboards, from the rollups): counts of 1 to 10 households hidden."""
    from reporting import rollups

    rollups.rebuild()
    login(client, world["national"])
    response = client.get("/", {"year": 2024})
    page = response.content.decode()
    assert response.status_code == 200
    assert "2.3 — Accès et maintien" in page and "/projets/?category=2.3" in page
    dashboard = response.context["d"]
    rows = {row["code"]: row for row in dashboard["categories"]}
    assert rows["2.3"]["projects"] == 1 and rows["2.3"]["targets"] == 18
    assert str(rows["2.3"]["households_supported"]) == "< 11"  # 3 households
    assert str(dashboard["totals"]["households_supported"]) == "< 11"
    assert "Ménage Zéphyrin" not in page
    assert dashboard["totals"]["projects"] == 2
    programmes = {row["code"]: row for row in dashboard["programmes"]}
    assert programmes["fnavdl"]["awarded"] == Decimal("60000.00")


def test_programme_home_for_a_funder_counts_its_projects_only(client, world):
    from reporting import rollups

    rollups.rebuild()
    login(client, world["funder"])
    response = client.get("/", {"year": 2024})
    assert response.status_code == 200
    dashboard = response.context["d"]
    assert dashboard["totals"]["projects"] == 1
    assert [row["code"] for row in dashboard["programmes"]] == ["fnavdl"]
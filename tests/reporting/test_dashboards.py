"""Dashboards (national, organisation, project) read from the rollups: figures recomputed here
from the raw rows, small-count suppression with complementary cells, who sees what, query counts.

Personas: ``national`` (USH staff), ``funder_s1`` (funds every project),
``funder_s2`` (funds project P2 only), ``landlord_1`` (adviser of landlord
L1, lead of P1), ``assoc_1`` (lead of association A1, which supports the
3 households of P1), ``assoc_3`` (lead of association A3, a partner of P1
that supports none of its households), ``landlord_2`` (adviser of L2, lead
of P2 and P3).

The year looked at is 2025 (rollups rebuilt on 15/06/2025):

- P1 (2.3, Rhône 69): 3 households, all supported in 2025: one since 2024
  (entered 2024), two entered in 2025, one of which exited in 2025;
- P2 (3.1, Nord 59): 20 households entered in 2025;
- P3 (2.1, Pas-de-Calais 62): 12 households entered in 2024, 4 of them
  ended in 2024 (not supported in 2025), 8 still supported.

So in 2025, by département: 69 → 3, 59 → 20, 62 → 8: a national reader
sees "< 11" for 69 **and** for 62 (itself below 11), total 31.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

import pytest
from django.db.models import Q, Sum
from django.urls import reverse

from core import privacy
from households.models import Contact, ContactKind, ContactStatus, Household, SupportMeasure
from partners.acting import SESSION_KEY
from partners.models import OrganisationKind, Role
from projects.models import Category, Expense, Funding, FundingDecision, Payment, PaymentKind, Project
from reporting import rollups
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2025, 6, 15, 10, 0, tzinfo=datetime.UTC)
YEAR = 2025
D = datetime.date


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.SECOND_FACTOR_REQUIRED = False  # the second factor has its own tests


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: NOW.date())


def login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


def _households(project, association, referent, n, *, identified_on, ended_on=None, contacts_on=()):
    rows = []
    for _ in range(n):
        h = f.HouseholdFactory(organisation=association, project=project)
        m = f.SupportMeasureFactory(
            household=h, referent=referent, identified_on=identified_on, diagnostic_on=None, contract_signed_on=None,
            ended_on=ended_on, phase="ended" if ended_on else "support", outcome="maintained" if ended_on else "",
        )
        for day in contacts_on:
            f.ContactFactory(measure=m, occurred_on=day, author=referent)
        rows.append(h)
    return rows


def build_world(extra: int = 0, label: str = "") -> dict:
    """The world of the module docstring; ``extra`` more households in P2, ``label`` a second world (query-count test)."""
    s1 = f.OrganisationFactory(state=True, name=f"DDETS S1{label}")
    s2 = f.OrganisationFactory(kind=OrganisationKind.MUNICIPALITY, name=f"Commune S2{label}")
    ush = f.OrganisationFactory(federation=True, name=f"USH{label}")
    l1 = f.OrganisationFactory(landlord=True, name=f"Bailleur L1{label}")
    l2 = f.OrganisationFactory(landlord=True, name=f"Bailleur L2{label}")
    a1 = f.OrganisationFactory(association=True, name=f"Association A1{label}")
    a2 = f.OrganisationFactory(association=True, name=f"Association A2{label}")
    a3 = f.OrganisationFactory(association=True, name=f"Association A3{label}")

    p1 = f.ProjectFactory(number=f"2.3.1{label}", category=Category.ACCESS_MAINTAIN, lead_landlord=l1, departements=["69"], target_households=30)
    p2 = f.ProjectFactory(number=f"3.1.1{label}", category=Category.MENTAL_HEALTH, lead_landlord=l2, departements=["59"], target_households=40)
    p3 = f.ProjectFactory(number=f"2.1.1{label}", category=Category.ACCESS, lead_landlord=l2, departements=["62"], target_households=25)
    for project, carriers in ((p1, [(l1, "lead"), (a1, "partner"), (a3, "partner")]), (p2, [(l2, "lead"), (a2, "partner")]),
                              (p3, [(l2, "lead"), (a2, "partner")])):
        for org, role in carriers:
            f.ProjectCarrierFactory(project=project, organisation=org, role=role)

    # Money: awarded in 2025 (decision date), instalments and expenses in 2024 and 2025.
    fund_p1 = f.FundingFactory(project=p1, funder=s1, granted=True, amount_requested=Decimal("50000"), decided_on=D(2025, 2, 1))
    fund_p2 = f.FundingFactory(project=p2, funder=s1, granted=True, amount_requested=Decimal("80000"), decided_on=D(2025, 3, 1))
    f.FundingFactory(project=p2, funder=s2, programme="local_authority", granted=True, amount_requested=Decimal("12000"), decided_on=D(2025, 4, 1))
    f.FundingFactory(project=p3, funder=s1, granted=True, amount_requested=Decimal("30000"), decided_on=D(2024, 5, 1))
    f.PaymentFactory(project=p1, funding=fund_p1, kind="grant_instalment", payer=s1, payee=l1, amount=Decimal("25000"), paid_on=D(2025, 3, 1))
    f.PaymentFactory(project=p2, funding=fund_p2, kind="grant_instalment", payer=s1, payee=l2, amount=Decimal("40000"), paid_on=D(2025, 4, 1))
    f.PaymentFactory(project=p2, funding=fund_p2, kind="grant_instalment", payer=s1, payee=l2, amount=Decimal("9000"), paid_on=D(2024, 11, 1))
    f.PaymentFactory(project=p1, payer=l1, payee=a1, amount=Decimal("10000"), paid_on=D(2025, 4, 1))
    for project, year, amount in ((p1, 2025, "1200"), (p1, 2024, "300"), (p2, 2025, "4500.50"), (p3, 2025, "800")):
        line = f.BudgetLineFactory(project=project, year=year)
        f.ExpenseFactory(budget_line=line, amount=Decimal(amount), spent_on=D(year, 5, 1))

    ref1 = f.MembershipFactory(organisation=a1, role=Role.CASEWORKER)
    ref2 = f.MembershipFactory(organisation=a2, role=Role.CASEWORKER)
    _households(p1, a1, ref1, 1, identified_on=D(2024, 9, 1), contacts_on=[D(2024, 10, 1), D(2025, 2, 3)])
    _households(p1, a1, ref1, 1, identified_on=D(2025, 1, 10), ended_on=D(2025, 5, 30), contacts_on=[D(2025, 2, 1)])
    _households(p1, a1, ref1, 1, identified_on=D(2025, 3, 1))
    _households(p2, a2, ref2, 20 + extra, identified_on=D(2025, 2, 1), contacts_on=[D(2025, 3, 1), D(2025, 4, 1)])
    _households(p3, a2, ref2, 4, identified_on=D(2024, 2, 1), ended_on=D(2024, 11, 30), contacts_on=[D(2024, 3, 1)])
    _households(p3, a2, ref2, 8, identified_on=D(2024, 2, 1), contacts_on=[D(2025, 1, 15)])

    people = {
        "national": f.MembershipFactory(organisation=ush, role=Role.NATIONAL_STAFF),
        "funder_s1": f.MembershipFactory(organisation=s1, role=Role.FUNDER),
        "funder_s2": f.MembershipFactory(organisation=s2, role=Role.FUNDER),
        "landlord_1": f.MembershipFactory(organisation=l1, role=Role.LANDLORD_ADVISER),
        "landlord_2": f.MembershipFactory(organisation=l2, role=Role.LANDLORD_ADVISER),
        "assoc_1": f.MembershipFactory(organisation=a1, role=Role.TEAM_LEAD),
        "assoc_3": f.MembershipFactory(organisation=a3, role=Role.TEAM_LEAD),
    }
    rollups.rebuild(now=NOW)
    return {"p1": p1, "p2": p2, "p3": p3, **people}


@pytest.fixture
def world():
    return build_world()


def dashboard(client, membership, path="/tableau-de-bord/", **params):
    login(client, membership)
    response = client.get(path, {"year": YEAR, **params})
    assert response.status_code == 200
    return response.context["d"], response.content.decode()


# --------------------------------------------------------------------------
# Raw-row recomputation (what the rollups must add up to)
# --------------------------------------------------------------------------


def raw_year(projects, year: int = YEAR) -> dict:
    start, end, today = D(year, 1, 1), D(year, 12, 31), NOW.date()
    measures = SupportMeasure.objects.filter(project__in=projects)
    active = measures.filter(identified_on__lte=min(end, today)).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    per_project = lambda qs: sum(qs.filter(project=p).values("household").distinct().count() for p in projects)  # noqa: E731
    money = lambda qs, field: qs.aggregate(s=Sum(field))["s"] or Decimal(0)  # noqa: E731
    return {
        "projects": len(projects),
        "targets": sum(p.target_households for p in projects),
        "households_supported": per_project(active),
        "households_entered": per_project(measures.filter(identified_on__year=year)),
        "households_exited": per_project(measures.filter(ended_on__year=year)),
        "contacts": Contact.objects.filter(measure__project__in=projects, status=ContactStatus.DONE, occurred_on__year=year)
        .exclude(kind=ContactKind.NO_SHOW).count(),
        "awarded": money(Funding.objects.filter(project__in=projects, decision=FundingDecision.GRANTED, decided_on__year=year), "amount_awarded"),
        "received": money(Payment.objects.filter(project__in=projects, kind=PaymentKind.GRANT_INSTALMENT, paid_on__year=year), "amount"),
        "spent": money(Expense.objects.filter(budget_line__project__in=projects, budget_line__year=year), "amount"),
    }


def test_organisation_dashboard_figures_equal_the_raw_rows(client, world):
    """Landlord L2 works on every household of P2 and P3: its figures are shown whole, and match the raw rows."""
    d, _html = dashboard(client, world["landlord_2"])
    expected = raw_year([world["p2"], world["p3"]])
    totals = d["totals"]
    assert expected["households_supported"] == 28 and expected["households_entered"] == 20 and expected["households_exited"] == 0
    for name in ("households_supported", "households_entered", "households_exited"):
        assert totals[name].value == expected[name], name
    for name in ("projects", "targets", "contacts", "awarded", "received", "spent"):
        assert totals[name] == expected[name], name
    assert not d["suppressed_view"]


def test_national_money_contacts_and_projects_equal_the_raw_rows(client, world):
    d, _html = dashboard(client, world["national"])
    expected = raw_year([world["p1"], world["p2"], world["p3"]])
    assert expected["households_supported"] == 31
    totals = d["totals"]
    assert totals["households_supported"].value == expected["households_supported"]  # 31: shown
    assert totals["households_entered"].value == expected["households_entered"] == 22
    for name in ("projects", "targets", "contacts", "awarded", "received", "spent"):
        assert totals[name] == expected[name], name
    # Per category, money and projects are never hidden.
    by_code = {row["code"]: row for row in d["categories"]}
    assert by_code["3.1"]["awarded"] == raw_year([world["p2"]])["awarded"] == Decimal("92000")
    assert by_code["2.3"]["projects"] == 1 and by_code["2.3"]["targets"] == 30
    # Trend: 2024 then 2025 (the year of the rollups).
    trend = {row["year"]: row for row in d["trend"]}
    assert trend[2024]["households_supported"].value == raw_year([world["p1"], world["p2"], world["p3"]], 2024)["households_supported"] == 13
    assert trend[2024]["spent"] == Decimal("300")


def test_departement_counts_equal_the_raw_rows_for_the_organisation(client, world):
    """Households per département (no lease: the project's first département) for the lead landlord of P1."""
    d, _html = dashboard(client, world["landlord_1"])
    rows = {row["code"]: row["households"] for row in d["departements"]}
    assert {code: c.value for code, c in rows.items()} == {"69": raw_year([world["p1"]])["households_supported"]} == {"69": 3}


# --------------------------------------------------------------------------
# Suppression (DESIGN.md §3)
# --------------------------------------------------------------------------


def test_national_reader_sees_small_departements_hidden_and_cannot_recompute_them(client, world):
    d, html = dashboard(client, world["national"])
    rows = {row["code"]: row["households"] for row in d["departements"]}
    assert str(rows["69"]) == privacy.SMALL and rows["69"].value is None
    assert str(rows["62"]) == privacy.SMALL  # 8: small itself
    assert rows["59"].value == 20
    total = d["departement_total"]
    assert total.value == 31
    # Two unknowns: 31 − 20 = 11 cannot be split into 69 and 62.
    assert sum(1 for c in rows.values() if c.suppressed) >= 2
    # The map says the same: hatched, no count in the tooltip.
    assert re.search(r'class="map-dept map-dept--hidden" data-code="69"', html)
    assert "Rhône (69) : &lt; 11" in html
    assert "Nord (59) : 20" in html


def test_one_small_departement_gets_a_complementary_cell(client, world):
    """P2 and P1 only (category filter would drop P3): 69 → 3 is hidden, 59 → 20 masked, total shown."""
    d, _html = dashboard(client, world["funder_s1"], funder=world["funder_s1"].organisation_id)
    assert {row["code"] for row in d["departements"]} == {"59", "62", "69"}
    d, _html = dashboard(client, world["national"], session="", category="")
    # Category column: 2.3 → 3 (hidden), 2.1 → 8 (hidden), 3.1 → 20: two hidden, total 31 shown.
    by_code = {row["code"]: row["households_supported"] for row in d["categories"]}
    assert (str(by_code["2.3"]), str(by_code["2.1"]), by_code["3.1"].value) == (privacy.SMALL, privacy.SMALL, 20)
    # A funder of P2 and P1 only: 69 → 3 and 59 → 20 with their total: 20 must go too.
    s2 = world["funder_s2"]
    f.FundingFactory(project=world["p1"], funder=s2.organisation, granted=True, decided_on=D(2025, 1, 5))
    rollups.rebuild(now=NOW)
    d, html = dashboard(client, s2)
    rows = {row["code"]: row["households"] for row in d["departements"]}
    assert set(rows) == {"69", "59"}
    assert str(rows["69"]) == privacy.SMALL and str(rows["59"]) == str(privacy.MASKED)
    assert d["departement_total"].value == 23  # shown: 23 − ? − ? gives nothing
    assert "Nord (59) : masqué" in html


def test_suppression_applies_after_filters(client, world):
    """Filtered down to category 2.3 the national reader sees P1 alone: 3 households, hidden everywhere, total too."""
    d, html = dashboard(client, world["national"], category="2.3")
    assert d["totals"]["projects"] == 1
    for name in ("households_supported", "households_entered", "households_exited"):
        assert d["totals"][name].suppressed, name
    assert [str(row["households_supported"]) for row in d["trend"] if row["year"] == YEAR] == [privacy.SMALL]
    assert ">3<" not in html.replace(" ", "")


def test_landlord_sees_its_own_households_unsuppressed(client, world):
    d, html = dashboard(client, world["landlord_1"])
    assert d["totals"]["households_supported"].value == 3
    assert d["totals"]["households_entered"].value == 2 and d["totals"]["households_exited"].value == 1
    assert not d["suppressed_view"]
    assert "« &lt; 11 »" not in html and 'data-code="69">' in html


def test_association_that_supports_the_households_sees_them_unsuppressed(client, world):
    d, _html = dashboard(client, world["assoc_1"])
    assert d["totals"]["households_supported"].value == 3


def test_a_partner_that_does_not_work_on_the_households_sees_them_suppressed(client, world):
    """Association A3 is a partner of P1 but supports none of its households: outside the organisations involved."""
    d, _html = dashboard(client, world["assoc_3"])
    assert d["totals"]["projects"] == 1
    assert str(d["totals"]["households_supported"]) == privacy.SMALL
    assert d["suppressed_view"]
    assert d["totals"]["awarded"] == Decimal("50000")  # money is never hidden


# --------------------------------------------------------------------------
# Who sees what
# --------------------------------------------------------------------------


def test_national_and_funder_see_no_household_row(client, world):
    names = list(Household.objects.values_list("display_name", flat=True)) + list(Household.objects.values_list("reference", flat=True))
    for who in ("national", "funder_s1"):
        login(client, world[who])
        for path in ("/", "/tableau-de-bord/"):
            html = client.get(path, {"year": YEAR}).content.decode()
            assert "dashboard-stats" in html, (who, path)
            assert not [name for name in names if name in html], (who, path)


def test_home_of_national_staff_is_the_national_dashboard(client, world):
    login(client, world["national"])
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["kind"] == "national"
    assert response.context["d"]["year"] == YEAR  # default: the latest year with households supported


def test_funder_sees_only_the_projects_it_funds(client, world):
    d, html = dashboard(client, world["funder_s2"])
    assert d["totals"]["projects"] == 1
    assert d["totals"]["awarded"] == Decimal("92000")  # P2's two grants: the funder sees the project's money
    assert {row["code"] for row in d["departements"]} == {"59"}
    assert "Rhône" not in html.split('id="departement-table"')[1]


def test_another_organisations_project_dashboard_is_a_404(client, world):
    login(client, world["landlord_1"])
    assert client.get(reverse("reporting:project_dashboard", args=[world["p2"].pk])).status_code == 404
    response = client.get(reverse("reporting:project_dashboard", args=[world["p1"].pk]), {"year": YEAR})
    assert response.status_code == 200
    assert response.context["d"]["totals"]["households_supported"].value == 3
    assert response.context["d"]["totals"]["projects"] == 1


def test_organisation_dashboard_lists_its_projects_with_links(client, world):
    d, html = dashboard(client, world["landlord_2"])
    assert [row["number"] for row in d["projects"]] == ["2.1.1", "3.1.1"]
    assert reverse("reporting:project_dashboard", args=[world["p2"].pk]) in html
    assert "2.3.1" not in html


def test_platform_admin_gets_no_dashboard(client, world):
    admin = f.MembershipFactory(organisation=world["national"].organisation, role=Role.PLATFORM_ADMIN)
    login(client, admin)
    assert client.get("/tableau-de-bord/").status_code == 404


def test_bad_filter_is_a_400_in_french_not_a_500(client, world):
    login(client, world["national"])
    response = client.get("/tableau-de-bord/", {"year": "abc", "funder": "999999"})
    assert response.status_code == 400
    assert "Un filtre n'est pas valide" in response.content.decode()


def test_filters_by_session_and_category(client, world):
    session = f.SessionFactory(call=world["p2"].call)
    Project.objects.filter(pk=world["p2"].pk).update(session=session)
    d, _html = dashboard(client, world["national"], session=session.pk)
    assert d["totals"]["projects"] == 1 and d["totals"]["households_supported"].value == 20
    d, _html = dashboard(client, world["national"], category="2.1")
    assert d["totals"]["projects"] == 1 and d["totals"]["contacts"] == 8


def test_map_draws_every_metropolitan_departement_and_the_overseas_boxes(client, world):
    _d, html = dashboard(client, world["national"])
    assert html.count('class="map-dept ') == 96 + 5
    assert 'data-code="2A"' in html and 'data-code="973"' in html
    assert "style=" not in html  # CSP: colours by class only


def test_nav_link_for_organisation_staff_only(client, world):
    login(client, world["landlord_1"])
    assert 'href="/tableau-de-bord/"' in client.get("/projets/").content.decode()
    login(client, world["national"])
    assert 'href="/tableau-de-bord/"' not in client.get("/projets/").content.decode()


# --------------------------------------------------------------------------
# Query counts
# --------------------------------------------------------------------------


def _count(client, membership, path, django_assert_max_num_queries, limit):
    login(client, membership)
    with django_assert_max_num_queries(limit) as captured:
        assert client.get(path, {"year": YEAR}).status_code == 200
    return len(captured)


#: session, user, acting membership (3); the years of the filter (1); the
#: projects (1), their ProjectYear rows (1), the breakdown rows of the year
#: (1), the funding rows of the year (1); when the figures were computed (1);
#: the session and funder choices of the filter form (2); the session's
#: activity stamp saved (update in a savepoint: 3). Nothing per project,
#: household or year.
DASHBOARD_QUERIES = 14


@pytest.mark.parametrize("who", ["national", "landlord_2"])
def test_query_count_does_not_grow_with_the_data(client, who, django_assert_max_num_queries):
    world = build_world()
    small = _count(client, world[who], "/tableau-de-bord/", django_assert_max_num_queries, DASHBOARD_QUERIES)
    more = build_world(extra=30, label="b")  # a second world: twice the projects for national staff, 30 more households
    large = _count(client, more[who], "/tableau-de-bord/", django_assert_max_num_queries, DASHBOARD_QUERIES)
    assert small == large == DASHBOARD_QUERIES


def test_project_dashboard_query_count(client, world, django_assert_max_num_queries):
    login(client, world["landlord_1"])
    # The project itself (access check) and its yearly targets replace the two choice lists of the filter form.
    with django_assert_max_num_queries(DASHBOARD_QUERIES):
        assert client.get(reverse("reporting:project_dashboard", args=[world["p1"].pk]), {"year": YEAR}).status_code == 200


# --------------------------------------------------------------------------
# core.privacy.suppress_row_outside
# --------------------------------------------------------------------------


@pytest.mark.parametrize("counts", [[40, 3, 25, 0, 90], [12, 30, 0], [3, 5, 40], [3, 0], [0, 0], [11, 2]])
def test_outside_suppression_equals_the_plain_one_for_national_readers(counts):
    plain, plain_total = privacy.suppress_row(counts)
    outside, outside_total = privacy.suppress_row_outside(counts, counts)
    assert [str(c) for c in outside] == [str(c) for c in plain]
    assert str(outside_total) == str(plain_total)


def test_outside_suppression_hides_what_other_organisations_add():
    # Cell 0: 20 of mine + 3 of others (hidden: 23 − 20 gives 3); cell 1 all mine (shown, protects nothing);
    # cell 2: 15 of others is the complementary cell.
    cells, total = privacy.suppress_row_outside([23, 50, 15], [3, 0, 15])
    assert [str(c) for c in cells] == [str(privacy.MASKED), "50", str(privacy.MASKED)]
    assert total.value == 88
    cells, total = privacy.suppress_row_outside([4, 50], [0, 0])
    assert [c.value for c in cells] == [4, 50] and total.value == 54
    with pytest.raises(ValueError):
        privacy.suppress_row_outside([3], [4])


def test_project_dashboard_shows_each_project_year_against_its_target(client, world):
    """P1 starts on 01/01/2024: project year 2 is 2025, target 10, 3 households supported so far."""
    f.ProjectTargetFactory(project=world["p1"], year=2, households=10)
    rollups.rebuild(now=NOW)
    path = reverse("reporting:project_dashboard", args=[world["p1"].pk])
    d, html = dashboard(client, world["landlord_1"], path)
    [row] = d["targets"]
    assert (row["year"], row["target"], row["supported"].value, row["rate"]) == (2, 10, 3, 30)
    assert "30 %" in html and 'max="100" value="30"' in html
    # A partner that supports none of the households: the target shows, the households do not.
    d, html = dashboard(client, world["assoc_3"], path)
    [row] = d["targets"]
    assert (row["target"], str(row["supported"]), row["rate"]) == (10, privacy.SMALL, None)

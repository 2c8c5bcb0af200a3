"""Rollup figures against hand-computed expectations (fixture: ``conftest.build_caseload``),
incremental refresh, rebuild == refresh, query counts, and who reads which rollup rows."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import access
from households.models import Contact
from reporting import rollups
from reporting.models import (
    HouseholdMonth,
    MeasureFact,
    ProjectTargetProgress,
    ProjectYear,
    ProjectYearBreakdown,
    ProjectYearBudget,
    ProjectYearFunding,
    ProjectYearPayment,
    RollupWatermark,
)
from tests import factories as f
from tests.reporting.conftest import NOW, actor, build_caseload

pytestmark = pytest.mark.django_db

D = datetime.date


def test_measure_fact_of_an_ended_measure(caseload):
    rollups.rebuild(now=NOW)
    fact = MeasureFact.objects.get(measure=caseload["m1"])
    assert (fact.project, fact.organisation, fact.landlord, fact.lead_landlord) == (
        caseload["project"], caseload["association"], caseload["landlord"], caseload["landlord"])
    assert (fact.category, fact.departement, fact.funder_ids) == ("2.3", "69", [caseload["state"].pk])
    assert (fact.referral_source, fact.referral_decision, fact.prior_situation) == ("siao", "accepted", "third_party")
    assert (fact.phase, fact.intensity, fact.outcome) == ("ended", "medium", "maintained")
    assert (fact.oriented_on, fact.moved_in_on, fact.ended_on) == (D(2023, 12, 5), D(2024, 3, 1), D(2024, 12, 16))
    # 05/12/2023 → 01/02/2024 → 15/02/2024 → 01/03/2024 (leap year) → 16/12/2024
    assert (fact.days_to_diagnostic, fact.days_to_contract, fact.days_to_move_in, fact.days_to_end, fact.days_total) == (58, 14, 15, 290, 377)
    assert (fact.days_oriented_to_contract, fact.days_oriented_to_move_in) == (72, 87)
    assert (fact.entry_arrears, fact.exit_arrears) == (Decimal("640.00"), Decimal("0.00"))
    assert (fact.entry_housing_benefit, fact.exit_housing_benefit, fact.still_housed_12m) == (False, True, None)
    # The judgment of 18/03/2025 comes after the end of the measure.
    assert (fact.eviction_steps, fact.eviction_cases, fact.eviction_avoided, fact.evicted) == (["arrears", "payment_order"], 1, True, False)
    assert (fact.contacts, fact.contacts_home_visit, fact.contacts_phone, fact.contacts_no_show, fact.contacts_office) == (2, 1, 1, 1, 0)
    assert (fact.contact_minutes, fact.contact_rows, fact.first_contact_on, fact.last_contact_on) == (75, 5, D(2024, 3, 12), D(2024, 3, 20))
    assert fact.computed_at == NOW


def test_measure_fact_of_an_open_measure(caseload):
    rollups.rebuild(now=NOW)
    fact = MeasureFact.objects.get(measure=caseload["m2"])
    assert (fact.referral_source, fact.referral_decision, fact.oriented_on) == ("ccapex", "pending", D(2025, 3, 1))
    assert (fact.landlord, fact.moved_in_on, fact.departement) == (None, None, "69")  # no lease: the project's département
    assert (fact.days_to_diagnostic, fact.days_total, fact.entry_arrears) == (None, None, None)
    assert (fact.contacts, fact.contacts_office, fact.contact_minutes, fact.eviction_steps) == (1, 1, 30, [])


def test_household_months_count_contacts_by_kind(caseload):
    rollups.rebuild(now=NOW)
    m1 = HouseholdMonth.objects.filter(measure=caseload["m1"]).order_by("month")
    assert [row.month for row in m1] == [D(2024, month, 1) for month in range(1, 13)]  # planned 01/2025 contact not counted
    assert all(row.supported for row in m1)
    march, april = m1.get(month=D(2024, 3, 1)), m1.get(month=D(2024, 4, 1))
    assert (march.contacts, march.home_visit, march.phone, march.minutes) == (2, 1, 1, 75)
    assert (april.contacts, april.no_show) == (0, 1)
    # The open measure: March to June 2025 (today is 15/06/2025).
    assert list(HouseholdMonth.objects.filter(measure=caseload["m2"]).values_list("month", "contacts").order_by("month")) == [
        (D(2025, 3, 1), 0), (D(2025, 4, 1), 1), (D(2025, 5, 1), 0), (D(2025, 6, 1), 0)]


def test_project_years(caseload):
    rollups.rebuild(now=NOW)
    rows = {row.year: row for row in ProjectYear.objects.filter(project=caseload["project"])}
    assert sorted(rows) == [2023, 2024, 2025]
    assert (rows[2023].referrals, rows[2023].referrals_accepted, rows[2023].households_supported) == (1, 1, 0)
    y2024 = rows[2024]
    assert (y2024.households_supported, y2024.households_entered, y2024.households_exited, y2024.measures_active) == (1, 1, 1, 1)
    assert (y2024.household_months, y2024.contacts) == (12, 2)
    assert (y2024.planned, y2024.spent, y2024.awarded, y2024.received, y2024.paid_to_partners) == (
        Decimal("25000"), Decimal("3000"), Decimal("60000"), Decimal("30000"), Decimal("15000"))
    y2025 = rows[2025]
    assert (y2025.referrals, y2025.referrals_accepted, y2025.households_supported, y2025.households_exited) == (1, 0, 1, 0)
    assert (y2025.household_months, y2025.contacts, y2025.planned, y2025.spent, y2025.paid_to_partners) == (
        4, 1, Decimal("22000"), Decimal("0"), Decimal("5000"))


def test_target_progress_budget_funding_and_payments(caseload):
    rollups.rebuild(now=NOW)
    project = caseload["project"]
    assert list(ProjectTargetProgress.objects.filter(project=project).values_list(
        "project_year", "period_start", "period_end", "target_households", "households_supported").order_by("project_year")) == [
        (1, D(2024, 1, 1), D(2024, 12, 31), 10, 1), (2, D(2025, 1, 1), D(2025, 12, 31), 12, 1)]
    assert list(ProjectYearBudget.objects.filter(project=project).values_list("year", "kind", "planned", "spent").order_by("year", "kind")) == [
        (2024, "gla", Decimal("5000"), Decimal("1000")), (2024, "support", Decimal("20000"), Decimal("2000")),
        (2025, "support", Decimal("22000"), Decimal("0"))]
    assert list(ProjectYearFunding.objects.filter(project=project).values_list(
        "year", "funder", "programme", "requested", "awarded", "received").order_by("funder")) == [
        (2024, caseload["state"].pk, "fnavdl", Decimal("60000"), Decimal("60000"), Decimal("30000")),
        (2024, caseload["commune"].pk, "local_authority", Decimal("5000"), Decimal("0"), Decimal("0"))]
    L, A, S = caseload["landlord"].pk, caseload["association"].pk, caseload["state"].pk  # noqa: N806
    assert sorted(ProjectYearPayment.objects.filter(project=project).values_list("year", "kind", "payer", "payee", "amount", "payments")) == sorted([
        (2024, "grant_instalment", S, L, Decimal("30000"), 1), (2024, "partner_transfer", L, A, Decimal("15000"), 1),
        (2025, "partner_transfer", L, A, Decimal("5000"), 1)])


def test_breakdown(caseload):
    rollups.rebuild(now=NOW)

    def get(year, dimension, value):
        return ProjectYearBreakdown.objects.get(project=caseload["project"], year=year, dimension=dimension, value=value)

    assert get(2024, "outcome", "maintained").households == 1
    assert get(2024, "referral_source", "siao").households == 1
    assert get(2025, "referral_source", "ccapex").households == 1
    assert get(2024, "organisation", str(caseload["association"].pk)).measures == 1
    assert get(2024, "eviction_step", "payment_order").households == 1
    assert get(2024, "eviction", "avoided").households == 1
    duration = get(2024, "duration", "orientation_to_diagnostic")
    assert (duration.value_sum, duration.value_count) == (Decimal("58"), 1)
    assert get(2024, "duration", "orientation_to_move_in").value_sum == Decimal("87")
    entry, exit_ = get(2024, "arrears", "entry"), get(2024, "arrears", "exit")
    assert (entry.value_sum, exit_.value_sum, entry.value_count) == (Decimal("640"), Decimal("0"), 1)
    assert get(2024, "exit_right", "housing_benefit").households == 1
    assert not ProjectYearBreakdown.objects.filter(dimension="entry_right", value="housing_benefit").exists()
    # Contacts per household-month: value_sum / value_count.
    visits = get(2024, "contact_kind", "home_visit")
    assert (visits.value_sum, visits.value_count, visits.households) == (Decimal("1"), 12, 1)
    assert get(2024, "contact_kind", "all").value_sum == Decimal("2")
    assert get(2025, "contact_kind", "office").value_sum == Decimal("1")
    assert get(2025, "contact_kind", "office").value_count == 4
    assert get(2024, "intensity_months", "medium").value_count == 12
    assert get(2025, "intensity_months", "none").value_count == 4
    # Orientations, whether or not they led to a measure.
    assert (get(2023, "oriented_by", "siao").households, get(2023, "oriented_accepted_by", "siao").measures) == (1, 1)
    assert get(2025, "oriented_pending_by", "ccapex").households == 1
    assert get(2025, "oriented_prior_situation", "third_party").households == 1


def _snapshot() -> dict:
    """Every rollup row, without ids and computation times."""
    result = {}
    for model in rollups.ALL_TABLES:
        fields = [field.attname for field in model._meta.concrete_fields if field.attname not in ("id", "computed_at")]
        result[model._meta.model_name] = sorted(tuple(str(v) for v in row) for row in model.objects.values_list(*fields))
    return result


@pytest.fixture
def no_overlap(monkeypatch):
    monkeypatch.setattr(rollups, "OVERLAP", datetime.timedelta(0))


def test_refresh_picks_up_a_changed_contact_and_leaves_the_rest_untouched(caseload, no_overlap):
    rollups.rebuild()
    before = {fact.measure_id: fact.computed_at for fact in MeasureFact.objects.all()}
    other = build_caseload(" bis")  # created before the watermark of a rebuild: refreshed below only if it changes
    rollups.rebuild()
    stamps = {fact.measure_id: fact.computed_at for fact in MeasureFact.objects.all()}
    projects_before = {row.pk: row.computed_at for row in ProjectYear.objects.all()}

    f.ContactFactory(measure=caseload["m2"], phone=True, occurred_on=D(2025, 5, 2))
    result = rollups.refresh()

    assert (result.full, result.measures, result.projects) == (False, 1, 1)
    fact = MeasureFact.objects.get(measure=caseload["m2"])
    assert (fact.contacts, fact.contacts_phone) == (2, 1)
    assert fact.computed_at > stamps[caseload["m2"].pk]
    for measure in (caseload["m1"], other["m1"], other["m2"]):
        assert MeasureFact.objects.get(measure=measure).computed_at == stamps[measure.pk]
    assert HouseholdMonth.objects.get(measure=caseload["m2"], month=D(2025, 5, 1)).phone == 1
    # Only the changed project's aggregates were recomputed.
    untouched = ProjectYear.objects.filter(project=other["project"])
    assert all(row.computed_at == projects_before[row.pk] for row in untouched)
    assert ProjectYear.objects.get(project=caseload["project"], year=2025).contacts == 2
    assert before  # the first rebuild did compute
    mark = RollupWatermark.objects.get(name=rollups.WATERMARK)
    assert mark.refreshed_at >= fact.computed_at


def test_refresh_picks_up_a_deleted_contact_and_a_changed_measure(caseload, no_overlap):
    rollups.rebuild()
    Contact.objects.filter(pk=caseload["contacts"][0].pk).delete()  # no updated_at left behind
    measure = caseload["m2"]
    measure.intensity = "intensive"
    measure.save()
    result = rollups.refresh()
    assert result.measures == 2
    assert MeasureFact.objects.get(measure=caseload["m1"]).contacts_home_visit == 0
    assert MeasureFact.objects.get(measure=measure).intensity == "intensive"


def test_rebuild_equals_incremental_refresh(caseload, no_overlap):
    rollups.rebuild()
    f.ContactFactory(measure=caseload["m1"], kind="joint_visit", occurred_on=D(2024, 6, 3))
    Contact.objects.filter(pk=caseload["contacts"][1].pk).delete()
    m2 = caseload["m2"]
    m2.phase, m2.ended_on, m2.outcome = "ended", D(2025, 5, 31), "dropped_out"
    m2.save()
    f.SituationSnapshotFactory(measure=m2, moment="exit", observed_on=D(2025, 5, 31), rent_arrears=Decimal("120"))
    f.ExpenseFactory(budget_line=caseload["support_2024"], amount=Decimal("99.99"))
    f.PaymentFactory(project=caseload["project"], payer=caseload["landlord"], payee=caseload["association"], amount=Decimal("1"))
    f.ReferralFactory(household=caseload["h2"], source="dalo", referred_on=D(2025, 2, 1), refused=True,
                      decided_on=D(2025, 2, 10))
    rollups.refresh()
    incremental = _snapshot()
    rollups.rebuild()
    assert _snapshot() == incremental
    assert MeasureFact.objects.get(measure=m2).exit_arrears == Decimal("120")


def test_refresh_without_a_watermark_is_a_full_rebuild(caseload):
    result = rollups.refresh()
    assert result.full and MeasureFact.objects.count() == 2
    assert RollupWatermark.objects.get().full_rebuild_at is not None


def test_refresh_query_count_does_not_depend_on_the_number_of_rows(caseload, no_overlap):
    rollups.rebuild()
    f.ContactFactory(measure=caseload["m2"])
    with CaptureQueriesContext(connection) as one:
        rollups.refresh()
    for label in ("-2", "-3", "-4"):
        build_caseload(label)
    f.ContactFactory(measure=caseload["m1"])
    with CaptureQueriesContext(connection) as many:
        result = rollups.refresh()
    assert result.measures == 7  # 6 new measures + m1
    assert len(many) == len(one)
    with CaptureQueriesContext(connection) as full_small:
        rollups.rebuild()
    build_caseload("-5")
    with CaptureQueriesContext(connection) as full_big:
        rollups.rebuild()
    assert len(full_big) == len(full_small)


def test_management_command_prints_time_and_counts(caseload, capsys):
    call_command("rebuild_rollups")
    out = capsys.readouterr().out
    assert "Calcul complet en" in out and "measurefact : 2" in out and "householdmonth :" in out


# --------------------------------------------------------------------------
# Who reads which rollup rows
# --------------------------------------------------------------------------


def test_aggregates_for_national_staff_and_funders_facts_for_the_supporting_organisation(caseload):
    rollups.rebuild(now=NOW)
    other = build_caseload(" autre")
    rollups.rebuild(now=NOW)
    national = actor(f.MembershipFactory(national_staff=True))
    funder = actor(caseload["people"]["funder"])
    caseworker = actor(caseload["people"]["caseworker"])
    adviser = actor(caseload["people"]["adviser"])
    project, other_project = caseload["project"], other["project"]

    for model in (MeasureFact, HouseholdMonth):
        assert not access.visible_to(national, model).exists()
        assert not access.visible_to(funder, model).exists()
        assert not access.visible_to(adviser, model).exists()  # the social side is the association's
    assert set(access.visible_to(caseworker, MeasureFact).values_list("measure", flat=True)) == {caseload["m1"].pk, caseload["m2"].pk}
    assert not access.visible_to(caseworker, HouseholdMonth).filter(project=other_project).exists()

    for model in (ProjectYear, ProjectYearBudget, ProjectYearFunding, ProjectYearPayment, ProjectTargetProgress, ProjectYearBreakdown):
        assert set(access.visible_to(national, model).values_list("project", flat=True)) == {project.pk, other_project.pk}
        assert set(access.visible_to(funder, model).values_list("project", flat=True)) == {project.pk}  # funds P only
        assert set(access.visible_to(adviser, model).values_list("project", flat=True)) == {project.pk}
        row = access.visible_to(national, model).first()
        with pytest.raises(access.PermissionDenied):
            access.access(national, model, row.pk, action=access.CHANGE)

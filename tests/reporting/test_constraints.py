"""Constraints of the rollup tables: one row per key (the refresh deletes before it inserts).

Listed for the meta-test of ``tests/test_constraints.py`` (``COVERED``) once
``tests.reporting.test_constraints`` is in its ``CONSTRAINT_TEST_MODULES``.
"""

from __future__ import annotations

import pytest

from tests.reporting import factories as rf
from tests.test_constraints import violates

pytestmark = pytest.mark.django_db

COVERED = [
    "report_reminder_once",
    "household_month_unique",
    "project_year_unique",
    "target_progress_unique",
    "project_year_budget_unique",
    "project_year_funding_unique",
    "project_year_payment_unique",
    "project_year_breakdown_unique",
]


def test_one_household_month_per_measure_and_month():
    row = rf.HouseholdMonthFactory()
    with violates("household_month_unique"):
        rf.HouseholdMonthFactory(measure=row.measure, month=row.month)


def test_one_project_year_per_project_and_year():
    row = rf.ProjectYearFactory()
    with violates("project_year_unique"):
        rf.ProjectYearFactory(project=row.project, year=row.year)


def test_one_target_progress_per_project_year():
    row = rf.ProjectTargetProgressFactory()
    with violates("target_progress_unique"):
        rf.ProjectTargetProgressFactory(project=row.project, project_year=row.project_year)


def test_one_budget_row_per_project_year_and_kind():
    row = rf.ProjectYearBudgetFactory()
    with violates("project_year_budget_unique"):
        rf.ProjectYearBudgetFactory(project=row.project)
    assert rf.ProjectYearBudgetFactory(project=row.project, kind="gla").pk


def test_one_funding_row_per_project_year_funder_and_programme():
    row = rf.ProjectYearFundingFactory()
    with violates("project_year_funding_unique"):
        rf.ProjectYearFundingFactory(project=row.project, funder=row.funder)
    assert rf.ProjectYearFundingFactory(project=row.project, funder=row.funder, programme="cglls").pk


def test_one_payment_row_per_project_year_kind_payer_and_payee():
    row = rf.ProjectYearPaymentFactory()
    with violates("project_year_payment_unique"):
        rf.ProjectYearPaymentFactory(project=row.project, payee=row.payee)


def test_one_breakdown_row_per_project_year_dimension_and_value():
    row = rf.ProjectYearBreakdownFactory()
    with violates("project_year_breakdown_unique"):
        rf.ProjectYearBreakdownFactory(project=row.project)
    assert rf.ProjectYearBreakdownFactory(project=row.project, value="left").pk


@pytest.mark.parametrize("factory_cls", [getattr(rf, name) for name in rf.__all__], ids=rf.__all__)
def test_rollup_factories_save_side_by_side(factory_cls):
    first, second = factory_cls.create_batch(2)
    assert first.pk != second.pk
    for obj in (first, second):
        obj.full_clean(validate_constraints=True)


def test_one_reminder_per_funding_due_date_and_offset():
    reminder = rf.ReportReminderFactory()
    with violates("report_reminder_once"):
        rf.ReportReminderFactory(funding=reminder.funding)

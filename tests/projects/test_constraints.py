"""Constraints of projects: calls, sessions, projects, targets, money."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db.models import F

from projects.models import (
    Action,
    BudgetKind,
    BudgetLine,
    CallForProjects,
    CarrierRole,
    Funding,
    FundingDecision,
    Payment,
    PaymentKind,
    Project,
    ProjectCarrier,
    ProjectTarget,
    Session,
)
from tests.factories import (
    ActionFactory,
    BudgetLineFactory,
    CallForProjectsFactory,
    ExpenseFactory,
    FundingFactory,
    OrganisationFactory,
    PaymentFactory,
    ProjectCarrierFactory,
    ProjectFactory,
    ProjectTargetFactory,
    SessionFactory,
)
from tests.test_constraints import violates

pytestmark = pytest.mark.django_db

COVERED = [
    "call_unique_per_year",
    "session_unique_per_call",
    "session_retained_within_submitted",
    "session_support_non_negative",
    "project_number_unique_per_call",
    "project_dates_ordered",
    "project_cost_non_negative",
    "project_session_needs_call",
    "carrier_once_per_project",
    "action_title_unique_per_project",
    "target_one_per_project_year",
    "target_year_from_one",
    "funding_awarded_non_negative",
    "funding_requested_non_negative",
    "funding_refused_awards_nothing",
    "budget_line_unique",
    "budget_planned_non_negative",
    "budget_unit_cost_non_negative",
    "expense_amount_positive",
    "payment_amount_positive",
    "payment_payer_is_not_payee",
    "payment_instalment_has_funding",
]


# ------------------------------------------------------------ calls, sessions


def test_a_call_has_one_edition_per_year():
    CallForProjectsFactory(name="10 000 logements accompagnés", year=2015)
    with violates("call_unique_per_year"):
        CallForProjects.objects.create(name="10 000 logements accompagnés", year=2015)
    assert CallForProjectsFactory(name="10 000 logements accompagnés", year=2016).pk


def test_a_session_name_is_unique_within_its_call():
    mai = SessionFactory(name="Session de mai 2014")
    with violates("session_unique_per_call"):
        Session.objects.create(call=mai.call, name="Session de mai 2014")
    assert SessionFactory(name="Session de mai 2014").pk  # same name, another call


def test_a_session_cannot_retain_more_projects_than_submitted():
    with violates("session_retained_within_submitted"):
        SessionFactory(dossiers_submitted=40, projects_retained=41)
    assert SessionFactory(dossiers_submitted=40, projects_retained=40).pk
    assert SessionFactory(dossiers_submitted=None, projects_retained=41).pk


def test_a_session_cannot_announce_negative_support():
    session = SessionFactory()
    with violates("session_support_non_negative"):
        Session.objects.filter(pk=session.pk).update(announced_support=Decimal("-0.01"))


# ------------------------------------------------------------------ projects


def test_a_project_number_is_unique_within_its_call():
    project = ProjectFactory(number="2.3.19")
    with violates("project_number_unique_per_call"):
        ProjectFactory(call=project.call, number="2.3.19")
    assert ProjectFactory(number="2.3.19").pk  # another call
    ProjectFactory(call=None, number="9.9.9")
    with violates("project_number_unique_per_call"):  # no call: still one number
        ProjectFactory(call=None, number="9.9.9")


def test_a_project_cannot_end_before_it_starts():
    with violates("project_dates_ordered"):
        ProjectFactory(starts_on=datetime.date(2024, 1, 1), ends_on=datetime.date(2023, 12, 31))


def test_a_project_cannot_cost_a_negative_amount():
    with violates("project_cost_non_negative"):
        ProjectFactory(cost_amount=Decimal("-1"))
    assert ProjectFactory(cost_amount=Decimal("0")).pk


def test_a_project_in_a_session_belongs_to_a_call():
    project = ProjectFactory(with_session=True)
    with violates("project_session_needs_call"):
        Project.objects.filter(pk=project.pk).update(call=None)
    assert ProjectFactory(call=None, session=None).pk


def test_an_organisation_carries_a_project_once():
    partner = ProjectCarrierFactory()
    with violates("carrier_once_per_project"):
        ProjectCarrier.objects.create(project=partner.project, organisation=partner.organisation, role=CarrierRole.CO_LEAD)


def test_action_titles_are_unique_within_a_project():
    action = ActionFactory(title="Accompagnement des jeunes")
    with violates("action_title_unique_per_project"):
        Action.objects.create(project=action.project, title="Accompagnement des jeunes")


def test_a_project_has_one_target_per_year():
    project = ProjectFactory()
    first, second = ProjectTargetFactory.create_batch(2, project=project)
    assert (first.year, second.year) == (1, 2)
    with violates("target_one_per_project_year"):
        ProjectTarget.objects.create(project=project, year=1, households=12)


def test_project_years_start_at_one():
    with violates("target_year_from_one"):
        ProjectTargetFactory(year=0)


# ------------------------------------------------------------------ funding


def test_an_award_cannot_be_negative():
    with violates("funding_awarded_non_negative"):
        FundingFactory(amount_awarded=Decimal("-100"))


def test_a_request_cannot_be_negative():
    with violates("funding_requested_non_negative"):
        FundingFactory(amount_requested=Decimal("-100"))
    assert FundingFactory(amount_requested=None).pk


def test_a_refused_grant_awards_nothing():
    funding = FundingFactory(granted=True)
    with violates("funding_refused_awards_nothing"):
        Funding.objects.filter(pk=funding.pk).update(decision=FundingDecision.REFUSED)
    assert FundingFactory(refused=True).amount_awarded == 0


# ------------------------------------------------------------------- budget


def test_one_project_level_budget_line_per_kind_and_year():
    """Project-level lines have no action (NULL); two of them still collide
    because the constraint uses NULLS NOT DISTINCT."""
    line = BudgetLineFactory(kind=BudgetKind.GLA, year=2025, action=None)
    with violates("budget_line_unique"):
        BudgetLine.objects.create(project=line.project, action=None, kind=BudgetKind.GLA, year=2025, planned=1)
    assert BudgetLineFactory(project=line.project, action=None, kind=BudgetKind.GLA, year=2026).pk


def test_budget_line_unique_also_when_action_is_set():
    action = ActionFactory()
    BudgetLineFactory(project=action.project, action=action, year=2025)
    BudgetLineFactory(project=action.project, action=None, year=2025)  # the project-level line is another line
    with violates("budget_line_unique"):
        BudgetLineFactory(project=action.project, action=action, year=2025)


def test_a_planned_amount_cannot_be_negative():
    with violates("budget_planned_non_negative"):
        BudgetLineFactory(planned=Decimal("-1"))


def test_a_unit_cost_cannot_be_negative():
    with violates("budget_unit_cost_non_negative"):
        BudgetLineFactory(unit_cost=Decimal("-1"), planned=Decimal("0"))


def test_an_expense_is_positive():
    with violates("expense_amount_positive"):
        ExpenseFactory(amount=Decimal("0"))
    assert ExpenseFactory(amount=Decimal("0.01")).project is not None


# ----------------------------------------------------------------- payments


def test_a_payment_is_positive():
    with violates("payment_amount_positive"):
        PaymentFactory(amount=Decimal("0"))


def test_an_organisation_does_not_pay_itself():
    payment = PaymentFactory()
    with violates("payment_payer_is_not_payee"):
        Payment.objects.filter(pk=payment.pk).update(payee=F("payer"))


def test_a_grant_instalment_names_its_funding():
    project = ProjectFactory()
    with violates("payment_instalment_has_funding"):
        Payment.objects.create(
            project=project,
            kind=PaymentKind.GRANT_INSTALMENT,
            funding=None,
            payer=OrganisationFactory(state=True),
            payee=project.lead_landlord,
            amount=Decimal("30000"),
            paid_on=datetime.date(2024, 7, 1),
        )
    instalment = PaymentFactory(instalment=True)
    assert instalment.funding.project == instalment.project
    assert instalment.payee == instalment.project.lead_landlord
    assert PaymentFactory(funding=None).kind == PaymentKind.PARTNER_TRANSFER

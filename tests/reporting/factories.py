"""Factories of the rollup tables (synthetic rows; the real ones come from ``reporting.rollups``).

``tests/factories.py`` re-exports them (``from tests.reporting.factories
import *`` at its end) so that the meta-test "every model has a factory"
finds them; the parents are named by path to avoid a circular import.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from reporting import models as rp

__all__ = [
    "ReportReminderFactory",
    "HouseholdMonthFactory",
    "MeasureFactFactory",
    "ProjectTargetProgressFactory",
    "ProjectYearBreakdownFactory",
    "ProjectYearBudgetFactory",
    "ProjectYearFactory",
    "ProjectYearFundingFactory",
    "ProjectYearPaymentFactory",
    "RollupWatermarkFactory",
]

PROJECT = "tests.factories.ProjectFactory"
MEASURE = "tests.factories.SupportMeasureFactory"
ORGANISATION = "tests.factories.OrganisationFactory"


class RollupFactory(DjangoModelFactory):
    class Meta:
        abstract = True

    computed_at = factory.LazyFunction(timezone.now)


class MeasureFactFactory(RollupFactory):
    """The fact of a measure in the support phase (dates of ``tests.factories``)."""

    class Meta:
        model = rp.MeasureFact

    measure = factory.SubFactory(MEASURE)
    household = factory.SelfAttribute("measure.household")
    project = factory.SelfAttribute("measure.project")
    organisation = factory.SelfAttribute("measure.organisation")
    category = factory.SelfAttribute("project.category")
    departement = "69"
    kind = factory.SelfAttribute("measure.kind")
    phase = factory.SelfAttribute("measure.phase")
    intensity = factory.SelfAttribute("measure.intensity")
    oriented_on = factory.SelfAttribute("measure.identified_on")
    identified_on = factory.SelfAttribute("measure.identified_on")
    diagnostic_on = factory.SelfAttribute("measure.diagnostic_on")
    contract_signed_on = factory.SelfAttribute("measure.contract_signed_on")
    contacts = 3
    contacts_home_visit = 2
    contacts_phone = 1
    contact_rows = 3


class HouseholdMonthFactory(RollupFactory):
    class Meta:
        model = rp.HouseholdMonth

    measure = factory.SubFactory(MEASURE)
    household = factory.SelfAttribute("measure.household")
    project = factory.SelfAttribute("measure.project")
    organisation = factory.SelfAttribute("measure.organisation")
    month = factory.Sequence(lambda n: datetime.date(2024 + n // 12 % 50, n % 12 + 1, 1))
    contacts = 2
    home_visit = 1
    phone = 1
    minutes = 75


class ProjectYearFactory(RollupFactory):
    class Meta:
        model = rp.ProjectYear

    project = factory.SubFactory(PROJECT)
    year = factory.Sequence(lambda n: 2000 + n % 100)
    households_supported = 12
    household_months = 96
    contacts = 180
    planned = Decimal("20000")
    spent = Decimal("15000")


class ProjectTargetProgressFactory(RollupFactory):
    class Meta:
        model = rp.ProjectTargetProgress

    project = factory.SubFactory(PROJECT)
    project_year = factory.Sequence(lambda n: n % 100 + 1)
    target_households = 10
    households_supported = 7


class ProjectYearBudgetFactory(RollupFactory):
    class Meta:
        model = rp.ProjectYearBudget

    project = factory.SubFactory(PROJECT)
    year = 2024
    kind = "support"
    planned = Decimal("20000")
    spent = Decimal("2000")


class ProjectYearFundingFactory(RollupFactory):
    class Meta:
        model = rp.ProjectYearFunding

    project = factory.SubFactory(PROJECT)
    year = 2024
    funder = factory.SubFactory(ORGANISATION, state=True)
    programme = "fnavdl"
    requested = Decimal("60000")
    awarded = Decimal("60000")
    received = Decimal("30000")


class ProjectYearPaymentFactory(RollupFactory):
    class Meta:
        model = rp.ProjectYearPayment

    project = factory.SubFactory(PROJECT)
    year = 2024
    kind = "partner_transfer"
    payer = factory.SelfAttribute("project.lead_landlord")
    payee = factory.SubFactory(ORGANISATION, association=True)
    amount = Decimal("15000")
    payments = 1


class ProjectYearBreakdownFactory(RollupFactory):
    class Meta:
        model = rp.ProjectYearBreakdown

    project = factory.SubFactory(PROJECT)
    year = 2024
    dimension = "outcome"
    value = "maintained"
    households = 4
    measures = 4


class RollupWatermarkFactory(DjangoModelFactory):
    class Meta:
        model = rp.RollupWatermark

    name = factory.Sequence(lambda n: f"repere-{n}")
    watermark = factory.LazyFunction(timezone.now)
    refreshed_at = factory.LazyFunction(timezone.now)


class ReportReminderFactory(DjangoModelFactory):
    """A J-30 reminder sent for a granted funding whose compte rendu is due on 31/07/2025."""

    class Meta:
        model = rp.ReportReminder

    funding = factory.SubFactory(
        "tests.factories.FundingFactory", decision="granted", amount_awarded=Decimal("60000"),
        report_due_on=datetime.date(2025, 7, 31),
    )
    due_on = factory.SelfAttribute("funding.report_due_on")
    days_before = 30
    sent_at = factory.LazyFunction(timezone.now)
    recipients = factory.LazyFunction(lambda: ["cheffe@exemple.test"])

"""Legal deadlines of eviction-prevention steps, from the DeadlineRule table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Q

from core.calendar import add_months, first_day_eviction_possible, next_working_day

from .models import DeadlineRule, DeadlineUnit, EvictionStepKind

# Arrears of twice the monthly rent and charges must be reported to the CAF:
# code de la construction et de l'habitation, art. R824-1 (the unpaid rent of
# a recipient of the aide personnalisée au logement is constituted when the
# debt reaches twice the gross monthly rent and charges). To be re-checked
# on Légifrance whenever the rule table is reviewed; kept here until it
# needs a dated version of its own.
CAF_REPORT_THRESHOLD_MONTHS = Decimal(2)


@dataclass(frozen=True)
class Deadline:
    due_on: date
    rule: DeadlineRule


def applicable_rule(step_kind: str, step_date: date, lease_signed_on: date | None) -> DeadlineRule | None:
    """The rule in force on ``step_date`` for that kind of step and that lease."""
    rules = DeadlineRule.objects.filter(step_kind=step_kind, applies_from__lte=step_date)
    if lease_signed_on is not None:
        rules = rules.filter(
            Q(lease_signed_from__isnull=True) | Q(lease_signed_from__lte=lease_signed_on),
            Q(lease_signed_before__isnull=True) | Q(lease_signed_before__gt=lease_signed_on),
        )
    return rules.order_by("-applies_from", "id").first()


def apply_rule(rule: DeadlineRule, step_date: date) -> date:
    if rule.unit == DeadlineUnit.MONTHS:
        due = add_months(step_date, rule.delay)
    elif rule.unit == DeadlineUnit.WEEKS:
        due = step_date + timedelta(weeks=rule.delay)
    else:
        due = step_date + timedelta(days=rule.delay)
    if rule.move_to_working_day:
        due = next_working_day(due)
    if rule.step_kind == EvictionStepKind.ORDER_TO_LEAVE:
        # The eviction itself cannot take place during the winter truce.
        due = first_day_eviction_possible(due)
    return due


def deadline_for(step_kind: str, step_date: date, lease_signed_on: date | None) -> Deadline | None:
    rule = applicable_rule(step_kind, step_date, lease_signed_on)
    if rule is None:
        return None
    return Deadline(due_on=apply_rule(rule, step_date), rule=rule)


def must_report_to_caf(arrears: Decimal, monthly_rent_and_charges: Decimal) -> bool:
    return monthly_rent_and_charges > 0 and arrears >= CAF_REPORT_THRESHOLD_MONTHS * monthly_rent_and_charges

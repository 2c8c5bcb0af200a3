"""Legal deadlines come from the rule table (data), per step date and lease date."""

from datetime import date
from decimal import Decimal

import pytest

from housing.deadlines import deadline_for, must_report_to_caf
from housing.models import DeadlineRule, DeadlineUnit, EvictionStepKind

pytestmark = pytest.mark.django_db


def test_every_rule_cites_its_text():
    assert DeadlineRule.objects.count() >= 7
    assert not DeadlineRule.objects.filter(legal_reference="").exists()


def test_payment_order_gives_six_weeks_on_leases_signed_since_the_2023_law():
    # 02/03/2026 + 6 weeks = 13/04/2026, a Monday.
    deadline = deadline_for(EvictionStepKind.PAYMENT_ORDER, date(2026, 3, 2), lease_signed_on=date(2024, 1, 15))
    assert deadline.due_on == date(2026, 4, 13)
    assert deadline.rule.unit == DeadlineUnit.WEEKS


def test_payment_order_gives_two_months_on_older_leases():
    deadline = deadline_for(EvictionStepKind.PAYMENT_ORDER, date(2026, 3, 2), lease_signed_on=date(2019, 5, 1))
    assert deadline.due_on == date(2026, 5, 4)  # 02/05/2026 is a Saturday
    assert "antérieure" in deadline.rule.legal_reference


def test_deadline_on_a_holiday_moves_to_the_next_working_day():
    # 30/03/2026 + 6 weeks = 11/05/2026 (Monday, working). 02/04/2026 + 6 weeks = 14/05/2026, Ascension.
    deadline = deadline_for(EvictionStepKind.PAYMENT_ORDER, date(2026, 4, 2), lease_signed_on=date(2024, 1, 1))
    assert deadline.due_on == date(2026, 5, 15)


def test_ccapex_referral_allows_summons_two_months_later():
    deadline = deadline_for(EvictionStepKind.CCAPEX_REFERRAL, date(2026, 9, 10), lease_signed_on=date(2010, 1, 1))
    assert deadline.due_on == date(2026, 11, 10)


def test_summons_hearing_rule_changed_in_2023():
    before = deadline_for(EvictionStepKind.SUMMONS, date(2023, 3, 1), lease_signed_on=None)
    after = deadline_for(EvictionStepKind.SUMMONS, date(2026, 3, 2), lease_signed_on=None)
    assert before.due_on == date(2023, 5, 2)  # two months (01/05 is a holiday)
    assert after.due_on == date(2026, 4, 13)  # six weeks


def test_order_to_leave_respects_the_winter_truce():
    deadline = deadline_for(EvictionStepKind.ORDER_TO_LEAVE, date(2026, 10, 5), lease_signed_on=None)
    assert deadline.due_on == date(2027, 4, 1)  # 05/12/2026 is inside the truce


def test_police_request_silence_is_a_refusal_after_two_months():
    deadline = deadline_for(EvictionStepKind.POLICE_REQUEST, date(2026, 6, 15), lease_signed_on=None)
    assert deadline.due_on == date(2026, 8, 17)  # 15/08 holiday and Saturday, 16/08 Sunday


def test_a_new_rule_row_changes_the_deadline_without_code():
    DeadlineRule.objects.create(
        code="police-request-silence", step_kind=EvictionStepKind.POLICE_REQUEST, label="Refus implicite",
        delay=3, unit=DeadlineUnit.MONTHS, applies_from=date(2030, 1, 1), legal_reference="Loi fictive de test",
    )
    assert deadline_for(EvictionStepKind.POLICE_REQUEST, date(2029, 6, 1), None).rule.delay == 2
    assert deadline_for(EvictionStepKind.POLICE_REQUEST, date(2030, 6, 3), None).due_on == date(2030, 9, 3)


def test_no_rule_no_deadline():
    assert deadline_for(EvictionStepKind.HEARING, date(2026, 1, 5), None) is None


def test_caf_report_threshold_is_twice_the_monthly_rent_and_charges():
    assert must_report_to_caf(Decimal("1000.00"), Decimal("500.00"))
    assert not must_report_to_caf(Decimal("999.99"), Decimal("500.00"))

"""Constraints of housing: units, the lease path, attribution and eviction
prevention, and the ``lease_no_overlap`` trigger (migration 0002).

Personas: alice manages the leases at the landlord; the Martin household
occupies the unit; the association "Un Toit Pour Tous" holds the sublet.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import DataError, IntegrityError, transaction
from django.db.models import F

from housing.models import (
    AttributionDecision,
    AttributionStepKind,
    DeadlineRule,
    DeadlineUnit,
    EvictionCase,
    EvictionCaseStatus,
    EvictionStepKind,
    Glissement,
    HousingUnit,
    JudgmentResult,
    Lease,
    LeaseKind,
)
from tests.factories import (
    AttributionStepFactory,
    DeadlineRuleFactory,
    EvictionCaseFactory,
    EvictionStepFactory,
    GlissementFactory,
    HouseholdFactory,
    HousingUnitFactory,
    LeaseFactory,
    OrganisationFactory,
)
from tests.test_constraints import violates

pytestmark = pytest.mark.django_db

COVERED = [
    "lease_household_holds_direct_lease",
    "unit_rpls_unique",
    "unit_reference_unique_per_landlord",
    "unit_rent_non_negative",
    "unit_charges_non_negative",
    "unit_surface_positive",
    "lease_ends_after_start",
    "lease_exactly_one_tenant",
    "lease_association_holds_intermediated_lease",
    "lease_glissement_only_sliding",
    "lease_not_own_parent",
    "lease_rent_non_negative",
    "lease_charges_non_negative",
    "lease_no_overlap_on_unit",  # the trigger, not a Meta constraint
    "glissement_two_leases",
    "glissement_after_decision",
    "attribution_decision_only_at_caleol",
    "eviction_case_closed_after_opened",
    "eviction_case_closed_iff_not_open",
    "eviction_case_one_open_per_lease",
    "eviction_case_arrears_non_negative",
    "eviction_step_amount_non_negative",
    "eviction_step_result_only_judgment",
    "eviction_step_deadline_after_step",
    "deadline_rule_unique_version",
    "deadline_rule_positive_delay",
    "deadline_rule_window_ordered",
]

DAY = datetime.timedelta(days=1)
D = datetime.date


def overlap():
    """The trigger raises with CONSTRAINT = 'lease_no_overlap_on_unit': the
    name is in the error's diagnostics, not in its message."""
    return violates("lease_no_overlap_on_unit", in_message=False)


# -------------------------------------------------------------------- units


def test_an_rpls_id_identifies_one_unit():
    HousingUnitFactory(rpls_id="0012345678")
    with violates("unit_rpls_unique"):
        HousingUnitFactory(rpls_id="0012345678")


def test_units_without_rpls_id_or_landlord_reference_do_not_collide():
    landlord = OrganisationFactory(landlord=True)
    HousingUnitFactory.create_batch(2, landlord=landlord, rpls_id="", landlord_reference="")
    assert HousingUnit.objects.filter(landlord=landlord).count() == 2


def test_a_landlord_reference_is_unique_per_landlord():
    unit = HousingUnitFactory(landlord_reference="LYON-3-045")
    with violates("unit_reference_unique_per_landlord"):
        HousingUnitFactory(landlord=unit.landlord, landlord_reference="LYON-3-045")
    assert HousingUnitFactory(landlord_reference="LYON-3-045").pk  # another landlord


def test_a_unit_rent_cannot_be_negative():
    with violates("unit_rent_non_negative"):
        HousingUnitFactory(rent=Decimal("-1"))


def test_unit_charges_cannot_be_negative():
    with violates("unit_charges_non_negative"):
        HousingUnitFactory(charges=Decimal("-1"))


def test_a_unit_surface_is_positive_when_known():
    with violates("unit_surface_positive"):
        HousingUnitFactory(surface=Decimal("0"))
    assert HousingUnitFactory(surface=None).pk


# ------------------------------------------------------------------- leases


@pytest.mark.parametrize("write", ["insert", "update"])
def test_a_lease_does_not_end_before_it_starts(write):
    if write == "insert":
        with violates("lease_ends_after_start"):
            LeaseFactory(starts_on=D(2024, 3, 1), ends_on=D(2024, 2, 29))
    else:
        lease = LeaseFactory(starts_on=D(2024, 3, 1), ends_on=None)
        with violates("lease_ends_after_start"):
            Lease.objects.filter(pk=lease.pk).update(ends_on=D(2024, 2, 29))


def test_a_household_holds_its_direct_lease():
    association = OrganisationFactory(association=True)
    with violates("lease_household_holds_direct_lease"):
        LeaseFactory(kind="direct", tenant_household=None, tenant_organisation=association)


def test_a_one_day_lease_is_accepted():
    assert LeaseFactory(starts_on=D(2024, 3, 1), ends_on=D(2024, 3, 1)).pk


def test_a_lease_has_a_tenant():
    with violates("lease_exactly_one_tenant"):
        LeaseFactory(tenant_household=None)


def test_a_lease_has_only_one_tenant():
    lease = LeaseFactory()
    with violates("lease_exactly_one_tenant"):
        Lease.objects.filter(pk=lease.pk).update(tenant_organisation=OrganisationFactory(association=True))


@pytest.mark.parametrize("kind", [LeaseKind.SUBLET, LeaseKind.SLIDING, LeaseKind.ASSOCIATIVE, LeaseKind.RENT_INTERMEDIATION])
def test_in_a_sublet_the_association_holds_the_lease(kind):
    """In those kinds the association, not the household, owes the rent."""
    martin = HouseholdFactory()
    with violates("lease_association_holds_intermediated_lease"):
        LeaseFactory(kind=kind, occupant=martin, tenant_household=martin, tenant_organisation=None, planned_glissement_on=None)
    lease = LeaseFactory(kind=kind, occupant=martin)
    assert lease.tenant_household is None
    assert lease.rent_debtor == lease.tenant_organisation == martin.organisation


def test_the_sublet_trait_makes_the_association_the_tenant():
    sublet = LeaseFactory(sublet=True)
    assert sublet.kind == LeaseKind.SUBLET
    assert sublet.tenant_organisation.kind == "association"
    assert sublet.occupant.pk and sublet.tenant_household is None


def test_only_a_sliding_lease_plans_a_glissement():
    with violates("lease_glissement_only_sliding"):
        LeaseFactory(kind=LeaseKind.DIRECT, planned_glissement_on=D(2025, 3, 1))
    assert LeaseFactory(sliding=True).planned_glissement_on == D(2025, 3, 1)


def test_a_lease_does_not_replace_itself():
    lease = LeaseFactory()
    with violates("lease_not_own_parent"):
        Lease.objects.filter(pk=lease.pk).update(parent_lease=F("id"))


def test_a_lease_rent_cannot_be_negative():
    with violates("lease_rent_non_negative"):
        LeaseFactory(monthly_rent=Decimal("-1"))


def test_lease_charges_cannot_be_negative():
    with violates("lease_charges_non_negative"):
        LeaseFactory(monthly_charges=Decimal("-1"))


# ----------------------------------------------------- no overlap (trigger)


def test_a_lease_after_an_open_ended_lease_is_refused():
    current = LeaseFactory(ends_on=None)
    with overlap():
        LeaseFactory(unit=current.unit, starts_on=D(2030, 1, 1), signed_on=D(2029, 12, 1))


def test_an_open_ended_lease_before_an_existing_lease_is_refused():
    later = LeaseFactory(starts_on=D(2025, 1, 1), signed_on=D(2024, 12, 1), ends_on=D(2025, 12, 31))
    with overlap():
        LeaseFactory(unit=later.unit, starts_on=D(2024, 3, 1), ends_on=None)


def test_a_partially_overlapping_lease_is_refused():
    first = LeaseFactory(starts_on=D(2024, 3, 1), ends_on=D(2024, 12, 31))
    with overlap():
        LeaseFactory(unit=first.unit, starts_on=D(2024, 12, 31), ends_on=D(2025, 6, 30))  # one shared day is enough
    with overlap():
        LeaseFactory(unit=first.unit, starts_on=D(2024, 1, 1), signed_on=D(2023, 12, 1), ends_on=D(2024, 3, 1))


def test_a_lease_inside_another_is_refused():
    first = LeaseFactory(starts_on=D(2024, 3, 1), ends_on=D(2024, 12, 31))
    with overlap():
        LeaseFactory(unit=first.unit, starts_on=D(2024, 6, 1), ends_on=D(2024, 6, 30))


def test_a_lease_with_the_same_dates_is_refused():
    first = LeaseFactory(starts_on=D(2024, 3, 1), ends_on=D(2024, 12, 31))
    with overlap():
        LeaseFactory(unit=first.unit, starts_on=first.starts_on, ends_on=first.ends_on, occupant=first.occupant)


def test_an_update_that_creates_an_overlap_is_refused():
    first = LeaseFactory(starts_on=D(2024, 3, 1), ends_on=D(2024, 12, 31))
    second = LeaseFactory(unit=first.unit, starts_on=D(2025, 1, 1), signed_on=D(2024, 12, 15), ends_on=D(2025, 12, 31))
    with overlap():
        Lease.objects.filter(pk=first.pk).update(ends_on=D(2025, 1, 1))
    with overlap():
        Lease.objects.filter(pk=first.pk).update(ends_on=None)
    with overlap():
        Lease.objects.filter(pk=second.pk).update(starts_on=F("starts_on") - 2 * DAY)


def test_moving_a_lease_onto_an_occupied_unit_is_refused():
    occupied = LeaseFactory(starts_on=D(2024, 3, 1))
    elsewhere = LeaseFactory(starts_on=D(2024, 6, 1))
    with overlap():
        Lease.objects.filter(pk=elsewhere.pk).update(unit=occupied.unit)


def test_adjacent_leases_on_one_unit_are_accepted():
    """One lease ends on D-1, the next starts on D: no overlap."""
    first = LeaseFactory(starts_on=D(2024, 3, 1), ends_on=D(2024, 12, 31))
    second = LeaseFactory(unit=first.unit, starts_on=D(2025, 1, 1), signed_on=D(2024, 12, 15))
    earlier = LeaseFactory(unit=first.unit, starts_on=D(2023, 1, 1), signed_on=D(2022, 12, 1), ends_on=D(2024, 2, 29))
    assert list(Lease.objects.filter(unit=first.unit).values_list("pk", flat=True)) == [earlier.pk, first.pk, second.pk]


def test_updating_a_lease_without_touching_dates_or_unit_is_accepted():
    """The trigger compares a lease with the *other* leases of the unit, not with itself."""
    lease = LeaseFactory(starts_on=D(2024, 3, 1), ends_on=None)
    Lease.objects.filter(pk=lease.pk).update(ends_on=D(2024, 12, 31))
    Lease.objects.filter(pk=lease.pk).update(starts_on=D(2024, 2, 1), monthly_rent=Decimal("450"))
    lease.refresh_from_db()
    lease.tenant_reference = "LOC-9"
    lease.save()


def test_a_lease_on_a_unit_with_a_large_id_is_accepted():
    unit = HousingUnitFactory(id=2**31)
    assert LeaseFactory(unit=unit).pk


def test_overlapping_leases_on_different_units_are_accepted():
    martin = HouseholdFactory()
    first = LeaseFactory(occupant=martin, starts_on=D(2024, 3, 1), ends_on=None)
    second = LeaseFactory(occupant=martin, starts_on=D(2024, 3, 1), ends_on=None)
    assert first.unit != second.unit


def test_ending_the_current_lease_makes_room_for_the_next():
    """The lease path of a glissement: the association's lease ends the day
    before the household's bail direct starts, on the same unit."""
    glissement = GlissementFactory()
    assert glissement.from_lease.unit == glissement.to_lease.unit
    assert glissement.from_lease.ends_on + DAY == glissement.to_lease.starts_on
    assert glissement.to_lease.parent_lease == glissement.from_lease
    assert glissement.to_lease.tenant_household == glissement.from_lease.occupant


# --------------------------------------------------------------- glissement


def test_a_glissement_goes_from_one_lease_to_another():
    lease = LeaseFactory(sliding=True)
    with violates("glissement_two_leases"):
        Glissement.objects.create(from_lease=lease, to_lease=lease, caleol_decided_on=D(2025, 2, 6), effective_on=D(2025, 3, 1))


def test_a_glissement_takes_effect_after_the_caleol_decision():
    glissement = GlissementFactory()
    with violates("glissement_after_decision"):
        Glissement.objects.filter(pk=glissement.pk).update(effective_on=F("caleol_decided_on") - DAY)


# -------------------------------------------------------------- attribution


@pytest.mark.parametrize("kind", [AttributionStepKind.APPLICATION, AttributionStepKind.PROPOSAL, AttributionStepKind.MOVE_IN])
def test_only_the_caleol_decides(kind):
    with violates("attribution_decision_only_at_caleol"):
        AttributionStepFactory(kind=kind, decision=AttributionDecision.GRANTED)


def test_caleol_and_decision_steps_carry_a_decision():
    assert AttributionStepFactory(caleol=True).decision == AttributionDecision.GRANTED
    assert AttributionStepFactory(kind=AttributionStepKind.DECISION, decision=AttributionDecision.POSTPONED).pk


# ------------------------------------------------------- eviction prevention


def test_an_eviction_file_is_not_closed_before_it_is_opened():
    with violates("eviction_case_closed_after_opened"):
        EvictionCaseFactory(closed=True, opened_on=D(2024, 10, 7), closed_on=D(2024, 10, 6))


def test_a_closed_eviction_file_has_a_final_status_and_vice_versa():
    case = EvictionCaseFactory()
    with violates("eviction_case_closed_iff_not_open"):
        EvictionCase.objects.filter(pk=case.pk).update(closed_on=D(2025, 4, 30))
    with violates("eviction_case_closed_iff_not_open"):
        EvictionCase.objects.filter(pk=case.pk).update(status=EvictionCaseStatus.SETTLED)


def test_one_open_eviction_file_per_lease():
    case = EvictionCaseFactory()
    with violates("eviction_case_one_open_per_lease"):
        EvictionCaseFactory(lease=case.lease, opened_on=D(2025, 1, 6))


def test_a_lease_may_have_a_new_file_after_the_last_one_closed():
    closed = EvictionCaseFactory(closed=True)
    reopened = EvictionCaseFactory(lease=closed.lease, opened_on=D(2025, 9, 1))
    assert reopened.lessor == closed.lease.lessor


def test_arrears_of_a_file_cannot_be_negative():
    with violates("eviction_case_arrears_non_negative"):
        EvictionCaseFactory(arrears_amount=Decimal("-1"))


def test_an_eviction_step_amount_cannot_be_negative():
    with violates("eviction_step_amount_non_negative"):
        EvictionStepFactory(amount=Decimal("-1"))


def test_only_a_judgment_has_a_result():
    with violates("eviction_step_result_only_judgment"):
        EvictionStepFactory(kind=EvictionStepKind.HEARING, judgment_result=JudgmentResult.TERMINATION)
    assert EvictionStepFactory(judgment=True).judgment_result == JudgmentResult.DELAYS


def test_a_legal_deadline_falls_after_its_step():
    with violates("eviction_step_deadline_after_step"):
        EvictionStepFactory(payment_order=True, deadline_on=D(2024, 11, 3))
    assert EvictionStepFactory(payment_order=True, deadline_on=D(2024, 12, 16)).pk


# ------------------------------------------------------------ deadline rules


def test_a_rule_version_is_unique_by_code_and_date():
    rule = DeadlineRuleFactory(code="commandement-de-payer-test")
    with violates("deadline_rule_unique_version"):
        DeadlineRule.objects.create(
            code=rule.code, step_kind=rule.step_kind, label="Doublon", delay=2, unit=DeadlineUnit.MONTHS,
            applies_from=rule.applies_from, legal_reference="Règle de test",
        )
    assert DeadlineRuleFactory(code=rule.code, applies_from=D(2030, 1, 1)).pk  # a new version of the rule


def test_a_rule_gives_a_positive_delay():
    with violates("deadline_rule_positive_delay"):
        DeadlineRuleFactory(delay=0)


def test_a_rule_lease_window_is_ordered():
    with violates("deadline_rule_window_ordered"):
        DeadlineRuleFactory(lease_signed_from=D(2023, 7, 29), lease_signed_before=D(2023, 7, 28))

"""Housing services: what is stored, what is refused, what is audited.

Personas: ``adviser`` is the landlord adviser of landlord L, lessor of the
household's leases; ``caseworker`` is the référent of association A that
supports the household; ``stranger`` advises for another landlord M.
Legal deadlines come from the rule table loaded by ``housing.0003``.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.access import Actor
from core.models import AuditLog
from housing import services
from housing.models import (
    AttributionStep,
    AttributionStepKind,
    EvictionCase,
    EvictionCaseStatus,
    EvictionStepKind,
    Glissement,
    JudgmentResult,
    Lease,
    LeaseKind,
)
from partners.models import Role
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date


def actor(membership) -> Actor:
    return Actor(user=membership.user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


@pytest.fixture
def world():
    landlord = f.OrganisationFactory(landlord=True, name="Bailleur Lumière")
    association = f.OrganisationFactory(association=True, name="Association Abri")
    other = f.OrganisationFactory(landlord=True, name="Bailleur Montagne")
    project = f.ProjectFactory(lead_landlord=landlord)
    household = f.HouseholdFactory(organisation=association, project=project)
    people = {
        "adviser": f.MembershipFactory(organisation=landlord, role=Role.LANDLORD_ADVISER),
        "caseworker": f.MembershipFactory(organisation=association, role=Role.CASEWORKER),
        "stranger": f.MembershipFactory(organisation=other, role=Role.LANDLORD_ADVISER),
    }
    measure = f.SupportMeasureFactory(household=household, project=project, organisation=association, referent=people["caseworker"])
    f.TeamMemberFactory(measure=measure, membership=people["caseworker"], role="referent")
    unit = f.HousingUnitFactory(landlord=landlord, project=project)
    return {"landlord": landlord, "association": association, "household": household, "unit": unit, "people": people,
            "project": project}


def lease_signed(world, signed_on, **kwargs):
    return f.LeaseFactory(
        unit=world["unit"], lessor=world["landlord"], occupant=world["household"], signed_on=signed_on,
        starts_on=signed_on + datetime.timedelta(days=10), **kwargs,
    )


def open_case(world, lease, opened_on=D(2025, 10, 1)):
    return services.eviction_case_open(
        actor=actor(world["people"]["adviser"]), lease=lease, opened_on=opened_on, arrears_amount=Decimal("1234.56")
    )


def audit_rows(obj, action="create"):
    return AuditLog.objects.filter(model_label=obj._meta.label, object_id=str(obj.pk), action=action)


# ------------------------------------------------------------------ eviction steps


def test_payment_order_on_a_lease_signed_after_the_2023_law_gives_six_weeks_moved_to_a_working_day(world):
    lease = lease_signed(world, D(2024, 2, 20))
    case = open_case(world, lease)
    # 20/11/2025 + 6 weeks = Thursday 01/01/2026, jour de l'an → Friday 02/01/2026.
    step = services.eviction_step_record(
        actor=actor(world["people"]["adviser"]), case=case, kind=EvictionStepKind.PAYMENT_ORDER,
        occurred_on=D(2025, 11, 20), amount=Decimal("1500.00"), notes="Commandement délivré par huissier",
    )
    step.refresh_from_db()
    assert step.deadline_on == D(2026, 1, 2)
    assert (step.deadline_rule.delay, step.deadline_rule.unit) == (6, "weeks")
    assert "2023-668" in step.deadline_rule.legal_reference
    assert step.lessor_id == world["landlord"].pk
    rows = audit_rows(step)
    assert rows.count() == 1
    assert "notes" in rows.get().fields and "Commandement" not in str(rows.get().fields)


def test_payment_order_on_an_older_lease_gives_two_months(world):
    lease = lease_signed(world, D(2020, 1, 10))
    case = open_case(world, lease)
    step = services.eviction_step_record(
        actor=actor(world["people"]["adviser"]), case=case, kind=EvictionStepKind.PAYMENT_ORDER, occurred_on=D(2025, 11, 20),
    )
    assert step.deadline_on == D(2026, 1, 20)  # a Tuesday
    assert (step.deadline_rule.delay, step.deadline_rule.unit) == (2, "months")


def test_an_order_to_leave_falling_in_the_winter_truce_moves_to_the_first_of_april(world):
    case = open_case(world, lease_signed(world, D(2020, 1, 10)))
    step = services.eviction_step_record(
        actor=actor(world["people"]["adviser"]), case=case, kind=EvictionStepKind.ORDER_TO_LEAVE, occurred_on=D(2025, 10, 15),
    )
    assert step.deadline_on == D(2026, 4, 1)


def test_a_step_without_a_rule_has_no_deadline(world):
    case = open_case(world, lease_signed(world, D(2024, 2, 20)))
    step = services.eviction_step_record(
        actor=actor(world["people"]["adviser"]), case=case, kind=EvictionStepKind.FSL, occurred_on=D(2025, 10, 20),
        amount=Decimal("800"),
    )
    assert step.deadline_on is None and step.deadline_rule is None


def test_step_dates_in_the_future_or_before_the_file_are_refused_in_french(world):
    case = open_case(world, lease_signed(world, D(2024, 2, 20)))
    me = actor(world["people"]["adviser"])
    with pytest.raises(ValidationError) as future:
        services.eviction_step_record(
            actor=me, case=case, kind=EvictionStepKind.ARREARS, occurred_on=timezone.localdate() + datetime.timedelta(days=3),
        )
    assert "futur" in future.value.message_dict["occurred_on"][0]
    with pytest.raises(ValidationError) as before:
        services.eviction_step_record(actor=me, case=case, kind=EvictionStepKind.ARREARS, occurred_on=D(2025, 9, 1))
    assert "01/10/2025" in before.value.message_dict["occurred_on"][0]
    # Tomorrow is tolerated (a step recorded late at night, time zones).
    services.eviction_step_record(
        actor=me, case=case, kind=EvictionStepKind.ARREARS, occurred_on=timezone.localdate() + datetime.timedelta(days=1),
    )


def test_a_judgment_needs_its_result_and_only_a_judgment_has_one(world):
    case = open_case(world, lease_signed(world, D(2024, 2, 20)))
    me = actor(world["people"]["adviser"])
    with pytest.raises(ValidationError) as missing:
        services.eviction_step_record(actor=me, case=case, kind=EvictionStepKind.JUDGMENT, occurred_on=D(2025, 11, 3))
    assert "judgment_result" in missing.value.message_dict
    with pytest.raises(ValidationError):
        services.eviction_step_record(
            actor=me, case=case, kind=EvictionStepKind.HEARING, occurred_on=D(2025, 11, 3), judgment_result=JudgmentResult.DELAYS,
        )


def test_only_the_lessors_staff_record_steps(world):
    case = open_case(world, lease_signed(world, D(2024, 2, 20)))
    for who in ("caseworker", "stranger"):
        with pytest.raises(PermissionDenied):
            services.eviction_step_record(
                actor=actor(world["people"][who]), case=case, kind=EvictionStepKind.ARREARS, occurred_on=D(2025, 10, 2),
            )
    assert not case.steps.exists()


def test_one_open_file_per_lease_and_a_closed_file_takes_no_step(world):
    lease = lease_signed(world, D(2024, 2, 20))
    case = open_case(world, lease)
    assert audit_rows(case).count() == 1
    with pytest.raises(ValidationError):
        open_case(world, lease)
    me = actor(world["people"]["adviser"])
    closed = services.eviction_case_close(
        actor=me, case=case, status=EvictionCaseStatus.SETTLED, closed_on=D(2025, 12, 1), arrears_amount=Decimal("0"),
        version=case.version,
    )
    assert (closed.status, closed.closed_on, closed.arrears_amount) == (EvictionCaseStatus.SETTLED, D(2025, 12, 1), Decimal("0"))
    assert audit_rows(case, "update").count() == 1
    with pytest.raises(ValidationError):
        services.eviction_step_record(actor=me, case=closed, kind=EvictionStepKind.ARREARS, occurred_on=D(2025, 12, 2))
    # A new file can now be opened on the same lease.
    assert open_case(world, lease, opened_on=D(2025, 12, 10)).status == EvictionCaseStatus.OPEN


def test_a_file_is_not_opened_before_the_lease_starts(world):
    lease = lease_signed(world, D(2024, 2, 20))
    with pytest.raises(ValidationError) as error:
        open_case(world, lease, opened_on=D(2024, 1, 1))
    assert "opened_on" in error.value.message_dict
    assert not EvictionCase.objects.exists()


# ------------------------------------------------------------------ glissement


def test_glissement_ends_the_associations_lease_and_starts_the_households_bail_direct(world):
    household = world["household"]
    sliding = f.LeaseFactory(
        unit=world["unit"], lessor=world["landlord"], occupant=household, kind=LeaseKind.SLIDING,
        tenant_household=None, tenant_organisation=world["association"], planned_glissement_on=D(2025, 3, 1),
    )
    glissement = services.glissement_record(
        actor=actor(world["people"]["adviser"]), from_lease=sliding, caleol_decided_on=D(2025, 2, 6),
        effective_on=D(2025, 3, 1), tenant_reference="LOC-0042",
    )
    sliding.refresh_from_db()
    direct = glissement.to_lease
    assert sliding.ends_on == D(2025, 2, 28)
    assert (direct.kind, direct.tenant_household, direct.tenant_organisation) == (LeaseKind.DIRECT, household, None)
    assert (direct.parent_lease, direct.starts_on, direct.ends_on, direct.unit) == (sliding, D(2025, 3, 1), None, world["unit"])
    assert (direct.monthly_rent, direct.signed_on) == (sliding.monthly_rent, D(2025, 2, 6))
    assert Glissement.objects.get() == glissement
    assert AttributionStep.objects.filter(household=household, kind=AttributionStepKind.CALEOL, occurred_on=D(2025, 2, 6)).exists()
    assert audit_rows(sliding, "update").get().fields == ["ends_on"]
    assert audit_rows(direct).count() == 1 and audit_rows(glissement).count() == 1
    with pytest.raises(ValidationError):
        services.glissement_record(
            actor=actor(world["people"]["adviser"]), from_lease=sliding, caleol_decided_on=D(2025, 2, 6), effective_on=D(2025, 3, 1),
        )


def test_glissement_is_refused_on_a_bail_direct_and_for_the_association(world):
    direct = lease_signed(world, D(2024, 2, 20))
    with pytest.raises(ValidationError):
        services.glissement_record(
            actor=actor(world["people"]["adviser"]), from_lease=direct, caleol_decided_on=D(2025, 2, 6), effective_on=D(2025, 3, 1),
        )
    sliding = f.LeaseFactory(kind=LeaseKind.SLIDING, planned_glissement_on=D(2025, 3, 1), lessor=world["landlord"],
                             unit=f.HousingUnitFactory(landlord=world["landlord"]), occupant=world["household"])
    with pytest.raises(PermissionDenied):
        services.glissement_record(
            actor=actor(world["people"]["caseworker"]), from_lease=sliding, caleol_decided_on=D(2025, 2, 6), effective_on=D(2025, 3, 1),
        )
    assert Lease.objects.filter(kind=LeaseKind.DIRECT, parent_lease=sliding).count() == 0


def test_glissement_dates_are_checked(world):
    sliding = f.LeaseFactory(kind=LeaseKind.SLIDING, planned_glissement_on=D(2025, 3, 1), lessor=world["landlord"],
                             unit=world["unit"], occupant=world["household"])
    with pytest.raises(ValidationError) as error:
        services.glissement_record(
            actor=actor(world["people"]["adviser"]), from_lease=sliding, caleol_decided_on=D(2025, 3, 6), effective_on=D(2025, 3, 1),
        )
    assert "effective_on" in error.value.message_dict
    sliding.refresh_from_db()
    assert sliding.ends_on is None


# ------------------------------------------------------------------ attribution, leases


def test_attribution_steps_by_the_supporting_association_and_by_the_landlord_on_its_unit(world):
    household = world["household"]
    step = services.attribution_step_record(
        actor=actor(world["people"]["caseworker"]), household=household, kind=AttributionStepKind.APPLICATION,
        occurred_on=D(2025, 1, 10), notes="NUR 069250100012",
    )
    assert step.organisation_id == world["association"].pk and audit_rows(step).count() == 1
    adviser = actor(world["people"]["adviser"])
    with pytest.raises(PermissionDenied):  # the landlord names one of its units
        services.attribution_step_record(actor=adviser, household=household, kind=AttributionStepKind.PROPOSAL, occurred_on=D(2025, 2, 1))
    proposal = services.attribution_step_record(
        actor=adviser, household=household, kind=AttributionStepKind.CALEOL, occurred_on=D(2025, 2, 20), unit=world["unit"],
        decision="granted",
    )
    assert proposal.unit == world["unit"]
    with pytest.raises(ValidationError) as error:
        services.attribution_step_record(actor=adviser, household=household, kind=AttributionStepKind.CALEOL, occurred_on=D(2025, 2, 21),
                                         unit=world["unit"])
    assert "decision" in error.value.message_dict


def test_lease_update_uses_optimistic_locking(world):
    from core.services import VersionConflict

    lease = lease_signed(world, D(2024, 2, 20))
    me = actor(world["people"]["adviser"])
    updated = services.lease_update(actor=me, lease=lease, changes={"monthly_rent": Decimal("450.00")}, version=lease.version)
    assert updated.monthly_rent == Decimal("450.00") and updated.version == lease.version + 1
    with pytest.raises(VersionConflict):
        services.lease_update(actor=me, lease=lease, changes={"monthly_rent": Decimal("460.00")}, version=lease.version)
    with pytest.raises(PermissionDenied):
        services.lease_update(actor=actor(world["people"]["caseworker"]), lease=lease, changes={"monthly_rent": Decimal("1")}, version=None)

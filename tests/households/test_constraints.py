"""Constraints of households: files, orientations, consents, support.

Personas: bob is the référent (travailleur social) of the association,
charlie a colleague of his who joins the team.
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from households.models import (
    Consent,
    ConsentPurpose,
    Contact,
    GoalReview,
    GoalStatus,
    Household,
    Mandate,
    Outcome,
    Phase,
    Referral,
    ReferralDecision,
    ReviewMilestone,
    SituationSnapshot,
    SnapshotMoment,
    SupportGoal,
    SupportMeasure,
    TeamMember,
    TeamRole,
    WorkshopAttendance,
)
from tests.factories import (
    ConsentFactory,
    ContactFactory,
    GoalReviewFactory,
    HouseholdFactory,
    MandateFactory,
    MembershipFactory,
    ReferralFactory,
    SituationSnapshotFactory,
    SupportGoalFactory,
    SupportMeasureFactory,
    TeamMemberFactory,
    WorkshopAttendanceFactory,
)
from tests.test_constraints import violates

pytestmark = pytest.mark.django_db

COVERED = [
    "household_reference_unique_per_org",
    "household_resources_non_negative",
    "household_anonymised_after_archive",
    "referral_decided_after_referred",
    "referral_decision_dated",
    "referral_refusal_has_reason",
    "consent_withdrawn_after_given",
    "consent_one_active_per_partner_purpose",
    "measure_one_open_per_household_project",
    "measure_diagnostic_after_identification",
    "measure_contract_after_identification",
    "measure_end_after_start",
    "measure_watch_after_end",
    "measure_outcome_iff_ended",
    "measure_ended_phase_consistent",
    "mandate_number_unique",
    "mandate_ends_after_start",
    "team_member_once_active",
    "team_member_dates_ordered",
    "goal_closed_after_set",
    "goal_closed_iff_not_open",
    "review_one_per_milestone",
    "review_progress_percent",
    "contact_duration_within_day",
    "contact_no_show_has_no_duration",
    "attendance_once_per_household",
    "snapshot_one_per_moment",
    "snapshot_arrears_non_negative",
]

DAY = datetime.timedelta(days=1)


# ---------------------------------------------------------------- household


def test_a_file_number_is_unique_within_an_organisation():
    martin = HouseholdFactory(reference="MEN-2024-001")
    with violates("household_reference_unique_per_org"):
        Household.objects.create(organisation=martin.organisation, reference="MEN-2024-001", display_name="Ménage Bernard")
    assert HouseholdFactory(reference="MEN-2024-001").pk  # another organisation numbers its own files


def test_resources_cannot_be_negative():
    with violates("household_resources_non_negative"):
        HouseholdFactory(monthly_resources=Decimal("-0.01"))
    assert HouseholdFactory(monthly_resources=None).pk


def test_a_file_is_archived_before_it_is_anonymised():
    household = HouseholdFactory()
    with violates("household_anonymised_after_archive"):
        Household.objects.filter(pk=household.pk).update(anonymised_at=timezone.now())
    assert HouseholdFactory(anonymised=True).archived_at is not None


# ----------------------------------------------------------------- referral


def test_a_referral_is_not_decided_before_it_is_made():
    with violates("referral_decided_after_referred"):
        ReferralFactory(accepted=True, referred_on=datetime.date(2024, 1, 10), decided_on=datetime.date(2024, 1, 9))
    assert ReferralFactory(accepted=True, referred_on=datetime.date(2024, 1, 10), decided_on=datetime.date(2024, 1, 10)).pk


def test_a_decided_referral_is_dated():
    referral = ReferralFactory()
    with violates("referral_decision_dated"):
        Referral.objects.filter(pk=referral.pk).update(decision=ReferralDecision.ACCEPTED)


def test_a_refused_referral_gives_its_reason():
    with violates("referral_refusal_has_reason"):
        ReferralFactory(refused=True, refusal_reason="")
    assert ReferralFactory(refused=True).refusal_reason


# ------------------------------------------------------------------ consent


def test_a_consent_is_not_withdrawn_before_it_is_given():
    with violates("consent_withdrawn_after_given"):
        ConsentFactory(given_on=datetime.date(2024, 3, 1), withdrawn_on=datetime.date(2024, 2, 29))


def test_one_active_consent_per_partner_and_purpose():
    consent = ConsentFactory()
    with violates("consent_one_active_per_partner_purpose"):
        Consent.objects.create(
            household=consent.household, partner=consent.partner, purpose=ConsentPurpose.TENANCY, given_on=datetime.date(2024, 5, 2)
        )


def test_a_withdrawn_consent_can_be_given_again():
    """Withdrawn consents are history; a new active one is accepted next to them."""
    withdrawn = ConsentFactory(withdrawn=True)
    again = ConsentFactory(household=withdrawn.household, partner=withdrawn.partner, given_on=datetime.date(2024, 10, 1))
    other_purpose = ConsentFactory(household=withdrawn.household, partner=withdrawn.partner, purpose=ConsentPurpose.SUPPORT_PROGRESS)
    assert again.pk and other_purpose.pk


# ------------------------------------------------------------------ measure


def test_one_open_measure_per_household_and_project():
    open_measure = SupportMeasureFactory()
    with violates("measure_one_open_per_household_project"):
        SupportMeasureFactory(household=open_measure.household, project=open_measure.project)


def test_a_new_measure_may_follow_an_ended_one():
    ended = SupportMeasureFactory(ended=True)
    renewed = SupportMeasureFactory(household=ended.household, project=ended.project, identified_on=datetime.date(2025, 2, 1),
                                    diagnostic_on=None, contract_signed_on=None)
    assert renewed.project == ended.project


def test_the_diagnostic_follows_identification():
    with violates("measure_diagnostic_after_identification"):
        SupportMeasureFactory(diagnostic_on=datetime.date(2024, 1, 14))


def test_the_contract_follows_identification():
    with violates("measure_contract_after_identification"):
        SupportMeasureFactory(diagnostic_on=None, contract_signed_on=datetime.date(2024, 1, 14))


def test_a_measure_does_not_end_before_it_starts():
    with violates("measure_end_after_start"):
        SupportMeasureFactory(ended=True, diagnostic_on=None, contract_signed_on=None, ended_on=datetime.date(2024, 1, 14))


def test_active_watch_follows_the_end():
    measure = SupportMeasureFactory(watch=True)
    with violates("measure_watch_after_end"):
        SupportMeasure.objects.filter(pk=measure.pk).update(watch_until=F("ended_on") - DAY)


def test_an_ended_measure_has_an_outcome():
    with violates("measure_outcome_iff_ended"):
        SupportMeasureFactory(ended=True, outcome="")


def test_an_open_measure_has_no_outcome_yet():
    with violates("measure_outcome_iff_ended"):
        SupportMeasureFactory(outcome=Outcome.MAINTAINED)


def test_an_ended_measure_is_in_the_end_or_watch_phase():
    measure = SupportMeasureFactory(ended=True)
    with violates("measure_ended_phase_consistent"):
        SupportMeasure.objects.filter(pk=measure.pk).update(phase=Phase.SUPPORT)
    assert SupportMeasureFactory(watch=True).phase == Phase.WATCH
    open_measure = SupportMeasureFactory()
    with violates("measure_ended_phase_consistent"):  # "fin" without an end date
        SupportMeasure.objects.filter(pk=open_measure.pk).update(phase=Phase.ENDED)


# ------------------------------------------------------------------ mandate


def test_mandate_numbers_are_unique_within_a_measure():
    initial, renewal = MandateFactory.create_batch(2, measure=SupportMeasureFactory())
    assert (initial.number, renewal.number) == (1, 2)
    with violates("mandate_number_unique"):
        Mandate.objects.create(measure=initial.measure, number=2, starts_on=initial.ends_on, ends_on=initial.ends_on + 182 * DAY)


def test_a_mandate_lasts_at_least_a_day():
    with violates("mandate_ends_after_start"):
        MandateFactory(starts_on=datetime.date(2024, 1, 15), ends_on=datetime.date(2024, 1, 15))


# --------------------------------------------------------------------- team


def test_a_professional_is_active_once_in_a_team():
    bob = MembershipFactory(user__email="bob@exemple.test")
    measure = SupportMeasureFactory(referent=bob, organisation=bob.organisation, household__organisation=bob.organisation)
    TeamMemberFactory(measure=measure, membership=bob, role=TeamRole.REFERENT)
    with violates("team_member_once_active"):
        TeamMember.objects.create(measure=measure, membership=bob, role=TeamRole.REPLACEMENT, since=datetime.date(2024, 7, 1))


def test_a_professional_may_come_back_to_a_team_he_left():
    charlie = TeamMemberFactory(left=True)
    back = TeamMemberFactory(measure=charlie.measure, membership=charlie.membership, since=datetime.date(2024, 9, 1))
    assert back.until is None


def test_team_membership_does_not_end_before_it_starts():
    with violates("team_member_dates_ordered"):
        TeamMemberFactory(since=datetime.date(2024, 6, 1), until=datetime.date(2024, 5, 31))


# -------------------------------------------------------------------- goals


def test_a_goal_is_not_closed_before_it_is_set():
    with violates("goal_closed_after_set"):
        SupportGoalFactory(achieved=True, set_on=datetime.date(2024, 3, 1), closed_on=datetime.date(2024, 2, 29))


def test_a_closed_goal_is_not_open_and_an_open_goal_is_not_closed():
    goal = SupportGoalFactory()
    with violates("goal_closed_iff_not_open"):
        SupportGoal.objects.filter(pk=goal.pk).update(status=GoalStatus.ACHIEVED)
    with violates("goal_closed_iff_not_open"):
        SupportGoal.objects.filter(pk=goal.pk).update(closed_on=datetime.date(2024, 8, 1))
    SupportGoal.objects.filter(pk=goal.pk).update(status=GoalStatus.PARTLY, closed_on=datetime.date(2024, 8, 1))


def test_one_review_per_milestone_but_any_number_of_other_reviews():
    m2 = GoalReviewFactory()
    with violates("review_one_per_milestone"):
        GoalReview.objects.create(goal=m2.goal, milestone=ReviewMilestone.TWO_MONTHS, due_on=m2.due_on)
    GoalReviewFactory(goal=m2.goal, milestone=ReviewMilestone.OTHER)
    GoalReviewFactory(goal=m2.goal, milestone=ReviewMilestone.OTHER)
    assert m2.goal.reviews.count() == 3


def test_review_progress_is_a_percentage():
    with violates("review_progress_percent"):
        GoalReviewFactory(progress=101)
    assert GoalReviewFactory(six_months=True, progress=100).pk


# ----------------------------------------------------------------- contacts


def test_a_contact_lasts_at_most_a_day():
    with violates("contact_duration_within_day"):
        ContactFactory(duration_minutes=24 * 60 + 1)
    assert ContactFactory(duration_minutes=24 * 60).pk


def test_a_missed_appointment_has_no_duration():
    with violates("contact_no_show_has_no_duration"):
        ContactFactory(no_show=True, duration_minutes=30)
    assert ContactFactory(no_show=True).pk
    assert ContactFactory(no_show=True, duration_minutes=0).pk


def test_an_offline_draft_is_recorded_exactly_once():
    """Not a Meta constraint but the same promise (DESIGN.md §7): client_uuid is unique."""
    draft = uuid.uuid4()
    ContactFactory(client_uuid=draft)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactFactory(client_uuid=draft)
    assert Contact.objects.filter(client_uuid=draft).count() == 1


def test_a_household_attends_a_workshop_once():
    attendance = WorkshopAttendanceFactory()
    with violates("attendance_once_per_household"):
        WorkshopAttendance.objects.create(workshop=attendance.workshop, household=attendance.household, participants=2)


# ---------------------------------------------------------------- snapshots


def test_one_snapshot_per_moment():
    entry = SituationSnapshotFactory()
    with violates("snapshot_one_per_moment"):
        SituationSnapshot.objects.create(measure=entry.measure, moment=SnapshotMoment.ENTRY, observed_on=entry.observed_on)
    assert SituationSnapshotFactory(measure=entry.measure, exit=True).pk


def test_arrears_cannot_be_negative():
    with violates("snapshot_arrears_non_negative"):
        SituationSnapshotFactory(rent_arrears=Decimal("-1"))

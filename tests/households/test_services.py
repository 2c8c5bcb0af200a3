"""Writes to the household file (``households.services``): what is stored, what is refused, in French.

Each refusal is checked in the database too: nothing half-written. Personas
come from ``test_file_views`` (``karima`` on the team, ``sophie`` of the landlord).
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core import access
from core.access import Actor
from core.models import AuditLog
from core.services import VersionConflict
from households import services
from households.models import (
    Consent,
    ConsentPurpose,
    GoalReview,
    GoalStatus,
    Intensity,
    Mandate,
    Outcome,
    Phase,
    SupportGoal,
    SupportMeasure,
)
from households.selectors import allowed_phases
from tests import factories as f
from tests.households.test_file_views import world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


def actor(membership) -> Actor:
    return Actor(user=membership.user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


def new_measure(pair, **traits) -> SupportMeasure:
    household = f.HouseholdFactory(organisation=pair["association"], project=pair["project"])
    return f.SupportMeasureFactory(household=household, project=pair["project"], organisation=pair["association"],
                                   referent=pair["people"]["caseworker"], **traits)


def messages_of(excinfo) -> dict:
    error = excinfo.value
    return error.message_dict if hasattr(error, "error_dict") else {None: error.messages}


# --------------------------------------------------------------------------
# Phases
# --------------------------------------------------------------------------


def test_add_months_keeps_the_day_or_takes_the_last_of_the_month():
    assert services.add_months(datetime.date(2025, 1, 15), 6) == datetime.date(2025, 7, 15)
    assert services.add_months(datetime.date(2025, 8, 31), 6) == datetime.date(2026, 2, 28)
    assert services.add_months(datetime.date(2024, 11, 30), 3) == datetime.date(2025, 2, 28)


def test_allowed_phases_follow_the_life_of_a_measure(world):
    measure = SupportMeasure(phase=Phase.IDENTIFICATION)
    assert allowed_phases(measure) == [Phase.DIAGNOSTIC, Phase.ENDED]
    measure.phase = Phase.CONTRACT
    assert allowed_phases(measure) == [Phase.SUPPORT, Phase.ENDED]
    measure.phase = Phase.SUPPORT
    assert allowed_phases(measure) == [Phase.ENDED, Phase.SUPPORT]
    measure.phase = Phase.ENDED
    assert allowed_phases(measure) == [Phase.WATCH]
    measure.phase = Phase.WATCH
    assert allowed_phases(measure) == []


def test_a_measure_goes_through_every_phase(world):
    pair = world["a"]
    me = actor(pair["people"]["caseworker"])
    measure = new_measure(pair, identification=True, identified_on=TODAY - datetime.timedelta(days=200))
    meeting = f.CommitteeMeetingFactory(project=pair["project"], held_on=TODAY - datetime.timedelta(days=5))
    steps = [
        dict(target=Phase.DIAGNOSTIC, on=TODAY - datetime.timedelta(days=150), diagnostic_notes="Diagnostic partagé"),
        dict(target=Phase.CONTRACT, on=TODAY - datetime.timedelta(days=140)),
        dict(target=Phase.SUPPORT, intensity=Intensity.LIGHT),
        dict(target=Phase.SUPPORT, intensity=Intensity.INTENSIVE),
        dict(target=Phase.ENDED, on=TODAY - datetime.timedelta(days=1), outcome=Outcome.REHOUSED_DIRECT, end_meeting=meeting,
             outcome_notes="Relogé"),
        dict(target=Phase.WATCH, watch_until=TODAY + datetime.timedelta(days=90)),
    ]
    for step in steps:
        measure = services.measure_change_phase(actor=me, measure=measure, version=measure.version, **step)
    assert measure.phase == Phase.WATCH and measure.intensity == Intensity.INTENSIVE
    assert (measure.diagnostic_on, measure.contract_signed_on) == (TODAY - datetime.timedelta(days=150), TODAY - datetime.timedelta(days=140))
    assert (measure.ended_on, measure.outcome, measure.end_meeting_id) == (TODAY - datetime.timedelta(days=1), Outcome.REHOUSED_DIRECT, meeting.pk)
    assert (measure.diagnostic_notes, measure.outcome_notes) == ("Diagnostic partagé", "Relogé")
    assert measure.version == 1 + len(steps)
    rows = AuditLog.objects.filter(action="update", model_label="households.SupportMeasure", object_id=str(measure.pk))
    assert rows.count() == len(steps)
    assert "Relogé" not in str(list(rows.values_list("fields", flat=True)))


@pytest.mark.parametrize(
    ("phase_trait", "step", "field", "message"),
    [
        ("identification", dict(target=Phase.CONTRACT, on=TODAY), "target", "ne peut pas passer en « Contrat d'accompagnement signé »"),
        ("identification", dict(target=Phase.DIAGNOSTIC, on=None), "on", "Indiquez la date"),
        ("identification", dict(target=Phase.DIAGNOSTIC, on=datetime.date(2023, 12, 31)), "on", "ne peut pas précéder le repérage (15/01/2024)"),
        ("identification", dict(target=Phase.DIAGNOSTIC, on=TODAY + datetime.timedelta(days=1)), "on", "ne peut pas être dans le futur"),
        (None, dict(target=Phase.SUPPORT, intensity=""), "intensity", "Choisissez l'intensité"),
        (None, dict(target=Phase.SUPPORT, intensity=Intensity.MEDIUM), "intensity", "déjà d'intensité « Moyen »"),
        (None, dict(target=Phase.ENDED, on=TODAY, outcome=""), "outcome", "Indiquez l'issue"),
        (None, dict(target=Phase.ENDED, on=datetime.date(2024, 2, 10), outcome=Outcome.LEFT), "on", "la signature du contrat (15/02/2024)"),
        ("ended", dict(target=Phase.WATCH, watch_until=datetime.date(2024, 12, 1)), "watch_until", "avant la fin de la mesure (16/12/2024)"),
        ("watch", dict(target=Phase.WATCH, watch_until=TODAY), "target", "c'est la dernière phase"),
    ],
)
def test_phase_changes_are_checked_before_the_database(world, phase_trait, step, field, message):
    pair = world["a"]
    measure = new_measure(pair, **({phase_trait: True} if phase_trait else {}))
    with pytest.raises(ValidationError) as excinfo:
        services.measure_change_phase(actor=actor(pair["people"]["caseworker"]), measure=measure, version=measure.version, **step)
    errors = messages_of(excinfo)
    assert field in errors and any(message in text for text in errors[field]), errors
    fresh = SupportMeasure.objects.get(pk=measure.pk)
    assert (fresh.phase, fresh.version) == (measure.phase, measure.version)


def test_the_end_committee_must_be_of_the_measures_project(world):
    pair = world["a"]
    other_meeting = f.CommitteeMeetingFactory(project=world["b"]["project"], held_on=TODAY - datetime.timedelta(days=3))
    later_meeting = f.CommitteeMeetingFactory(project=pair["project"], held_on=TODAY)
    me = actor(pair["people"]["caseworker"])
    measure = pair["measure"]
    with pytest.raises(ValidationError) as excinfo:
        services.measure_change_phase(actor=me, measure=measure, version=1, target=Phase.ENDED, on=TODAY,
                                      outcome=Outcome.MAINTAINED, end_meeting=other_meeting)
    assert "Choisissez un comité du projet de la mesure." in messages_of(excinfo)["end_meeting"]
    with pytest.raises(ValidationError) as excinfo:
        services.measure_change_phase(actor=me, measure=measure, version=1, target=Phase.ENDED,
                                      on=TODAY - datetime.timedelta(days=1), outcome=Outcome.MAINTAINED, end_meeting=later_meeting)
    assert "précéder le comité" in messages_of(excinfo)["on"][0]


def test_a_stale_version_is_a_conflict_naming_what_changed(world):
    pair = world["a"]
    me = actor(pair["people"]["caseworker"])
    measure = pair["measure"]
    services.measure_change_phase(actor=me, measure=measure, version=1, target=Phase.SUPPORT, intensity=Intensity.LIGHT)
    with pytest.raises(VersionConflict) as excinfo:
        services.measure_change_phase(actor=me, measure=measure, version=1, target=Phase.SUPPORT, intensity=Intensity.INTENSIVE)
    assert excinfo.value.changed_fields == ["intensity"] and excinfo.value.current.intensity == Intensity.LIGHT


def test_only_the_team_writes_the_end_notes_and_the_landlord_writes_nothing(world):
    pair = world["a"]
    colleague = actor(pair["people"]["colleague"])
    with pytest.raises(access.FieldsNotWritable) as excinfo:
        services.measure_change_phase(actor=colleague, measure=pair["measure"], version=1, target=Phase.ENDED, on=TODAY,
                                      outcome=Outcome.MAINTAINED, outcome_notes="Pas pour moi")
    assert excinfo.value.fields == ["outcome_notes"]
    assert SupportMeasure.objects.get(pk=pair["measure"].pk).phase == Phase.SUPPORT  # rolled back
    with pytest.raises(PermissionDenied):
        services.measure_change_phase(actor=actor(pair["people"]["adviser"]), measure=pair["measure"], version=1,
                                      target=Phase.SUPPORT, intensity=Intensity.LIGHT)


# --------------------------------------------------------------------------
# Mandates
# --------------------------------------------------------------------------


def test_renewing_a_mandate_takes_the_next_number_and_the_next_day(world):
    pair = world["a"]
    me = actor(pair["people"]["caseworker"])
    last = pair["measure"].mandates.get()
    mandate = services.mandate_renew(actor=me, measure=pair["measure"])
    assert mandate.number == 2
    assert mandate.starts_on == last.ends_on + datetime.timedelta(days=1)
    assert mandate.ends_on == services.add_months(mandate.starts_on, 6) - datetime.timedelta(days=1)
    assert services.mandate_renew(actor=me, measure=pair["measure"]).number == 3
    assert AuditLog.objects.filter(action="create", model_label="households.Mandate").count() == 2


def test_a_first_mandate_starts_at_the_identification(world):
    pair = world["a"]
    measure = new_measure(pair)
    mandate = services.mandate_renew(actor=actor(pair["people"]["caseworker"]), measure=measure)
    assert (mandate.number, mandate.starts_on) == (1, measure.identified_on)


def test_mandate_dates_are_checked(world):
    pair = world["a"]
    me = actor(pair["people"]["caseworker"])
    last = pair["measure"].mandates.get()
    with pytest.raises(ValidationError) as excinfo:
        services.mandate_renew(actor=me, measure=pair["measure"], starts_on=last.ends_on, ends_on=last.ends_on + datetime.timedelta(days=30))
    assert "doit commencer après la fin du mandat n° 1" in messages_of(excinfo)["starts_on"][0]
    start = last.ends_on + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as excinfo:
        services.mandate_renew(actor=me, measure=pair["measure"], starts_on=start, ends_on=start)
    assert messages_of(excinfo)["ends_on"] == ["La fin du mandat doit être postérieure à son début."]
    ended = new_measure(pair, ended=True)
    with pytest.raises(ValidationError):
        services.mandate_renew(actor=me, measure=ended)
    assert Mandate.objects.filter(measure=pair["measure"]).count() == 1


# --------------------------------------------------------------------------
# Goals and reviews
# --------------------------------------------------------------------------


def test_a_goal_comes_with_its_two_and_six_month_reviews(world):
    pair = world["a"]
    set_on = TODAY - datetime.timedelta(days=10)
    goal = services.goal_add(actor=actor(pair["people"]["caseworker"]), measure=pair["measure"], domain="budget",
                             title="  Tenir un budget  ", set_on=set_on, notes="priorité")
    assert goal.title == "Tenir un budget" and goal.notes == "priorité"
    reviews = {r.milestone: r.due_on for r in goal.reviews.all()}
    assert reviews == {"m2": services.add_months(set_on, 2), "m6": services.add_months(set_on, 6)}


def test_goal_notes_are_the_teams(world):
    pair = world["a"]
    with pytest.raises(access.FieldsNotWritable):
        services.goal_add(actor=actor(pair["people"]["colleague"]), measure=pair["measure"], domain="budget",
                          title="Tenir un budget", set_on=TODAY, notes="pas pour moi")
    assert not SupportGoal.objects.filter(title="Tenir un budget").exists()
    goal = services.goal_add(actor=actor(pair["people"]["colleague"]), measure=pair["measure"], domain="budget",
                             title="Tenir un budget", set_on=TODAY)
    assert goal.reviews.count() == 2


def test_recording_a_review_completes_the_planned_one_and_may_close_the_goal(world):
    pair = world["a"]
    me = actor(pair["people"]["caseworker"])
    goal = services.goal_add(actor=me, measure=pair["measure"], domain="rights", title="Ouvrir l'APL",
                             set_on=TODAY - datetime.timedelta(days=70))
    review = services.goal_review_record(actor=me, goal=goal, milestone="m2", reviewed_on=TODAY, progress=40)
    assert (review.milestone, review.reviewed_on, review.progress) == ("m2", TODAY, 40)
    assert goal.reviews.count() == 2  # completed, not added
    with pytest.raises(ValidationError) as excinfo:
        services.goal_review_record(actor=me, goal=goal, milestone="m2", reviewed_on=TODAY, progress=50)
    assert "déjà enregistré" in messages_of(excinfo)["milestone"][0]
    services.goal_review_record(actor=me, goal=goal, milestone="other", reviewed_on=TODAY, progress=100,
                                goal_status=GoalStatus.ACHIEVED)
    goal.refresh_from_db()
    assert (goal.status, goal.closed_on) == (GoalStatus.ACHIEVED, TODAY)
    assert goal.reviews.count() == 3
    with pytest.raises(ValidationError):
        services.goal_review_record(actor=me, goal=goal, milestone="m6", reviewed_on=TODAY)
    assert GoalReview.objects.get(goal=goal, milestone="m6").reviewed_on is None


def test_review_input_is_checked(world):
    pair = world["a"]
    me = actor(pair["people"]["caseworker"])
    goal = pair["goal"]
    with pytest.raises(ValidationError) as excinfo:
        services.goal_review_record(actor=me, goal=goal, milestone="m6", reviewed_on=goal.set_on - datetime.timedelta(days=1),
                                    progress=120)
    errors = messages_of(excinfo)
    assert "précéder la date de l'objectif" in errors["reviewed_on"][0]
    assert errors["progress"] == ["L'avancement est un pourcentage entre 0 et 100."]


# --------------------------------------------------------------------------
# Consents and people
# --------------------------------------------------------------------------


def test_consent_is_recorded_once_and_withdrawn(world):
    pair = world["a"]
    me = actor(pair["people"]["caseworker"])
    household, landlord = pair["household"], pair["landlord"]
    consent = services.consent_record(actor=me, household=household, partner=landlord, purpose=ConsentPurpose.SOCIAL_DETAILS,
                                      given_on=TODAY - datetime.timedelta(days=2))
    assert consent.recorded_by_id == me.membership_id
    # The landlord now reads the social notes it was given consent for.
    adviser = actor(pair["people"]["adviser"])
    assert access.readable_fields(adviser, household, ["situation_notes"]) == ["situation_notes"]
    with pytest.raises(ValidationError) as excinfo:
        services.consent_record(actor=me, household=household, partner=landlord, purpose=ConsentPurpose.SOCIAL_DETAILS, given_on=TODAY)
    assert "déjà en cours" in messages_of(excinfo)["partner"][0]
    with pytest.raises(ValidationError) as excinfo:
        services.consent_withdraw(actor=me, consent=consent, withdrawn_on=TODAY - datetime.timedelta(days=5), version=consent.version)
    assert "ne peut pas précéder le recueil" in messages_of(excinfo)["withdrawn_on"][0]
    services.consent_withdraw(actor=me, consent=consent, withdrawn_on=TODAY, version=consent.version)
    assert access.readable_fields(adviser, household, ["situation_notes"]) == []
    consent.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        services.consent_withdraw(actor=me, consent=consent, withdrawn_on=TODAY, version=consent.version)
    assert "déjà été retiré" in messages_of(excinfo)[None][0]
    # A new consent may be given again after a withdrawal.
    services.consent_record(actor=me, household=household, partner=landlord, purpose=ConsentPurpose.SOCIAL_DETAILS, given_on=TODAY)
    assert Consent.objects.filter(household=household, purpose=ConsentPurpose.SOCIAL_DETAILS).count() == 2


def test_the_landlord_records_no_consent_and_adds_no_person(world):
    pair = world["a"]
    adviser = actor(pair["people"]["adviser"])
    with pytest.raises(PermissionDenied):
        services.consent_record(actor=adviser, household=pair["household"], partner=pair["landlord"],
                                purpose=ConsentPurpose.TENANCY, given_on=TODAY)
    with pytest.raises(PermissionDenied):
        services.person_add(actor=adviser, household=pair["household"], role="child", first_name="A", last_name="B")


def test_a_person_is_added_with_an_audit_row(world):
    pair = world["a"]
    person = services.person_add(actor=actor(pair["people"]["caseworker"]), household=pair["household"], role="partner",
                                 first_name=" Inès ", last_name="Martin", birth_date=datetime.date(1988, 3, 2))
    assert (person.first_name, person.organisation_id) == ("Inès", pair["association"].pk)
    row = AuditLog.objects.get(action="create", model_label="households.Person", object_id=str(person.pk))
    assert "first_name" in row.fields and "Inès" not in str(row.fields)


def test_the_household_update_service_checks_the_action(world):
    pair = world["a"]
    household = services.household_update(actor=actor(pair["people"]["caseworker"]), household=pair["household"],
                                          changes={"resources_kind": "Salaire"}, version=1)
    assert (household.resources_kind, household.version) == ("Salaire", 2)
    with pytest.raises(PermissionDenied):
        services.household_update(actor=actor(pair["people"]["adviser"]), household=household,
                                  changes={"resources_kind": "AAH"}, version=2)
    with pytest.raises(VersionConflict):
        services.household_update(actor=actor(pair["people"]["lead"]), household=household,
                                  changes={"resources_kind": "AAH"}, version=1)

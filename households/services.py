"""Every write to a household file: ``<noun>_<verb>(*, actor, ...)``.

Each service checks the action with ``core.access`` (the HTML views have
already done so through ``scoped_object``; the API will call the same
functions), validates with French messages *before* the database check
constraints would fire, and writes through ``core.services`` (atomic,
optimistic locking, field policy, audit row in the same transaction).
"""

from __future__ import annotations

import calendar
import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import access
from core.access import CHANGE, Actor
from core.services import VersionConflict, create_object, differing_fields, update_object
from partners.models import Membership
from projects.access import visible_projects
from projects.models import Action, CommitteeMeeting, Project

from .models import (
    Consent,
    ConsentPurpose,
    GoalDomain,
    GoalReview,
    GoalStatus,
    Household,
    Intensity,
    Mandate,
    MeasureKind,
    Outcome,
    Person,
    PersonRole,
    Phase,
    PriorSituation,
    Referral,
    ReferralDecision,
    ReferralSource,
    SituationSnapshot,
    SnapshotMoment,
    TeamMember,
    TeamRole,
    Workshop,
    WorkshopAttendance,
    ReviewMilestone,
    SupportGoal,
    SupportMeasure,
)
from .selectors import OPEN_PHASES, allowed_phases

#: Default length of a mandate, in months (AVDL and ASLL mandates are usually six months).
MANDATE_MONTHS = 6
#: Longest mandate accepted, in months, and how far ahead a mandate may start (typing errors such as 2062 for 2026).
MAX_MANDATE_MONTHS = 36
MAX_MANDATE_LEAD_DAYS = 366
#: Goal reviews planned when a goal is set: (milestone, months after the goal is set).
PLANNED_REVIEWS = [(ReviewMilestone.TWO_MONTHS, 2), (ReviewMilestone.SIX_MONTHS, 6)]


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later (the last day of the month when it has no such day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def _months_later(day: datetime.date, months: int) -> datetime.date:
    """``add_months`` that stops at the end of the calendar instead of failing."""
    try:
        return add_months(day, months)
    except (OverflowError, ValueError):
        return datetime.date.max


def _d(day: datetime.date) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")


def _require(actor: Actor, action: str, obj) -> None:
    if not access.can(actor, action, obj):
        raise PermissionDenied


def _not_in_future(errors: dict, name: str, day: datetime.date | None, label: str) -> None:
    if day is not None and day > timezone.localdate():
        errors.setdefault(name, []).append(_("%(label)s ne peut pas être dans le futur.") % {"label": label})


# --------------------------------------------------------------------------
# Household
# --------------------------------------------------------------------------


def household_update(*, actor: Actor, household: Household, changes: dict, version: int | None) -> Household:
    """Edit the household card (name, NUR, situation, resources, notes the actor may write)."""
    _require(actor, CHANGE, household)
    return update_object(actor=actor, obj=household, changes=changes, version=version)


def household_open(
    *,
    actor: Actor,
    reference: str,
    display_name: str,
    project: Project,
    identified_on: datetime.date,
    kind: str = MeasureKind.PROJECT,
    action: Action | None = None,
    referent: Membership | None = None,
    external_reference: str = "",
    nur: str = "",
    prior_situation: str = "",
    monthly_resources=None,
    resources_kind: str = "",
) -> Household:
    """Open a household file with its support measure (phase repérage) in the actor's organisation.

    The référent is ``referent`` (a member of the organisation) or, for a
    caseworker, the caseworker; the référent joins the measure's team.
    """
    if not access.can(actor, access.ADD, Household):
        raise PermissionDenied
    errors: dict = {}
    reference = (reference or "").strip()
    if not reference:
        errors["reference"] = [_("Indiquez le numéro de dossier.")]
    elif Household.objects.filter(organisation_id=actor.organisation_id, reference=reference).exists():
        errors["reference"] = [_("Ce numéro de dossier existe déjà dans votre organisation.")]
    if not (display_name or "").strip():
        errors["display_name"] = [_("Indiquez le nom d'usage du ménage.")]
    if project is None or not visible_projects(actor).filter(pk=project.pk).exists():
        errors["project"] = [_("Projet introuvable parmi ceux que porte votre organisation.")]
    elif action is not None and action.project_id != project.pk:
        errors["action"] = [_("Cette action n'appartient pas au projet choisi.")]
    if kind not in MeasureKind.values:
        errors["kind"] = [_("Choisissez le type de mesure.")]
    if prior_situation and prior_situation not in PriorSituation.values:
        errors["prior_situation"] = [_("Choisissez la situation avant l'entrée.")]
    _not_in_future(errors, "identified_on", identified_on, _("La date de repérage"))
    if referent is None and actor.role == access.CASEWORKER:
        referent = Membership.objects.filter(pk=actor.membership_id).first()
    if referent is not None and (referent.organisation_id != actor.organisation_id or not referent.is_active):
        errors["referent"] = [_("Le référent doit être un membre actif de votre organisation.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        household = create_object(actor=actor, obj=Household(
            organisation_id=actor.organisation_id, project=project, reference=reference,
            display_name=display_name.strip(), nur=(nur or "").strip().upper(), prior_situation=prior_situation,
            monthly_resources=monthly_resources, resources_kind=resources_kind,
        ))
        measure = create_object(actor=actor, obj=SupportMeasure(
            household=household, project=project, action=action, organisation_id=actor.organisation_id, kind=kind,
            referent=referent, identified_on=identified_on, external_reference=(external_reference or "").strip(),
        ))
        if referent is not None:
            create_object(actor=actor, obj=TeamMember(
                measure=measure, membership=referent, role=TeamRole.REFERENT, since=identified_on))
    access.forget_memo()
    return household


def person_add(
    *,
    actor: Actor,
    household: Household,
    role: str,
    first_name: str,
    last_name: str,
    birth_date: datetime.date | None = None,
    employment: str = "",
) -> Person:
    _require(actor, CHANGE, household)
    errors: dict = {}
    if role not in PersonRole.values:
        errors["role"] = [_("Choisissez la place de la personne dans le ménage.")]
    _not_in_future(errors, "birth_date", birth_date, _("La date de naissance"))
    if birth_date is not None and birth_date.year < 1900:
        errors.setdefault("birth_date", []).append(_("La date de naissance est trop ancienne."))
    if errors:
        raise ValidationError(errors)
    person = Person(
        household=household, role=role, first_name=first_name.strip(), last_name=last_name.strip(),
        birth_date=birth_date, employment=employment.strip(),
    )
    return create_object(actor=actor, obj=person)


# --------------------------------------------------------------------------
# Consents
# --------------------------------------------------------------------------


def consent_record(
    *, actor: Actor, household: Household, partner, purpose: str, given_on: datetime.date
) -> Consent:
    """The household agrees to share ``purpose`` with ``partner`` from ``given_on``."""
    _require(actor, CHANGE, household)
    errors: dict = {}
    if purpose not in ConsentPurpose.values:
        errors["purpose"] = [_("Choisissez une finalité.")]
    _not_in_future(errors, "given_on", given_on, _("La date de recueil"))
    if partner is not None and partner.pk == actor.organisation_id:
        errors["partner"] = [_("Votre organisation accompagne déjà ce ménage : aucun consentement n'est nécessaire.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        # Serialises two people recording the same consent at once.
        Household.objects.select_for_update().filter(pk=household.pk).first()
        if Consent.objects.filter(household=household, partner=partner, purpose=purpose, withdrawn_on__isnull=True).exists():
            raise ValidationError({"partner": [_("Un consentement est déjà en cours pour ce partenaire et cette finalité.")]})
        consent = Consent(
            household=household, partner=partner, purpose=purpose, given_on=given_on, recorded_by_id=actor.membership_id
        )
        return create_object(actor=actor, obj=consent)


def consent_withdraw(*, actor: Actor, consent: Consent, withdrawn_on: datetime.date, version: int | None) -> Consent:
    """The household withdraws a consent: sharing stops at once."""
    _require(actor, CHANGE, consent)
    errors: dict = {}
    if consent.withdrawn_on is not None:
        errors[None] = [_("Ce consentement a déjà été retiré le %(date)s.") % {"date": _d(consent.withdrawn_on)}]
    elif withdrawn_on < consent.given_on:
        errors["withdrawn_on"] = [
            _("Le retrait ne peut pas précéder le recueil du consentement (%(date)s).") % {"date": _d(consent.given_on)}
        ]
    _not_in_future(errors, "withdrawn_on", withdrawn_on, _("La date de retrait"))
    if errors:
        raise ValidationError(errors.pop(None) if None in errors else errors)
    return update_object(actor=actor, obj=consent, changes={"withdrawn_on": withdrawn_on}, version=version)


# --------------------------------------------------------------------------
# Support measure: phases and mandates
# --------------------------------------------------------------------------


def measure_change_phase(
    *,
    actor: Actor,
    measure: SupportMeasure,
    target: str,
    version: int | None,
    on: datetime.date | None = None,
    intensity: str = "",
    outcome: str = "",
    end_meeting: CommitteeMeeting | None = None,
    outcome_notes: str | None = None,
    diagnostic_notes: str | None = None,
    watch_until: datetime.date | None = None,
) -> SupportMeasure:
    """Move a measure to ``target`` with the date (and details) that phase needs.

    - diagnostic: ``on`` = diagnostic date (optional ``diagnostic_notes``);
    - contract: ``on`` = signature date;
    - support: ``intensity`` (also changes the intensity of a running support);
    - ended: ``on`` = end date, ``outcome``, optional ``end_meeting`` (a
      committee meeting of the measure's project) and ``outcome_notes``;
    - watch: ``watch_until``.

    Raises ``ValidationError`` (French, by field: ``target``, ``on``…),
    ``VersionConflict`` or ``FieldsNotWritable``.
    """
    _require(actor, CHANGE, measure)
    with transaction.atomic():
        current = SupportMeasure.objects.select_for_update().get(pk=measure.pk)
        if version is not None and current.version != version:
            submitted = {"phase": target, **_phase_fields(target, on=on, intensity=intensity, outcome=outcome,
                                                           end_meeting=end_meeting, watch_until=watch_until)}
            raise VersionConflict(current, differing_fields(current, submitted))
        changes = _phase_changes(
            current, target, on=on, intensity=intensity, outcome=outcome, end_meeting=end_meeting,
            outcome_notes=outcome_notes, diagnostic_notes=diagnostic_notes, watch_until=watch_until,
        )
        return update_object(actor=actor, obj=current, changes=changes, version=version)


def _phase_fields(target: str, *, on, intensity, outcome, end_meeting, watch_until) -> dict:
    """The model fields a move to ``target`` sets, as submitted (to describe a conflict)."""
    return {
        Phase.DIAGNOSTIC: {"diagnostic_on": on},
        Phase.CONTRACT: {"contract_signed_on": on},
        Phase.SUPPORT: {"intensity": intensity},
        Phase.ENDED: {"ended_on": on, "outcome": outcome, "end_meeting": end_meeting},
        Phase.WATCH: {"watch_until": watch_until},
    }.get(target, {})


def _phase_changes(measure: SupportMeasure, target: str, **given) -> dict:
    errors: dict[str, list[str]] = {}

    def error(name: str, message: str) -> None:
        errors.setdefault(name, []).append(message)

    if target not in allowed_phases(measure):
        if measure.phase == Phase.WATCH:
            error("target", _("La mesure est en veille active : c'est la dernière phase."))
        else:
            error("target", _("La mesure est en phase « %(current)s » : elle ne peut pas passer en « %(target)s ».") % {
                "current": measure.get_phase_display(),
                "target": Phase(target).label if target in Phase.values else target,
            })
        raise ValidationError(errors)
    on = given.get("on")
    today = timezone.localdate()
    changes: dict = {"phase": target}

    def check_date(label: str, not_before: list[tuple[datetime.date | None, str]]) -> None:
        if on is None:
            error("on", _("Indiquez la date : %(label)s.") % {"label": label})
            return
        if on > today:
            error("on", _("La date ne peut pas être dans le futur."))
        for bound, what in not_before:
            if bound is not None and on < bound:
                error("on", _("La date ne peut pas précéder %(what)s (%(date)s).") % {"what": what, "date": _d(bound)})

    identified = (measure.identified_on, _("le repérage"))
    if target == Phase.DIAGNOSTIC:
        check_date(_("date du diagnostic"), [identified])
        changes["diagnostic_on"] = on
        if given.get("diagnostic_notes"):
            changes["diagnostic_notes"] = given["diagnostic_notes"]
    elif target == Phase.CONTRACT:
        check_date(_("date de signature du contrat"), [identified, (measure.diagnostic_on, _("le diagnostic"))])
        changes["contract_signed_on"] = on
    elif target == Phase.SUPPORT:
        intensity = given.get("intensity") or ""
        if intensity not in Intensity.values:
            error("intensity", _("Choisissez l'intensité de l'accompagnement."))
        elif measure.phase == Phase.SUPPORT and intensity == measure.intensity:
            error("intensity", _("L'accompagnement est déjà d'intensité « %(label)s ».") % {"label": Intensity(intensity).label})
        changes["intensity"] = intensity
    elif target == Phase.ENDED:
        check_date(_("date de fin"), [
            identified, (measure.diagnostic_on, _("le diagnostic")), (measure.contract_signed_on, _("la signature du contrat")),
        ])
        outcome = given.get("outcome") or ""
        if outcome not in Outcome.values:
            error("outcome", _("Indiquez l'issue de l'accompagnement."))
        meeting = given.get("end_meeting")
        if meeting is not None:
            if meeting.project_id != measure.project_id:
                error("end_meeting", _("Choisissez un comité du projet de la mesure."))
            elif on is not None and meeting.held_on > on:
                error("on", _("La fin ne peut pas précéder le comité qui l'a décidée (%(date)s).") % {"date": _d(meeting.held_on)})
        changes.update(ended_on=on, outcome=outcome, end_meeting=meeting)
        if given.get("outcome_notes"):
            changes["outcome_notes"] = given["outcome_notes"]
    elif target == Phase.WATCH:
        watch_until = given.get("watch_until")
        if watch_until is None:
            error("watch_until", _("Indiquez la date de fin de la veille active."))
        elif measure.ended_on is not None and watch_until < measure.ended_on:
            error("watch_until", _("La veille active ne peut pas finir avant la fin de la mesure (%(date)s).") % {
                "date": _d(measure.ended_on)})
        changes["watch_until"] = watch_until
    if errors:
        raise ValidationError(errors)
    return changes


def next_mandate_defaults(measure: SupportMeasure) -> dict:
    """Number and dates of the next mandate: the day after the last one ends, for six months."""
    last = measure.mandates.order_by("-number").first()
    try:
        starts_on = last.ends_on + datetime.timedelta(days=1) if last else measure.identified_on
        ends_on = add_months(starts_on, MANDATE_MONTHS) - datetime.timedelta(days=1)
    except (OverflowError, ValueError):  # a stored date at the end of the calendar (an import, an old typo)
        starts_on = ends_on = last.ends_on if last else measure.identified_on
    return {"number": last.number + 1 if last else 1, "starts_on": starts_on, "ends_on": ends_on, "last": last}


def mandate_renew(
    *,
    actor: Actor,
    measure: SupportMeasure,
    starts_on: datetime.date | None = None,
    ends_on: datetime.date | None = None,
    decided_on: datetime.date | None = None,
) -> Mandate:
    """Add the next mandate of a running measure (the first one if it has none)."""
    _require(actor, CHANGE, measure)
    with transaction.atomic():
        # Locks the measure: two renewals at once get numbers one after the other.
        measure = SupportMeasure.objects.select_for_update().get(pk=measure.pk)
        defaults = next_mandate_defaults(measure)
        starts_on = starts_on or defaults["starts_on"]
        ends_on = ends_on or _months_later(starts_on, MANDATE_MONTHS) - datetime.timedelta(days=1)
        errors: dict = {}
        if measure.phase not in OPEN_PHASES:
            raise ValidationError(_("La mesure est terminée : son mandat ne peut plus être renouvelé."))
        last = defaults["last"]
        if last is not None and starts_on <= last.ends_on:
            errors["starts_on"] = [_("Le nouveau mandat doit commencer après la fin du mandat n° %(n)s (%(date)s).") % {
                "n": last.number, "date": _d(last.ends_on)}]
        if starts_on < measure.identified_on:
            errors.setdefault("starts_on", []).append(
                _("Le mandat ne peut pas commencer avant le repérage (%(date)s).") % {"date": _d(measure.identified_on)})
        if ends_on <= starts_on:
            errors["ends_on"] = [_("La fin du mandat doit être postérieure à son début.")]
        elif ends_on > _months_later(starts_on, MAX_MANDATE_MONTHS):
            errors["ends_on"] = [_("Un mandat dure au plus %(n)d mois : vérifiez la date de fin.") % {"n": MAX_MANDATE_MONTHS}]
        if starts_on > timezone.localdate() + datetime.timedelta(days=MAX_MANDATE_LEAD_DAYS):
            errors.setdefault("starts_on", []).append(_("Le mandat commence au plus tard dans un an : vérifiez l'année."))
        _not_in_future(errors, "decided_on", decided_on, _("La date de décision"))
        if errors:
            raise ValidationError(errors)
        mandate = Mandate(measure=measure, number=defaults["number"], starts_on=starts_on, ends_on=ends_on, decided_on=decided_on)
        return create_object(actor=actor, obj=mandate)


# --------------------------------------------------------------------------
# Goals and their reviews
# --------------------------------------------------------------------------


def goal_add(
    *, actor: Actor, measure: SupportMeasure, domain: str, title: str, set_on: datetime.date, notes: str = ""
) -> SupportGoal:
    """A goal of the support plan, with its reviews planned at 2 and 6 months."""
    _require(actor, CHANGE, measure)
    errors: dict = {}
    if measure.phase not in OPEN_PHASES:
        raise ValidationError(_("La mesure est terminée : on ne peut plus y ajouter d'objectif."))
    if domain not in GoalDomain.values:
        errors["domain"] = [_("Choisissez un domaine.")]
    if not (title or "").strip():
        errors["title"] = [_("Décrivez l'objectif.")]
    _not_in_future(errors, "set_on", set_on, _("La date de l'objectif"))
    if set_on < measure.identified_on:
        errors.setdefault("set_on", []).append(
            _("L'objectif ne peut pas précéder le repérage (%(date)s).") % {"date": _d(measure.identified_on)})
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        goal = create_object(
            actor=actor, obj=SupportGoal(measure=measure, domain=domain, title=title.strip(), set_on=set_on, notes=notes)
        )
        for milestone, months in PLANNED_REVIEWS:
            create_object(actor=actor, obj=GoalReview(goal=goal, milestone=milestone, due_on=add_months(set_on, months)))
    return goal


def goal_review_record(
    *,
    actor: Actor,
    goal: SupportGoal,
    milestone: str,
    reviewed_on: datetime.date,
    progress: int | None = None,
    notes: str = "",
    goal_status: str = GoalStatus.OPEN,
) -> GoalReview:
    """Record a review of a goal: completes the planned 2- or 6-month review, or adds another one.

    ``goal_status`` other than "en cours" closes the goal on the review date.
    """
    _require(actor, CHANGE, goal)
    errors: dict = {}
    if milestone not in ReviewMilestone.values:
        errors["milestone"] = [_("Choisissez l'échéance du bilan.")]
    _not_in_future(errors, "reviewed_on", reviewed_on, _("La date du bilan"))
    if reviewed_on < goal.set_on:
        errors.setdefault("reviewed_on", []).append(
            _("Le bilan ne peut pas précéder la date de l'objectif (%(date)s).") % {"date": _d(goal.set_on)})
    if progress is not None and not 0 <= progress <= 100:
        errors["progress"] = [_("L'avancement est un pourcentage entre 0 et 100.")]
    if goal_status not in GoalStatus.values:
        errors["goal_status"] = [_("Choisissez le statut de l'objectif.")]
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        goal = SupportGoal.objects.select_for_update().get(pk=goal.pk)
        if goal.status != GoalStatus.OPEN:
            raise ValidationError(_("Cet objectif est clos : il n'a plus de bilan à enregistrer."))
        values = {"reviewed_on": reviewed_on, "progress": progress}
        if notes:
            values["notes"] = notes
        planned = None
        if milestone != ReviewMilestone.OTHER:
            planned = goal.reviews.filter(milestone=milestone).first()
        if planned is not None and planned.reviewed_on is not None:
            raise ValidationError({"milestone": [_("Le %(milestone)s de cet objectif est déjà enregistré (%(date)s).") % {
                "milestone": ReviewMilestone(milestone).label.lower(), "date": _d(planned.reviewed_on)}]})
        if planned is not None:
            review = update_object(actor=actor, obj=planned, changes=values, version=None)
        else:
            review = create_object(actor=actor, obj=GoalReview(goal=goal, milestone=milestone, due_on=reviewed_on, **values))
        if goal_status != GoalStatus.OPEN:
            update_object(actor=actor, obj=goal, changes={"status": goal_status, "closed_on": reviewed_on}, version=None)
    return review


# --------------------------------------------------------------------------
# Referrals
# --------------------------------------------------------------------------


def referral_record(
    *,
    actor: Actor,
    household: Household,
    source: str,
    referred_on: datetime.date,
    project: Project | None = None,
    referring_organisation=None,
    prior_situation: str = "",
) -> Referral:
    """An orientation of the household towards a project (decision pending)."""
    _require(actor, CHANGE, household)
    errors: dict = {}
    if source not in ReferralSource.values:
        errors["source"] = [_("Choisissez qui oriente le ménage.")]
    if prior_situation and prior_situation not in PriorSituation.values:
        errors["prior_situation"] = [_("Choisissez la situation au moment de l'orientation.")]
    if project is not None and not visible_projects(actor).filter(pk=project.pk).exists():
        errors["project"] = [_("Projet introuvable parmi ceux que porte votre organisation.")]
    _not_in_future(errors, "referred_on", referred_on, _("La date d'orientation"))
    if errors:
        raise ValidationError(errors)
    return create_object(actor=actor, obj=Referral(
        household=household, project=project, source=source, referring_organisation=referring_organisation,
        referred_on=referred_on, prior_situation=prior_situation,
    ))


def referral_decide(
    *, actor: Actor, referral: Referral, decision: str, decided_on: datetime.date, refusal_reason: str = "",
    version: int | None,
) -> Referral:
    """Accept or refuse an orientation (a refusal gives its reason)."""
    _require(actor, CHANGE, referral)
    errors: dict = {}
    if decision not in (ReferralDecision.ACCEPTED, ReferralDecision.REFUSED):
        errors["decision"] = [_("Choisissez « acceptée » ou « refusée ».")]
    if referral.decision != ReferralDecision.PENDING:
        errors["decision"] = [_("Cette orientation a déjà été décidée le %(date)s.") % {"date": _d(referral.decided_on)}]
    _not_in_future(errors, "decided_on", decided_on, _("La date de décision"))
    if decided_on < referral.referred_on:
        errors.setdefault("decided_on", []).append(
            _("La décision ne peut pas précéder l'orientation (%(date)s).") % {"date": _d(referral.referred_on)})
    refusal_reason = (refusal_reason or "").strip()
    if decision == ReferralDecision.REFUSED and not refusal_reason:
        errors["refusal_reason"] = [_("Indiquez le motif du refus.")]
    if errors:
        raise ValidationError(errors)
    changes = {"decision": decision, "decided_on": decided_on}
    if refusal_reason:
        changes["refusal_reason"] = refusal_reason
    return update_object(actor=actor, obj=referral, changes=changes, version=version)


# --------------------------------------------------------------------------
# Outcomes: the situation at entry, at exit and 12 months after
# --------------------------------------------------------------------------

SNAPSHOT_FIELDS = ("rent_arrears", "housing_benefit", "minimum_income", "health_cover", "employed", "still_housed")


def snapshot_record(*, actor: Actor, measure: SupportMeasure, moment: str, observed_on: datetime.date, **values) -> SituationSnapshot:
    """Record the household's situation at one moment of its measure (once per moment)."""
    _require(actor, CHANGE, measure)
    errors: dict = {}
    if moment not in SnapshotMoment.values:
        errors["moment"] = [_("Choisissez le moment.")]
    elif SituationSnapshot.objects.filter(measure=measure, moment=moment).exists():
        errors["moment"] = [_("La situation « %(moment)s » est déjà enregistrée pour cette mesure : modifiez-la.") % {
            "moment": SnapshotMoment(moment).label}]
    if moment in (SnapshotMoment.EXIT, SnapshotMoment.FOLLOW_UP) and measure.ended_on is None:
        errors.setdefault("moment", []).append(_("La mesure n'est pas terminée : seule la situation à l'entrée peut être saisie."))
    _not_in_future(errors, "observed_on", observed_on, _("La date du constat"))
    if observed_on < measure.identified_on:
        errors.setdefault("observed_on", []).append(
            _("Le constat ne peut pas précéder le repérage (%(date)s).") % {"date": _d(measure.identified_on)})
    unknown = set(values) - set(SNAPSHOT_FIELDS)
    if unknown:
        raise TypeError(f"unknown snapshot fields: {sorted(unknown)}")
    if errors:
        raise ValidationError(errors)
    return create_object(actor=actor, obj=SituationSnapshot(measure=measure, moment=moment, observed_on=observed_on, **values))


def snapshot_update(*, actor: Actor, snapshot: SituationSnapshot, changes: dict, version: int | None) -> SituationSnapshot:
    _require(actor, CHANGE, snapshot)
    errors: dict = {}
    if "observed_on" in changes:
        _not_in_future(errors, "observed_on", changes["observed_on"], _("La date du constat"))
    if errors:
        raise ValidationError(errors)
    return update_object(actor=actor, obj=snapshot, changes=changes, version=version)


# --------------------------------------------------------------------------
# Workshops
# --------------------------------------------------------------------------


def workshop_create(*, actor: Actor, project: Project | None = None, **values) -> Workshop:
    """A collective workshop organised by the actor's organisation."""
    if not access.can(actor, access.ADD, Workshop):
        raise PermissionDenied
    if project is not None and not visible_projects(actor).filter(pk=project.pk).exists():
        raise ValidationError({"project": [_("Projet introuvable parmi ceux que porte votre organisation.")]})
    return create_object(actor=actor, obj=Workshop(organisation_id=actor.organisation_id, project=project, **values))


def workshop_update(*, actor: Actor, workshop: Workshop, changes: dict, version: int | None) -> Workshop:
    _require(actor, CHANGE, workshop)
    project = changes.get("project")
    if project is not None and not visible_projects(actor).filter(pk=project.pk).exists():
        raise ValidationError({"project": [_("Projet introuvable parmi ceux que porte votre organisation.")]})
    return update_object(actor=actor, obj=workshop, changes=changes, version=version)


def attendance_record(
    *, actor: Actor, workshop: Workshop, household: Household, attended: bool = True, participants: int = 1
) -> WorkshopAttendance:
    """A household at a workshop of the actor's organisation (once per household)."""
    _require(actor, CHANGE, workshop)
    _require(actor, CHANGE, household)
    errors: dict = {}
    if WorkshopAttendance.objects.filter(workshop=workshop, household=household).exists():
        errors["household"] = [_("Ce ménage est déjà inscrit à cet atelier.")]
    if participants < 1:
        errors["participants"] = [_("Au moins une personne.")]
    if workshop.capacity and WorkshopAttendance.objects.filter(workshop=workshop).count() >= workshop.capacity:
        errors["workshop"] = [_("L'atelier est complet (%(n)d places).") % {"n": workshop.capacity}]
    if errors:
        raise ValidationError(errors)
    return create_object(actor=actor, obj=WorkshopAttendance(
        workshop=workshop, household=household, attended=attended, participants=participants))

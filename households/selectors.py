"""Reads of household data that are more than a queryset chain.

Every read starts from ``core.access.visible_to``; the list annotates each
row with correlated subqueries (current measure, last and next contact,
mandate end) so that a page costs the same number of queries whatever its
size, and the household file prefetches its sections once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Case, Count, F, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from core import access
from core.access import CHANGE, Actor

from .access import active_team_q
from .models import (
    Consent,
    Contact,
    ContactStatus,
    GoalReview,
    GoalStatus,
    Household,
    Mandate,
    Person,
    Phase,
    Referral,
    SupportGoal,
    SupportMeasure,
    TeamMember,
    TeamRole,
)

#: Team members in the order a reader expects: référent first, team lead last.
TEAM_ORDER = [TeamRole.REFERENT, TeamRole.CO_REFERENT, TeamRole.REPLACEMENT, TeamRole.LEAD]

#: Phases in the order a measure goes through them.
PHASE_ORDER = [Phase.IDENTIFICATION, Phase.DIAGNOSTIC, Phase.CONTRACT, Phase.SUPPORT, Phase.ENDED, Phase.WATCH]
OPEN_PHASES = frozenset({Phase.IDENTIFICATION, Phase.DIAGNOSTIC, Phase.CONTRACT, Phase.SUPPORT})

#: Alerts of the household file.
MANDATE_WARNING_DAYS = 30
NO_CONTACT_DAYS = 30
#: Contacts shown in the household file ("voir tout" leads to the paginated list).
FILE_CONTACTS = 20

NEVER = datetime.date(1900, 1, 1)
FAR_FUTURE = datetime.date(9999, 12, 31)


def current_measures(household_ref: str = "pk") -> QuerySet:
    """Measures of the outer household, the current one first: the open one, else the last ended.

    Measures are visible exactly with their household (``HouseholdChildPolicy``),
    so the rows of a visible household need no further scoping here.
    """
    return SupportMeasure.objects.filter(household=OuterRef(household_ref)).order_by(
        F("ended_on").desc(nulls_first=True), "-identified_on", "-pk"
    )


def allowed_phases(measure: SupportMeasure) -> list[str]:
    """Phases a measure may move to: the next one; the end from any open phase;
    the intensity of the support may change while it runs."""
    phase = measure.phase
    if phase == Phase.WATCH:
        return []
    if phase == Phase.ENDED:
        return [Phase.WATCH]
    following = PHASE_ORDER[PHASE_ORDER.index(phase) + 1]
    targets = [following]
    if phase == Phase.SUPPORT:
        targets.append(Phase.SUPPORT)
    elif following != Phase.ENDED:
        targets.append(Phase.ENDED)
    return targets


def with_current_phase(queryset: QuerySet) -> QuerySet:
    return queryset.annotate(current_phase=Subquery(current_measures().values("phase")[:1]))


def phase_rank() -> Case:
    return Case(
        *[When(current_phase=phase, then=Value(rank)) for rank, phase in enumerate(PHASE_ORDER)],
        default=Value(-1),
        output_field=IntegerField(),
    )


def household_list(actor: Actor, queryset: QuerySet | None = None) -> QuerySet:
    """Visible households with the columns of the list, one row each.

    Contacts, like measures, are visible with their household; mandates
    belong to the support file (the supporting organisation, or a partner
    with consent), so their subquery goes through the access policy.
    """
    today = timezone.localdate()
    households = access.visible_to(actor, queryset if queryset is not None else Household.objects.all())
    current = current_measures()
    done = Contact.objects.filter(household=OuterRef("pk"), status=ContactStatus.DONE, occurred_on__lte=today)
    planned = Contact.objects.filter(household=OuterRef("pk"), status=ContactStatus.PLANNED, occurred_on__gte=today)
    mandates = access.visible_to(
        actor, Mandate.objects.filter(measure__household=OuterRef("pk"), measure__ended_on__isnull=True)
    )
    return households.annotate(
        current_phase=Subquery(current.values("phase")[:1]),
        current_intensity=Subquery(current.values("intensity")[:1]),
        current_outcome=Subquery(current.values("outcome")[:1]),
        referent_first_name=Subquery(current.filter(ended_on__isnull=True).values("referent__user__first_name")[:1]),
        referent_last_name=Subquery(current.filter(ended_on__isnull=True).values("referent__user__last_name")[:1]),
        last_contact=Subquery(done.order_by("-occurred_on").values("occurred_on")[:1]),
        next_contact=Subquery(planned.order_by("occurred_on").values("occurred_on")[:1]),
        mandate_ends_on=Subquery(mandates.order_by("-ends_on").values("ends_on")[:1]),
    ).annotate(
        phase_rank=phase_rank(),
        last_contact_sort=Coalesce("last_contact", Value(NEVER)),
        next_contact_sort=Coalesce("next_contact", Value(FAR_FUTURE)),
        mandate_sort=Coalesce("mandate_ends_on", Value(FAR_FUTURE)),
    )


# --------------------------------------------------------------------------
# The household file
# --------------------------------------------------------------------------


@dataclass
class PhaseStep:
    phase: str
    label: str
    state: str  # "done", "current" or ""
    detail: str = ""
    on: datetime.date | None = None


@dataclass
class MeasureFile:
    measure: SupportMeasure
    can_change: bool
    notes: dict[str, str]  # readable protected notes of the measure
    contact_note_readable: bool
    steps: list[PhaseStep]
    mandates: list[Mandate]
    team: list[TeamMember]
    goals: list[SupportGoal]
    next_phases: list[tuple[str, str]] = field(default_factory=list)
    current_mandate: Mandate | None = None
    mandate_days_left: int | None = None

    @property
    def is_open(self) -> bool:
        return self.measure.ended_on is None

    @property
    def renewals(self) -> int:
        return max(len(self.mandates) - 1, 0)


@dataclass
class Alert:
    level: str  # "warning" or "error"
    text: str


@dataclass
class HouseholdFile:
    household: Household
    can_change: bool
    notes: dict[str, str]
    show_violence_flag: bool
    people: list[Person]
    situation_readable: bool  # situation before entry and resources (the social side)
    referrals: list[Referral]
    refusal_reason_readable: bool
    consents: list[Consent]
    measures: list[MeasureFile]
    contacts: list[Contact]
    contacts_total: int
    last_contact: datetime.date | None
    alerts: list[Alert] = field(default_factory=list)

    @property
    def current(self) -> MeasureFile | None:
        return self.measures[0] if self.measures else None

    @property
    def any_goals_visible(self) -> bool:
        """Some measure shows goals, or lets the actor add one."""
        return any(mf.goals or (mf.can_change and mf.is_open) for mf in self.measures)


HOUSEHOLD_NOTES = ["situation_notes", "health_notes", "justice_notes", "violence_notes"]
MEASURE_NOTES = ["diagnostic_notes", "outcome_notes"]


def age_on(birth_date: datetime.date | None, today: datetime.date) -> int | None:
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


def phase_steps(measure: SupportMeasure) -> list[PhaseStep]:
    """The stepper: repérage → diagnostic → contrat → accompagnement → fin → veille active."""
    current = PHASE_ORDER.index(measure.phase)
    details = {
        Phase.IDENTIFICATION: (measure.identified_on, ""),
        Phase.DIAGNOSTIC: (measure.diagnostic_on, ""),
        Phase.CONTRACT: (measure.contract_signed_on, ""),
        Phase.SUPPORT: (None, measure.get_intensity_display() if measure.intensity else ""),
        Phase.ENDED: (measure.ended_on, measure.get_outcome_display() if measure.outcome else ""),
        Phase.WATCH: (measure.watch_until, ""),
    }
    # A measure may end from any open phase: a phase it never went through is not "done".
    reached = {
        Phase.IDENTIFICATION: True,
        Phase.DIAGNOSTIC: measure.diagnostic_on is not None,
        Phase.CONTRACT: measure.contract_signed_on is not None,
        Phase.SUPPORT: bool(measure.intensity) or measure.contract_signed_on is not None,
        Phase.ENDED: measure.ended_on is not None,
        Phase.WATCH: measure.watch_until is not None,
    }
    steps = []
    for rank, phase in enumerate(PHASE_ORDER):
        state = "current" if rank == current else "done" if rank < current and reached[phase] else ""
        on, detail = details[phase]
        if not state:
            on, detail = None, ""
        steps.append(PhaseStep(phase=phase, label=Phase(phase).label, state=state, detail=detail, on=on))
    return steps


def _measure_file(actor: Actor, household: Household, measure: SupportMeasure, today: datetime.date) -> MeasureFile:
    readable = access.readable_fields(actor, measure, MEASURE_NOTES)
    sample_contact = Contact(measure=measure, household=household, organisation_id=measure.organisation_id)
    mandates = list(measure.mandates.all())
    current_mandate = mandates[-1] if mandates else None
    return MeasureFile(
        measure=measure,
        can_change=access.can(actor, CHANGE, measure),
        notes={name: getattr(measure, name) for name in readable},
        contact_note_readable=bool(access.readable_fields(actor, sample_contact, ["note"])),
        steps=phase_steps(measure),
        mandates=mandates,
        team=sorted(measure.team.all(), key=lambda member: TEAM_ORDER.index(member.role)),
        goals=list(measure.goals.all()),
        next_phases=[(phase, Phase(phase).label) for phase in allowed_phases(measure)],
        current_mandate=current_mandate,
        mandate_days_left=(current_mandate.ends_on - today).days if current_mandate else None,
    )


def _alerts(file: HouseholdFile, today: datetime.date) -> list[Alert]:
    from django.utils.formats import date_format
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    alerts = []
    open_measures = [m for m in file.measures if m.is_open]
    for mf in open_measures:
        if mf.current_mandate is None:
            continue
        days = mf.mandate_days_left
        end = date_format(mf.current_mandate.ends_on, "SHORT_DATE_FORMAT")
        if days < 0:
            alerts.append(Alert("error", _("Le mandat est échu depuis le %(date)s : renouvelez-le ou clôturez la mesure.") % {"date": end}))
        elif days <= MANDATE_WARNING_DAYS:
            alerts.append(Alert("warning", ngettext(
                "Le mandat se termine dans %(n)d jour (le %(date)s).",
                "Le mandat se termine dans %(n)d jours (le %(date)s).", days,
            ) % {"n": days, "date": end}))
    if open_measures:
        if file.last_contact is None:
            alerts.append(Alert("warning", _("Aucun contact réalisé n'est enregistré pour ce ménage.")))
        elif (today - file.last_contact).days > NO_CONTACT_DAYS:
            days = (today - file.last_contact).days
            alerts.append(Alert("warning", ngettext(
                "Aucun contact depuis %(n)d jour.", "Aucun contact depuis %(n)d jours.", days) % {"n": days}))
    overdue = sum(
        1
        for mf in open_measures
        for goal in mf.goals
        if goal.status == GoalStatus.OPEN
        for review in goal.reviews.all()
        if review.reviewed_on is None and review.due_on < today
    )
    if overdue:
        alerts.append(Alert("error", ngettext(
            "%(n)d bilan d'objectif est en retard.", "%(n)d bilans d'objectif sont en retard.", overdue) % {"n": overdue}))
    return alerts


def household_file(actor: Actor, household: Household) -> HouseholdFile:
    """Everything the household file shows to ``actor``, each section read once.

    Rows come from ``access.visible_to`` (the landlord gets no mandate, team
    or goal without consent), protected fields from ``access.readable_fields``.
    The number of queries does not depend on the number of contacts, goals
    or people (prefetches; contacts capped at :data:`FILE_CONTACTS`).
    """
    today = timezone.localdate()
    notes_readable = access.readable_fields(actor, household, HOUSEHOLD_NOTES)
    people = list(access.visible_to(actor, Person).filter(household=household).order_by("role", "birth_date", "pk"))
    role_order = {"head": 0, "partner": 1, "child": 2, "other": 3}
    people.sort(key=lambda p: (role_order.get(p.role, 9), p.birth_date or NEVER))
    for person in people:
        person.age = age_on(person.birth_date, today)
    referrals = list(
        access.visible_to(actor, Referral).filter(household=household).select_related("referring_organisation", "project")
    )
    refusal_readable = bool(referrals) and bool(access.readable_fields(actor, referrals[0], ["refusal_reason"]))
    consents = list(
        access.visible_to(actor, Consent).filter(household=household)
        .select_related("partner", "recorded_by__user").order_by("withdrawn_on", "-given_on", "pk")
    )
    measures = list(
        access.visible_to(actor, SupportMeasure).filter(household=household)
        .select_related("project", "organisation", "referent__user", "end_meeting", "action")
        .prefetch_related(
            Prefetch("mandates", queryset=access.visible_to(actor, Mandate).order_by("number")),
            Prefetch(
                "team",
                queryset=access.visible_to(actor, TeamMember).filter(active_team_q()).select_related("membership__user"),
            ),
            Prefetch("goals", queryset=access.visible_to(actor, SupportGoal).order_by("set_on", "pk")),
            Prefetch("goals__reviews", queryset=access.visible_to(actor, GoalReview).order_by("due_on", "pk")),
        )
        .order_by(F("ended_on").desc(nulls_first=True), "-identified_on", "-pk")
    )
    contacts_qs = access.visible_to(actor, Contact).filter(household=household)
    contacts = list(contacts_qs.select_related("author__user").order_by("-occurred_on", "-pk")[:FILE_CONTACTS])
    totals = contacts_qs.aggregate(
        total=Count("pk"), last=Max("occurred_on", filter=Q(status=ContactStatus.DONE, occurred_on__lte=today))
    )
    contacts_total, last_contact = totals["total"], totals["last"]
    for measure in measures:
        measure.household = household  # the field policy follows it: no second read
    measure_files = [_measure_file(actor, household, measure, today) for measure in measures]
    note_readable_by_measure = {mf.measure.pk: mf.contact_note_readable for mf in measure_files}
    for contact in contacts:
        contact.note_readable = note_readable_by_measure.get(contact.measure_id, False)
    for mf in measure_files:
        for goal in mf.goals:
            for review in goal.reviews.all():
                review.overdue = review.reviewed_on is None and review.due_on < today and goal.status == GoalStatus.OPEN
    file = HouseholdFile(
        household=household,
        can_change=access.can(actor, CHANGE, household),
        notes={name: getattr(household, name) for name in notes_readable},
        # The flag itself says something: shown to those who read the violence notes (the team).
        show_violence_flag="violence_notes" in notes_readable,
        people=people,
        situation_readable=bool(access.readable_fields(actor, household, ["monthly_resources"])),
        referrals=referrals,
        refusal_reason_readable=refusal_readable,
        consents=consents,
        measures=measure_files,
        contacts=contacts,
        contacts_total=contacts_total,
        last_contact=last_contact,
    )
    file.alerts = _alerts(file, today)
    return file


def household_contacts(actor: Actor, household: Household) -> QuerySet:
    return access.visible_to(actor, Contact).filter(household=household).select_related("author__user", "measure")


def contact_note_readability(actor: Actor, household: Household, measure_ids) -> dict[int, bool]:
    """Whether ``actor`` reads the contact notes of each measure (one policy check per measure)."""
    result = {}
    for measure in SupportMeasure.objects.filter(pk__in=set(measure_ids)):
        sample = Contact(measure=measure, household=household, organisation_id=measure.organisation_id)
        result[measure.pk] = bool(access.readable_fields(actor, sample, ["note"]))
    return result

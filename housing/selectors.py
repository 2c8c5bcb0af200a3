"""Reads of the landlord's home page, its lists and the household-file panels.

Every list starts from ``core.access.visible_to`` on the model it lists
(households, leases, eviction files). What a row shows about its own
children (last contact, last step, next legal deadline, open measures) is
read with correlated subqueries on the child tables: the policies make the
children of a visible row visible (``HouseholdChildPolicy`` for contacts,
measures and attribution steps, ``LeaseChildPolicy`` for eviction steps),
so scoping them again would only repeat the same subquery in the SQL — at
a real cost in planning and compiling time — for the same rows. A page of
rows therefore costs the same few queries whatever the caseload.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Case, CharField, Count, DateField, Exists, F, OuterRef, Prefetch, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core import access
from core.access import Actor
from core.calendar import add_months, in_winter_truce, next_working_day, winter_truce_around
from households.models import Contact, ContactStatus, Household, SupportMeasure
from projects.models import CarrierRole, ProjectCarrier

from .access import LANDLORD_WRITERS
from .deadlines import deadline_for, must_report_to_caf
from .models import (
    AttributionDecision,
    AttributionStep,
    AttributionStepKind,
    DeadlineRule,
    DeadlineUnit,
    EvictionCase,
    EvictionCaseStatus,
    EvictionStep,
    EvictionStepKind,
    HousingUnit,
    JudgmentResult,
    Lease,
    LeaseKind,
)

#: How far ahead the home page looks for baux glissants due to slide.
SLIDE_HORIZON_DAYS = 90
#: A legal deadline closer than this is shown in red.
URGENT_DAYS = 15
#: Rows of each panel of the home page.
PANEL_ROWS = 10
#: Sort key for rows without a deadline (they go last in ascending order).
NO_DEADLINE = date(9999, 12, 31)


def current_lease_q(today: date, prefix: str = "") -> Q:
    """A lease in force today or later (not ended before today)."""
    return Q(**{f"{prefix}ends_on__isnull": True}) | Q(**{f"{prefix}ends_on__gte": today})


def my_leases(actor: Actor):
    """The leases the acting landlord is the lessor of, among those it may see."""
    return access.visible_to(actor, Lease).filter(lessor_id=actor.organisation_id)


def _my_current_leases_of_household(actor: Actor, today: date):
    """Correlated: the landlord's leases in force of the outer household (a visible household)."""
    return Lease.objects.filter(occupant=OuterRef("pk"), lessor_id=actor.organisation_id).filter(current_lease_q(today))


# --------------------------------------------------------------------------
# (a) Tenants under support
# --------------------------------------------------------------------------


def tenants_under_support(actor: Actor, today: date):
    """Households living in one of the landlord's leases with an open support measure.

    Each row carries its last contact (date and type only: the notes are
    the team's) and, once :func:`with_tenant_details` is applied, its open
    measures with the supporting organisation and the référent.
    """
    open_measures = SupportMeasure.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
    contacts = Contact.objects.filter(
        household=OuterRef("pk"), status=ContactStatus.DONE, occurred_on__lte=today
    ).order_by("-occurred_on", "-id")
    return (
        access.visible_to(actor, Household)
        .filter(archived_at__isnull=True)
        .filter(Exists(_my_current_leases_of_household(actor, today)), Exists(open_measures))
        .annotate(
            last_contact_on=Subquery(contacts.values("occurred_on")[:1], output_field=DateField()),
            last_contact_kind=Subquery(contacts.values("kind")[:1], output_field=CharField()),
        )
    )


def with_tenant_details(queryset, actor: Actor, today: date):
    """Open measures (with organisation and référent) and current leases, two queries per page."""
    return queryset.select_related("project").prefetch_related(
        Prefetch(
            "measures",
            queryset=SupportMeasure.objects.filter(ended_on__isnull=True)
            .select_related("organisation", "referent__user")
            .order_by("-identified_on", "-id"),
            to_attr="open_measures",
        ),
        Prefetch(
            "occupied_leases",
            queryset=Lease.objects.filter(lessor_id=actor.organisation_id).filter(current_lease_q(today)).order_by("starts_on", "id"),
            to_attr="current_leases",
        ),
    )


# --------------------------------------------------------------------------
# (b) Households awaiting attribution
# --------------------------------------------------------------------------


def awaiting_attribution(actor: Actor, today: date):
    """Households of the landlord's projects (or proposed one of its units) without any lease yet.

    Households whose support ended without a lease are left out: they are
    no longer waiting for a home through this project.
    """
    org = actor.organisation_id
    carriers = ProjectCarrier.objects.filter(
        project_id=OuterRef("project_id"), organisation_id=org, role__in=[CarrierRole.LEAD, CarrierRole.CO_LEAD]
    )
    on_my_units = AttributionStep.objects.filter(household=OuterRef("pk"), unit__landlord_id=org)
    steps = AttributionStep.objects.filter(household=OuterRef("pk")).order_by("-occurred_on", "-id")
    measures = SupportMeasure.objects.filter(household=OuterRef("pk"))
    return (
        access.visible_to(actor, Household)
        .filter(archived_at__isnull=True)
        .filter(Q(project__lead_landlord_id=org) | Exists(carriers) | Exists(on_my_units))
        .filter(~Exists(Lease.objects.filter(occupant=OuterRef("pk"))))
        .filter(Exists(measures.filter(ended_on__isnull=True)) | ~Exists(measures))
        .select_related("project")
        .annotate(
            last_step_kind=Subquery(steps.values("kind")[:1], output_field=CharField()),
            last_step_on=Subquery(steps.values("occurred_on")[:1], output_field=DateField()),
            last_step_decision=Subquery(steps.values("decision")[:1], output_field=CharField()),
        )
    )


# --------------------------------------------------------------------------
# (c) Baux glissants due to slide
# --------------------------------------------------------------------------


def slides_due(actor: Actor, today: date, horizon_days: int = SLIDE_HORIZON_DAYS):
    """The landlord's baux glissants in force whose planned glissement is past or within the horizon."""
    return (
        my_leases(actor)
        .filter(kind=LeaseKind.SLIDING, planned_glissement_on__isnull=False)
        .filter(planned_glissement_on__lte=today + timedelta(days=horizon_days))
        .filter(current_lease_q(today))
        .filter(glissement_out__isnull=True)
        .select_related("occupant", "tenant_organisation")
    )


# --------------------------------------------------------------------------
# (d) Arrears files
# --------------------------------------------------------------------------


def arrears_cases(actor: Actor, today: date):
    """Open eviction-prevention files of the landlord's leases, with their next legal deadline.

    ``due_on`` is the nearest deadline still to come among the file's steps;
    failing that, the latest deadline already passed when no step has been
    recorded since (what was due has not happened: shown as overdue).
    """
    return annotate_deadlines(
        access.visible_to(actor, EvictionCase).filter(lessor_id=actor.organisation_id, status=EvictionCaseStatus.OPEN),
        actor,
        today,
    ).select_related("lease__occupant", "lease__tenant_organisation")


def annotate_deadlines(queryset, actor: Actor, today: date):
    steps = EvictionStep.objects.filter(case=OuterRef("pk"))
    last = steps.order_by("-occurred_on", "-id")
    upcoming = steps.filter(deadline_on__gte=today).order_by("deadline_on", "id")
    passed = steps.filter(deadline_on__lt=today).order_by("-deadline_on", "-id")
    queryset = queryset.annotate(
        last_step_kind=Subquery(last.values("kind")[:1], output_field=CharField()),
        last_step_on=Subquery(last.values("occurred_on")[:1], output_field=DateField()),
        next_deadline_on=Subquery(upcoming.values("deadline_on")[:1], output_field=DateField()),
        next_deadline_label=Subquery(upcoming.values("deadline_rule__label")[:1], output_field=CharField()),
        passed_deadline_on=Subquery(passed.values("deadline_on")[:1], output_field=DateField()),
        passed_deadline_label=Subquery(passed.values("deadline_rule__label")[:1], output_field=CharField()),
        caf_reported=Exists(steps.filter(kind=EvictionStepKind.CAF_REPORT)),
    )
    pending_passed = Q(next_deadline_on__isnull=True, passed_deadline_on__isnull=False, passed_deadline_on__gte=F("last_step_on"))
    return queryset.annotate(
        due_on=Case(
            When(next_deadline_on__isnull=False, then=F("next_deadline_on")),
            When(pending_passed, then=F("passed_deadline_on")),
            default=None,
            output_field=DateField(),
        ),
        due_label=Case(
            When(next_deadline_on__isnull=False, then=F("next_deadline_label")),
            When(pending_passed, then=F("passed_deadline_label")),
            default=Value(""),
            output_field=CharField(),
        ),
    ).annotate(due_sort=Coalesce(F("due_on"), Value(NO_DEADLINE), output_field=DateField()))


def deadline_state(due_on: date | None, today: date) -> str:
    """``late`` (passed), ``soon`` (< 15 days), ``later``, or "" without a deadline."""
    if due_on is None:
        return ""
    if due_on < today:
        return "late"
    if (due_on - today).days < URGENT_DAYS:
        return "soon"
    return "later"


def must_report(case: EvictionCase) -> bool:
    """The debt reached twice the monthly rent and charges and no CAF report is recorded."""
    lease = case.lease
    return must_report_to_caf(case.arrears_amount, lease.monthly_rent + lease.monthly_charges) and not getattr(
        case, "caf_reported", False
    )


# --------------------------------------------------------------------------
# Home page
# --------------------------------------------------------------------------


@dataclass
class Panel:
    rows: list
    total: int
    flagged: int = 0  # overdue slides, urgent deadlines


def home_panels(actor: Actor, today: date) -> dict[str, Panel]:
    """The four panels of the landlord adviser's home page: a count and the first rows each."""
    tenants = tenants_under_support(actor, today)
    awaiting = awaiting_attribution(actor, today)
    slides = slides_due(actor, today)
    arrears = arrears_cases(actor, today)
    slide_counts = slides.aggregate(total=Count("pk"), late=Count("pk", filter=Q(planned_glissement_on__lt=today)))
    arrears_counts = arrears.aggregate(
        total=Count("pk"), urgent=Count("pk", filter=Q(due_on__lt=today + timedelta(days=URGENT_DAYS)))
    )
    return {
        "tenants": Panel(
            rows=list(with_tenant_details(tenants, actor, today).order_by(F("last_contact_on").asc(nulls_first=True), "display_name", "pk")[:PANEL_ROWS]),
            total=tenants.count(),
        ),
        "awaiting": Panel(
            rows=list(awaiting.order_by(F("last_step_on").asc(nulls_first=True), "display_name", "pk")[:PANEL_ROWS]),
            total=awaiting.count(),
        ),
        "slides": Panel(
            rows=list(slides.order_by("planned_glissement_on", "pk")[:PANEL_ROWS]),
            total=slide_counts["total"],
            flagged=slide_counts["late"],
        ),
        "arrears": Panel(
            rows=list(arrears.order_by("due_sort", "-arrears_amount", "pk")[:PANEL_ROWS]),
            total=arrears_counts["total"],
            flagged=arrears_counts["urgent"],
        ),
    }


# --------------------------------------------------------------------------
# Household-file panels
# --------------------------------------------------------------------------


class FieldReader:
    """The field policy of ``core.access`` with the actor's audiences read once per lessor.

    The field rules of leases, attribution steps and eviction steps are
    written in terms of the actor's audiences towards the household and the
    lessor of the lease (``housing.access.tenancy_audiences``). Within one
    household's panel those audiences depend on the lessor only, so they are
    asked of the policy once per lessor and the rules of each row are
    applied to them, exactly as ``access.readable_fields`` does: a few
    queries per lessor instead of a few per row.
    """

    def __init__(self, actor: Actor):
        self.actor = actor
        self.audiences: dict[int | None, frozenset[str]] = {}

    def readable(self, obj, names: tuple[str, ...], lessor_id: int | None) -> frozenset[str]:
        policy = access.policy_for(obj)
        if lessor_id not in self.audiences:
            self.audiences[lessor_id] = policy.audiences(self.actor, obj)
        audiences = self.audiences[lessor_id]
        return frozenset(name for name in names if name not in policy.fields or policy.fields[name].read & audiences)


DECISION_BADGES = {
    AttributionDecision.GRANTED: "badge--ok", AttributionDecision.GRANTED_RANKED: "badge--ok",
    AttributionDecision.CONDITIONAL: "badge--info", AttributionDecision.POSTPONED: "badge--warn",
    AttributionDecision.REFUSED: "badge--danger", AttributionDecision.DECLINED: "badge--danger",
}


@dataclass
class AttributionRow:
    step: AttributionStep
    unit_readable: bool
    notes_readable: bool

    @property
    def decision_badge(self) -> str:
        return DECISION_BADGES.get(self.step.decision, "")


@dataclass
class LeaseRow:
    lease: Lease
    unit_readable: bool
    can_change: bool
    can_slide: bool
    glissement: object = None  # the Glissement that ends this lease, if any
    is_current: bool = False


@dataclass
class LeasePath:
    steps: list[AttributionRow]
    leases: list[LeaseRow]
    can_add_step: bool
    next_kind: str = ""

    @property
    def next_kind_label(self) -> str:
        return AttributionStepKind(self.next_kind).label if self.next_kind else ""


#: The access path: demande → proposition → CALEOL → (décision) → signature → entrée.
ATTRIBUTION_NEXT = {
    AttributionStepKind.APPLICATION: AttributionStepKind.PROPOSAL,
    AttributionStepKind.PROPOSAL: AttributionStepKind.CALEOL,
    AttributionStepKind.CALEOL: AttributionStepKind.LEASE_SIGNED,
    AttributionStepKind.DECISION: AttributionStepKind.LEASE_SIGNED,
    AttributionStepKind.LEASE_SIGNED: AttributionStepKind.MOVE_IN,
}
#: After these decisions, the household waits for a new proposal.
NOT_GRANTED = (AttributionDecision.POSTPONED, AttributionDecision.REFUSED, AttributionDecision.DECLINED)


def next_attribution_kind(steps: list[AttributionStep], has_lease: bool) -> str:
    """The step expected next on the access path ("" once housed)."""
    if has_lease:
        return ""
    if not steps:
        return AttributionStepKind.APPLICATION
    last = steps[-1]
    if last.kind in (AttributionStepKind.CALEOL, AttributionStepKind.DECISION) and last.decision in NOT_GRANTED:
        return AttributionStepKind.PROPOSAL
    return ATTRIBUTION_NEXT.get(last.kind, "")


def attribution_units(actor: Actor, household: Household, today: date):
    """The units a landlord may name in an attribution step of this household:
    its own units that are vacant today, proposed to the household already,
    or leased to it.

    A landlord's own units are all visible to it (``UnitPolicy``: ``landlord
    = acting organisation``), so they are read from the table directly: the
    unit policy's subquery is the costliest of the platform and would add
    nothing here.
    """
    current = Lease.objects.filter(unit=OuterRef("pk")).filter(current_lease_q(today))
    linked = Exists(AttributionStep.objects.filter(unit=OuterRef("pk"), household=household)) | Exists(
        Lease.objects.filter(unit=OuterRef("pk"), occupant=household)
    )
    return HousingUnit.objects.filter(landlord_id=actor.organisation_id).filter(~Exists(current) | linked).order_by(
        "city", "address", "pk"
    )


def can_record_attribution(actor: Actor, household: Household, today: date) -> bool:
    """The supporting organisation may, and the landlord may on one of its units."""
    if access.can(actor, access.ADD, AttributionStep(household=household)):
        return True
    if actor.role not in LANDLORD_WRITERS:
        return False
    unit = attribution_units(actor, household, today).first()
    return unit is not None and access.can(actor, access.ADD, AttributionStep(household=household, unit=unit))


def lease_path(actor: Actor, household: Household, today: date) -> LeasePath:
    reader = FieldReader(actor)
    steps = []
    for step in (
        access.visible_to(actor, AttributionStep).filter(household=household).select_related("unit").order_by("occurred_on", "id")
    ):
        step.household = household
        lessor = step.unit.landlord_id if step.unit_id else None
        readable = reader.readable(step, ("unit", "notes"), lessor)
        steps.append(AttributionRow(step=step, unit_readable="unit" in readable, notes_readable="notes" in readable))
    leases = []
    for lease in (
        access.visible_to(actor, Lease)
        .filter(occupant=household)
        .select_related("lessor", "tenant_organisation", "tenant_household", "unit", "glissement_out")
        .order_by("starts_on", "id")
    ):
        lease.occupant = household
        readable = reader.readable(lease, ("unit",), lease.lessor_id)
        glissement = getattr(lease, "glissement_out", None) if _has_glissement(lease) else None
        can_change = access.can(actor, access.CHANGE, lease)
        is_current = lease.ends_on is None or lease.ends_on >= today
        leases.append(LeaseRow(
            lease=lease, unit_readable="unit" in readable, can_change=can_change,
            can_slide=can_change and lease.kind == LeaseKind.SLIDING and glissement is None and is_current,
            glissement=glissement, is_current=is_current,
        ))
    return LeasePath(
        steps=steps, leases=leases, can_add_step=can_record_attribution(actor, household, today),
        next_kind=next_attribution_kind([row.step for row in steps], bool(leases)),
    )


def _has_glissement(lease: Lease) -> bool:
    try:
        return lease.glissement_out is not None
    except Lease.glissement_out.RelatedObjectDoesNotExist:
        return False


# --------------------------------------------------------------------------
# Eviction-prevention panel
# --------------------------------------------------------------------------

#: What is expected after the last step of a file, by kind of step.
NEXT_EXPECTED = {
    EvictionStepKind.ARREARS: _("Signalement à la CAF si la dette atteint deux mois de loyer et charges, plan d'apurement ou demande FSL"),
    EvictionStepKind.CAF_REPORT: _("Plan d'apurement ou demande FSL ; à défaut de reprise du paiement, commandement de payer"),
    EvictionStepKind.REPAYMENT_PLAN: _("Suivi du plan d'apurement ; à défaut de paiement, commandement de payer"),
    EvictionStepKind.FSL: _("Suivi du paiement ; à défaut, commandement de payer"),
    EvictionStepKind.PAYMENT_ORDER: _("Saisine de la CCAPEX (deux mois au moins avant l'assignation), puis assignation si la dette n'est pas réglée"),
    EvictionStepKind.CCAPEX_REFERRAL: _("Assignation devant le juge des contentieux de la protection"),
    EvictionStepKind.SUMMONS: _("Diagnostic social et financier, puis audience"),
    EvictionStepKind.SOCIAL_DIAGNOSIS: _("Audience devant le juge"),
    EvictionStepKind.HEARING: _("Jugement"),
    EvictionStepKind.COHESION_PROTOCOL: _("Respect du protocole ; clôture du dossier quand la dette est soldée"),
    EvictionStepKind.ORDER_TO_LEAVE: _("Demande de concours de la force publique, une fois le délai de deux mois écoulé"),
    EvictionStepKind.ENFORCEMENT_DELAY: _("Fin du délai accordé par le juge de l'exécution, puis demande de concours de la force publique"),
    EvictionStepKind.POLICE_REQUEST: _("Décision du préfet sur le concours de la force publique"),
    EvictionStepKind.POLICE_DECISION: _("Relogement ou expulsion (jamais pendant la trêve hivernale), puis clôture du dossier"),
    EvictionStepKind.EVICTION: _("Clôture du dossier"),
}
CAF_FIRST = _("Signalement de l'impayé à la CAF (obligatoire dès deux mois de loyer et charges), puis plan d'apurement ou demande FSL")
NEXT_AFTER_JUDGMENT = {
    JudgmentResult.TERMINATION: _("Commandement de quitter les lieux"),
    JudgmentResult.DELAYS: _("Protocole de cohésion sociale et respect des délais de paiement"),
    JudgmentResult.DISMISSED: _("Clôture du dossier ou nouveau plan d'apurement"),
}
#: Steps after which no eviction may take place during the winter truce.
ENFORCEMENT_STAGE = {
    EvictionStepKind.ORDER_TO_LEAVE, EvictionStepKind.ENFORCEMENT_DELAY,
    EvictionStepKind.POLICE_REQUEST, EvictionStepKind.POLICE_DECISION,
}
#: Steps that do not move the procedure on (they may come at any time).
SIDE_STEPS = {EvictionStepKind.OVER_INDEBTEDNESS}


def raw_due(step: EvictionStep) -> date | None:
    """The step's deadline before the winter-truce postponement (for saying it was moved)."""
    rule = step.deadline_rule
    if rule is None:
        return None
    if rule.unit == DeadlineUnit.MONTHS:
        due = add_months(step.occurred_on, rule.delay)
    elif rule.unit == DeadlineUnit.WEEKS:
        due = step.occurred_on + timedelta(weeks=rule.delay)
    else:
        due = step.occurred_on + timedelta(days=rule.delay)
    return next_working_day(due) if rule.move_to_working_day else due


def deadline_sentence(label: str, day: date) -> str:
    """« Audience au plus tôt le 06/01/2027 », « Fin du délai pour payer (…) le 06/01/2027 »."""
    label = (label or "").strip()
    if label.endswith((" le", " du", " au")):
        return f"{label} {day:%d/%m/%Y}"
    return _("%(label)s le %(date)s") % {"label": label, "date": f"{day:%d/%m/%Y}"}


@dataclass
class StepRow:
    step: EvictionStep
    notes_readable: bool
    state: str = ""  # late / soon / later / done (deadline passed, procedure moved on)
    truce_moved: bool = False
    computed: bool = False  # deadline not stored on the step, computed from the rules for display

    @property
    def deadline_text(self) -> str:
        if not self.step.deadline_on:
            return ""
        return deadline_sentence(self.step.deadline_rule.label if self.step.deadline_rule else "", self.step.deadline_on)


@dataclass
class CasePanel:
    case: EvictionCase
    steps: list[StepRow]
    today: date
    can_change: bool
    pending: StepRow | None = None

    @property
    def is_open(self) -> bool:
        return self.case.status == EvictionCaseStatus.OPEN

    @cached_property
    def last_main_step(self) -> EvictionStep | None:
        main = [row.step for row in self.steps if row.step.kind not in SIDE_STEPS]
        return main[-1] if main else None

    @cached_property
    def next_expected(self) -> str:
        if self.caf_alert:
            return str(CAF_FIRST)
        last = self.last_main_step
        if last is None:
            return str(NEXT_EXPECTED[EvictionStepKind.ARREARS])
        if last.kind == EvictionStepKind.JUDGMENT:
            return str(NEXT_AFTER_JUDGMENT.get(last.judgment_result, NEXT_AFTER_JUDGMENT[JudgmentResult.DISMISSED]))
        return str(NEXT_EXPECTED.get(last.kind, ""))

    @property
    def due_state(self) -> str:
        return deadline_state(self.pending.step.deadline_on, self.today) if self.pending else ""

    @cached_property
    def caf_alert(self) -> bool:
        reported = any(row.step.kind == EvictionStepKind.CAF_REPORT for row in self.steps)
        lease = self.case.lease
        return self.is_open and not reported and must_report_to_caf(
            self.case.arrears_amount, lease.monthly_rent + lease.monthly_charges
        )

    @property
    def caf_threshold(self):
        lease = self.case.lease
        return 2 * (lease.monthly_rent + lease.monthly_charges)

    @property
    def truce(self) -> tuple[date, date] | None:
        """The winter truce in force today, when the file has reached the enforcement stage."""
        if not self.is_open or not in_winter_truce(self.today):
            return None
        last = self.last_main_step
        enforcement = last is not None and (
            last.kind in ENFORCEMENT_STAGE
            or (last.kind == EvictionStepKind.JUDGMENT and last.judgment_result == JudgmentResult.TERMINATION)
        )
        return winter_truce_around(self.today) if enforcement else None


@dataclass
class EvictionPanel:
    cases: list[CasePanel]
    openable_leases: list[Lease]
    today: date


def pending_deadline(rows: list[StepRow], today: date) -> StepRow | None:
    """The deadline to watch: the nearest one to come, else the latest passed one
    when nothing has been recorded since (same rule as ``annotate_deadlines``)."""
    with_deadline = [row for row in rows if row.step.deadline_on]
    if not with_deadline:
        return None
    upcoming = [row for row in with_deadline if row.step.deadline_on >= today]
    if upcoming:
        return min(upcoming, key=lambda row: (row.step.deadline_on, row.step.pk))
    latest = max(with_deadline, key=lambda row: (row.step.deadline_on, row.step.pk))
    last_step_on = max(row.step.occurred_on for row in rows)
    return latest if latest.step.deadline_on >= last_step_on else None


def eviction_panel(actor: Actor, household: Household, today: date) -> EvictionPanel:
    reader = FieldReader(actor)
    cases = list(
        access.visible_to(actor, EvictionCase)
        .filter(lease__occupant=household)
        .select_related("lease__lessor", "lease__tenant_organisation")
        .prefetch_related(
            Prefetch(
                "steps",
                queryset=access.visible_to(actor, EvictionStep).select_related("deadline_rule").order_by("occurred_on", "id"),
                to_attr="visible_steps",
            )
        )
    )
    cases.sort(key=lambda case: (case.status != EvictionCaseStatus.OPEN, -case.opened_on.toordinal(), -case.pk))
    panels = []
    rule_kinds = None
    for case in cases:
        case.lease.occupant = household
        rows = []
        for step in case.visible_steps:
            step.case = case
            readable = reader.readable(step, ("notes",), case.lessor_id)
            row = StepRow(step=step, notes_readable="notes" in readable)
            if step.deadline_on is None:
                # A step written without its deadline (an import, an API client): computed for display.
                if rule_kinds is None:
                    rule_kinds = set(DeadlineRule.objects.values_list("step_kind", flat=True))
                if step.kind in rule_kinds:
                    deadline = deadline_for(step.kind, step.occurred_on, case.lease.signed_on)
                    if deadline is not None:
                        step.deadline_on, step.deadline_rule, row.computed = deadline.due_on, deadline.rule, True
            rows.append(row)
        pending = pending_deadline(rows, today) if case.status == EvictionCaseStatus.OPEN else None
        last_on = max((row.step.occurred_on for row in rows), default=None)
        for row in rows:
            due = row.step.deadline_on
            if due is None:
                continue
            raw = raw_due(row.step)
            row.truce_moved = raw is not None and raw != due and in_winter_truce(raw)
            if due >= today:
                row.state = deadline_state(due, today) if case.status == EvictionCaseStatus.OPEN else "later"
            elif case.status == EvictionCaseStatus.OPEN and last_on is not None and last_on <= due:
                row.state = "late"
            else:
                row.state = "done"
        panels.append(CasePanel(case=case, steps=rows, today=today, can_change=access.can(actor, access.CHANGE, case), pending=pending))
    open_leases = {case.lease_id for case in cases if case.status == EvictionCaseStatus.OPEN}
    openable = [
        lease
        for lease in access.visible_to(actor, Lease).filter(occupant=household).filter(current_lease_q(today)).order_by("starts_on", "id")
        if lease.pk not in open_leases and access.can(actor, access.CHANGE, lease)
    ]
    return EvictionPanel(cases=panels, openable_leases=openable, today=today)

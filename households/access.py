"""Who sees which household, and which of its fields (DESIGN.md §3).

Organisations that *work on* a household see its row: the supporting
organisation of each of its measures (and the one that opened the file),
the landlord involved (lessor of one of its leases, or the landlord
carrier of its project before any lease exists), and the partners it
consented to share with. National staff and funders see no household row.

Social notes are read and written by the measure's *team* only (référent,
co-référent, replacements, team lead), never by the rest of the
organisation; a consent for that purpose lets a partner read some of them.
The leases reach through ORM lookup paths (``occupied_leases__lessor``):
households never imports housing.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from core import access
from core.access import CASEWORKER, ORG_ADMIN, PLATFORM_ADMIN, TEAM_LEAD, VIEW, Actor, FieldRule, Policy
from partners.models import OrganisationKind
from projects.models import CarrierRole, ProjectCarrier

from .models import (
    Consent,
    ConsentPurpose,
    Contact,
    GoalReview,
    Household,
    Mandate,
    Person,
    Referral,
    SituationSnapshot,
    SupportGoal,
    SupportMeasure,
    TeamMember,
    Workshop,
    WorkshopAttendance,
)

# Audiences used by the field rules.
TEAM = "team"  # on the team of the measure concerned (or of one of the household's measures)
SUPPORTING = "supporting"  # a member of the supporting organisation
LANDLORD = "landlord"  # staff of the landlord involved

EXPORT = "export"  # action: the right-of-access export of a household


def consent(purpose: str) -> str:
    return f"consent:{purpose}"


LANDLORD_KINDS = (OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP)

#: Roles of a supporting organisation who write the support file.
SUPPORT_WRITERS = frozenset({CASEWORKER, TEAM_LEAD, ORG_ADMIN, access.LANDLORD_ADVISER})


def _active_consent(purpose: str | None = None, **outer) -> Exists:
    consents = Consent.objects.filter(withdrawn_on__isnull=True, **outer)
    if purpose:
        consents = consents.filter(purpose=purpose)
    return Exists(consents)


def visible_households(actor: Actor, *, include_archived: bool = False):
    """The household rows ``actor`` may see (the one place that says so)."""
    households = Household.objects.filter(anonymised_at__isnull=True)
    if not actor.acts_for_an_organisation or actor.aggregate_only:
        return households.none()
    org = actor.organisation_id
    project_landlord = Q(project__lead_landlord_id=org) | Exists(
        ProjectCarrier.objects.filter(
            project=OuterRef("project_id"), organisation_id=org, role__in=[CarrierRole.LEAD, CarrierRole.CO_LEAD],
            organisation__kind__in=LANDLORD_KINDS,
        )
    )
    has_lease = Exists(Household.objects.filter(pk=OuterRef("pk"), occupied_leases__isnull=False))
    works_on = (
        Q(organisation_id=org)
        | Exists(SupportMeasure.objects.filter(household=OuterRef("pk"), organisation_id=org))
        | Exists(Household.objects.filter(pk=OuterRef("pk"), occupied_leases__lessor_id=org))
        | Exists(Household.objects.filter(pk=OuterRef("pk"), occupied_leases__tenant_organisation_id=org))
        | (project_landlord & ~has_lease)
        | _active_consent(household=OuterRef("pk"), partner_id=org)
    )
    households = households.filter(works_on)
    # The intermediate archive is read-only and visible to the organisation's admin only.
    if not (include_archived and actor.role == ORG_ADMIN):
        households = households.filter(archived_at__isnull=True)
    return households


def active_team_q(prefix: str = "") -> Q:
    """Team rows in force today: no end date, or an end date not yet passed."""
    today = timezone.localdate()
    return Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": today})


def is_project_landlord(org: int, household: Household) -> bool:
    """The landlord carrier of the household's project (before any lease)."""
    if household.project_id is None:
        return False
    return household.project.lead_landlord_id == org or ProjectCarrier.objects.filter(
        project_id=household.project_id, organisation_id=org, role__in=[CarrierRole.LEAD, CarrierRole.CO_LEAD],
        organisation__kind__in=LANDLORD_KINDS,
    ).exists()


def household_audiences(actor: Actor, household: Household, measure: SupportMeasure | None = None) -> frozenset[str]:
    """The actor's relations to a household (and to one of its measures), once per request."""
    if not actor.acts_for_an_organisation or actor.aggregate_only:
        return frozenset()
    key = ("household_audiences", actor, household.pk, measure.pk if measure is not None else None)
    return access.memoised(key, lambda: _household_audiences(actor, household, measure))


def _household_audiences(actor: Actor, household: Household, measure: SupportMeasure | None) -> frozenset[str]:
    org = actor.organisation_id
    audiences: set[str] = set()
    measures = SupportMeasure.objects.filter(household=household, organisation_id=org)
    if measure is not None:
        measures = measures.filter(pk=measure.pk)
    # With a measure: its own organisation only (the organisation that opened
    # the file does not write another organisation's support rows).
    supporting = measures.exists() if measure is not None else (household.organisation_id == org or measures.exists())
    if supporting:
        audiences.add(SUPPORTING)
        on_team = TeamMember.objects.filter(
            active_team_q(), measure__in=measures, membership_id=actor.membership_id
        ).exists() or measures.filter(referent_id=actor.membership_id).exists()
        if on_team:
            audiences.add(TEAM)
    leases = household.occupied_leases.all()
    if leases.filter(lessor_id=org).exists() or (not leases.exists() and is_project_landlord(org, household)):
        audiences.add(LANDLORD)
    for purpose in Consent.objects.filter(household=household, partner_id=org, withdrawn_on__isnull=True).values_list(
        "purpose", flat=True
    ):
        audiences.add(consent(purpose))
    return frozenset(audiences)


class HouseholdPolicy(Policy):
    def __init__(self):
        super().__init__(
            Household,
            fields={
                "situation_notes": FieldRule(read=frozenset({TEAM, consent(ConsentPurpose.SOCIAL_DETAILS)}), write=frozenset({TEAM})),
                "health_notes": FieldRule(read=frozenset({TEAM, consent(ConsentPurpose.HEALTH)}), write=frozenset({TEAM})),
                "justice_notes": FieldRule.only(TEAM),
                # The landlord sees the tenancy side; the situation before entry
                # and the resources only with the household's consent.
                **{
                    name: FieldRule(
                        read=frozenset({SUPPORTING, consent(ConsentPurpose.SOCIAL_DETAILS)}),
                        write=frozenset({SUPPORTING}),
                    )
                    for name in ("prior_situation", "monthly_resources", "resources_kind")
                },
                "violence_notes": FieldRule.only(TEAM),
            },
        )

    def scope(self, actor: Actor, queryset):
        # The organisation admin reaches the intermediate archive (read-only).
        return queryset.filter(pk__in=visible_households(actor, include_archived=True).values("pk"))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        if actor.role == PLATFORM_ADMIN:
            return False  # platform staff do not edit files
        if obj is not None and obj.archived_at is not None and action != EXPORT:
            return False  # the archive is read-only
        if action == access.ADD:
            return actor.role in SUPPORT_WRITERS
        if action == EXPORT:
            # Right-of-access export holds the social notes: a lead or admin
            # who is on the household's team.
            return actor.role in {TEAM_LEAD, ORG_ADMIN} and TEAM in household_audiences(actor, obj)
        return actor.role in SUPPORT_WRITERS and SUPPORTING in household_audiences(actor, obj)

    def audiences(self, actor: Actor, obj) -> frozenset[str]:
        return household_audiences(actor, obj)


class HouseholdChildPolicy(Policy):
    """Rows of a household (``path`` leads to it), visible with the household."""

    path = "household"
    measure_path: str | None = None

    def __init__(self, model, path: str = "household", measure_path: str | None = None, fields=None):
        super().__init__(model, fields=fields or {})
        self.path = path
        self.measure_path = measure_path

    def scope(self, actor: Actor, queryset):
        # With the household: the organisation admin reads the archived file whole.
        return queryset.filter(**{f"{self.path}__in": visible_households(actor, include_archived=True).values("pk")})

    def household(self, obj) -> Household:
        return access.follow(obj, self.path)

    def measure(self, obj) -> SupportMeasure | None:
        # measure_path "" means the object is the measure itself.
        return None if self.measure_path is None else access.follow(obj, self.measure_path)

    def audiences(self, actor: Actor, obj) -> frozenset[str]:
        return household_audiences(actor, self.household(obj), self.measure(obj))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        if actor.role not in SUPPORT_WRITERS:
            return False
        if obj is None:
            return True
        if self.household(obj).archived_at is not None:
            return False
        return SUPPORTING in self.audiences(actor, obj)


class SupportFilePolicy(HouseholdChildPolicy):
    """The support plan itself: the supporting organisation, or partners with consent."""

    def scope(self, actor: Actor, queryset):
        org = actor.organisation_id
        consented = Consent.objects.filter(
            partner_id=org, withdrawn_on__isnull=True, purpose=ConsentPurpose.SUPPORT_PROGRESS
        ).values("household_id")
        return super().scope(actor, queryset).filter(
            Q(**{f"{self.measure_path}__organisation_id": org}) | Q(**{f"{self.path}__in": consented})
        )


class SupportingSidePolicy(HouseholdChildPolicy):
    """Rows of the social side (orientations: their source alone may hint at
    justice or mental health): the organisations that support the household,
    or a partner with consent for social details — not the landlord as such."""

    def scope(self, actor: Actor, queryset):
        org = actor.organisation_id
        supported = Household.objects.filter(
            Q(organisation_id=org) | Exists(SupportMeasure.objects.filter(household=OuterRef("pk"), organisation_id=org))
        ).values("pk")
        consented = Consent.objects.filter(
            partner_id=org, withdrawn_on__isnull=True, purpose=ConsentPurpose.SOCIAL_DETAILS
        ).values("household_id")
        return super().scope(actor, queryset).filter(
            Q(**{f"{self.path}__in": supported}) | Q(**{f"{self.path}__in": consented})
        )


class WorkshopPolicy(Policy):
    def scope(self, actor: Actor, queryset):
        if actor.aggregate_only:
            return queryset.none()
        return queryset.filter(organisation_id=actor.organisation_id)

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        return action == VIEW or actor.role in SUPPORT_WRITERS


class WorkshopAttendancePolicy(HouseholdChildPolicy):
    def scope(self, actor: Actor, queryset):
        return super().scope(actor, queryset).filter(workshop__organisation_id=actor.organisation_id)


TEAM_NOTES = {"notes": FieldRule(read=frozenset({TEAM}), write=frozenset({TEAM}))}


def register() -> None:
    access.register(HouseholdPolicy())
    access.register(HouseholdChildPolicy(Person))
    access.register(SupportingSidePolicy(Referral, fields={"refusal_reason": FieldRule.only(SUPPORTING)}))
    access.register(HouseholdChildPolicy(Consent))
    # The landlord sees a measure's phase and outcome, and contact dates and
    # types; never their notes.
    access.register(
        HouseholdChildPolicy(
            SupportMeasure,
            measure_path="",
            fields={
                "diagnostic_notes": FieldRule.only(TEAM),
                "outcome_notes": FieldRule(read=frozenset({TEAM, consent(ConsentPurpose.SUPPORT_PROGRESS)}), write=frozenset({TEAM})),
            },
        )
    )
    access.register(
        HouseholdChildPolicy(
            Contact,
            measure_path="measure",
            fields={"note": FieldRule(read=frozenset({TEAM, consent(ConsentPurpose.SOCIAL_DETAILS)}), write=frozenset({TEAM}))},
        )
    )
    access.register(SupportFilePolicy(Mandate, path="measure__household", measure_path="measure"))
    access.register(SupportFilePolicy(TeamMember, path="measure__household", measure_path="measure"))
    access.register(SupportFilePolicy(SituationSnapshot, path="measure__household", measure_path="measure"))
    access.register(SupportFilePolicy(SupportGoal, path="measure__household", measure_path="measure", fields=TEAM_NOTES))
    access.register(SupportFilePolicy(GoalReview, path="goal__measure__household", measure_path="goal__measure", fields=TEAM_NOTES))
    access.register(WorkshopPolicy(Workshop))
    access.register(WorkshopAttendancePolicy(WorkshopAttendance))

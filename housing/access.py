"""Access policies of units, leases, attribution and eviction prevention.

The landlord works on its own stock and leases; the organisations that work
on a household see its tenancy side (leases, arrears, eviction steps).

Domestic violence (household flag, or a project of category 3.2): the
address and the unit are visible only to the supporting team and to the
staff of the landlord that manages the lease — never in anyone else's
lists, exports or searches. Units are therefore scoped row by row, and the
``unit``/address fields carry a rule whose audience ``ADDRESS_SHAREABLE``
is granted only when no protected household lives there.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from core import access
from core.access import ORG_ADMIN, PLATFORM_ADMIN, TEAM_LEAD, VIEW, Actor, FieldRule, Policy
from households.access import (
    LANDLORD,
    LANDLORD_KINDS,
    SUPPORTING,
    TEAM,
    active_team_q,
    household_audiences,
    visible_households,
)
from households.models import Household, TeamMember
from partners.models import Organisation
from projects.models import Category

from .models import AttributionStep, DeadlineRule, EvictionCase, EvictionStep, Glissement, HousingUnit, Lease

ADDRESS_SHAREABLE = "address_shareable"
#: Roles of the lessor's staff who manage leases, units and eviction files.
LANDLORD_WRITERS = frozenset({access.LANDLORD_ADVISER, TEAM_LEAD, ORG_ADMIN})

PROTECTED_ADDRESS = FieldRule(read=frozenset({TEAM, LANDLORD, ADDRESS_SHAREABLE}), write=frozenset({LANDLORD}))
#: Free text of the tenancy side: the landlord of the lease and the supporting organisation.
TENANCY_NOTES = FieldRule.only(LANDLORD, SUPPORTING)


def protected_households():
    """Households whose address is protected (domestic violence)."""
    return Household.objects.filter(Q(domestic_violence=True) | Q(project__category=Category.DOMESTIC_VIOLENCE))


def is_protected(household: Household | None) -> bool:
    if household is None:
        return False
    return household.domestic_violence or (household.project_id is not None and household.project.category == Category.DOMESTIC_VIOLENCE)


def my_team_households(actor: Actor):
    """Households on whose team the actor currently is."""
    return TeamMember.objects.filter(
        active_team_q(), membership_id=actor.membership_id, measure__organisation_id=actor.organisation_id
    ).values("measure__household_id")


def visible_units(actor: Actor):
    if not actor.acts_for_an_organisation or actor.aggregate_only:
        return HousingUnit.objects.none()
    org = actor.organisation_id
    households = visible_households(actor).values("pk")
    linked = Q(leases__occupant__in=households) | Q(attribution_steps__household__in=households) | Q(leases__tenant_organisation_id=org)
    # A unit is protected while a protected household lives there (open lease)
    # or has been proposed it (attribution step).
    protected = protected_households().values("pk")
    protected_here = Exists(Lease.objects.filter(unit=OuterRef("pk"), ends_on__isnull=True, occupant__in=protected)) | Exists(
        AttributionStep.objects.filter(unit=OuterRef("pk"), household__in=protected)
    )
    mine = my_team_households(actor)
    protected_on_my_team = Exists(
        Lease.objects.filter(unit=OuterRef("pk"), ends_on__isnull=True, occupant__in=protected).filter(occupant__in=mine)
    ) | Exists(AttributionStep.objects.filter(unit=OuterRef("pk"), household__in=protected).filter(household__in=mine))
    ids = HousingUnit.objects.filter(
        Q(landlord_id=org) | (linked & (~protected_here | protected_on_my_team))
    ).values("pk")
    return HousingUnit.objects.filter(pk__in=ids)


def visible_leases(actor: Actor):
    if not actor.acts_for_an_organisation or actor.aggregate_only:
        return Lease.objects.none()
    org = actor.organisation_id
    return Lease.objects.filter(
        Q(lessor_id=org) | Q(tenant_organisation_id=org)
        | Q(occupant__in=visible_households(actor, include_archived=True).values("pk"))
    )


def tenancy_audiences(actor: Actor, households: list[Household], lessor_id: int | None) -> frozenset[str]:
    """Audiences of an address: LANDLORD only for *this* lease's (or unit's) landlord,
    never for a former landlord of the household; TEAM for the team of a
    protected household; ADDRESS_SHAREABLE when none of them is protected."""
    audiences: set[str] = set()
    for household in households:
        audiences |= household_audiences(actor, household) - {LANDLORD}
    if lessor_id is not None and lessor_id == actor.organisation_id:
        audiences.add(LANDLORD)
    if not any(is_protected(household) for household in households):
        audiences.add(ADDRESS_SHAREABLE)
    return frozenset(audiences)


class UnitPolicy(Policy):
    def __init__(self):
        super().__init__(HousingUnit, fields={name: PROTECTED_ADDRESS for name in ("address", "postcode", "commune_insee", "rpls_id", "floor")})

    def scope(self, actor: Actor, queryset):
        return queryset.filter(pk__in=visible_units(actor).values("pk"))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        if actor.role not in LANDLORD_WRITERS:
            return False
        if obj is not None and obj.landlord_id != actor.organisation_id:
            return False
        # Only a landlord has a stock of units (an association's admin is also in LANDLORD_WRITERS).
        return access.memoised(("is_landlord", actor.organisation_id), lambda: Organisation.objects.filter(
            pk=actor.organisation_id, kind__in=LANDLORD_KINDS).exists())

    def audiences(self, actor: Actor, obj: HousingUnit) -> frozenset[str]:
        linked = list(
            Household.objects.filter(
                Q(occupied_leases__unit=obj, occupied_leases__ends_on__isnull=True) | Q(attribution_steps__unit=obj)
            ).select_related("project").distinct()
        )
        return tenancy_audiences(actor, linked, obj.landlord_id)


class LeasePolicy(Policy):
    def __init__(self):
        super().__init__(Lease, fields={"unit": PROTECTED_ADDRESS})

    def scope(self, actor: Actor, queryset):
        return queryset.filter(pk__in=visible_leases(actor).values("pk"))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        return actor.role in LANDLORD_WRITERS and (obj is None or obj.lessor_id == actor.organisation_id)

    def audiences(self, actor: Actor, obj: Lease) -> frozenset[str]:
        return tenancy_audiences(actor, [obj.occupant], obj.lessor_id)


class LeaseChildPolicy(Policy):
    """Rows hanging from a lease (``path``): glissements, eviction cases and steps."""

    def __init__(self, model, path: str, fields=None):
        super().__init__(model, fields=fields or {})
        self.path = path

    def audiences(self, actor: Actor, obj) -> frozenset[str]:
        lease = self.lease(obj)
        return tenancy_audiences(actor, [lease.occupant], lease.lessor_id)

    def lease(self, obj) -> Lease:
        return access.follow(obj, self.path)

    def scope(self, actor: Actor, queryset):
        return queryset.filter(**{f"{self.path}__in": visible_leases(actor).values("pk")})

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        return actor.role in LANDLORD_WRITERS and (obj is None or self.lease(obj).lessor_id == actor.organisation_id)


class AttributionStepPolicy(Policy):
    def __init__(self):
        super().__init__(AttributionStep, fields={"unit": PROTECTED_ADDRESS, "notes": TENANCY_NOTES})

    def scope(self, actor: Actor, queryset):
        return queryset.filter(household__in=visible_households(actor, include_archived=True).values("pk"))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        if actor.role not in LANDLORD_WRITERS | {access.CASEWORKER}:
            return False
        if obj is None:
            return True
        if obj.household.archived_at is not None:
            return False
        # The organisation supporting the household, or the landlord of the proposed unit.
        is_unit_landlord = obj.unit_id is not None and obj.unit.landlord_id == actor.organisation_id
        return is_unit_landlord or SUPPORTING in household_audiences(actor, obj.household)

    def audiences(self, actor: Actor, obj: AttributionStep) -> frozenset[str]:
        lessor = obj.unit.landlord_id if obj.unit_id else None
        return tenancy_audiences(actor, [obj.household], lessor)


class RulePolicy(Policy):
    """The legal rule table: read by all, edited by platform administrators."""

    def scope(self, actor: Actor, queryset):
        return queryset

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        return action == VIEW or actor.role == PLATFORM_ADMIN


def register() -> None:
    access.register(UnitPolicy())
    access.register(LeasePolicy())
    access.register(LeaseChildPolicy(Glissement, "from_lease"))
    access.register(LeaseChildPolicy(EvictionCase, "lease"))
    access.register(LeaseChildPolicy(EvictionStep, "case__lease", fields={"notes": TENANCY_NOTES}))
    access.register(AttributionStepPolicy())
    access.register(RulePolicy(DeadlineRule))

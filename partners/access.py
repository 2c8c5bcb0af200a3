"""Access policies of organisations, memberships and partnerships."""

from __future__ import annotations

from django.db.models import Q

from core import access
from core.access import ORG_ADMIN, PLATFORM_ADMIN, VIEW, Actor, Policy

from .models import ApiToken, Membership, Organisation, Partnership


class OrganisationPolicy(Policy):
    """The directory of partners is visible to every member of the platform."""

    def scope(self, actor: Actor, queryset):
        return queryset

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        if actor.role == PLATFORM_ADMIN:
            return True
        # An organisation admin edits its own organisation's card.
        return action == access.CHANGE and actor.role == ORG_ADMIN and obj is not None and obj.pk == actor.organisation_id


class MembershipPolicy(Policy):
    """Members of one's own organisation; one's own memberships elsewhere."""

    def scope(self, actor: Actor, queryset):
        return queryset.filter(Q(organisation_id=actor.organisation_id) | Q(user=actor.user))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        return actor.role == ORG_ADMIN and (obj is None or obj.organisation_id == actor.organisation_id)


class PartnershipPolicy(Policy):
    """A partnership is visible to its two parties."""

    def scope(self, actor: Actor, queryset):
        return queryset.filter(Q(landlord_id=actor.organisation_id) | Q(association_id=actor.organisation_id))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        return action == VIEW or actor.role == ORG_ADMIN


class ApiTokenPolicy(Policy):
    """A user sees and revokes their own API tokens only (whatever organisation they act for)."""

    def scope(self, actor: Actor, queryset):
        return queryset.filter(membership__user=actor.user)

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action in (VIEW, access.ADD):
            return True
        return action == access.CHANGE and obj is not None and obj.membership.user_id == actor.user.pk


def register() -> None:
    access.register(OrganisationPolicy(Organisation))
    access.register(MembershipPolicy(Membership))
    access.register(PartnershipPolicy(Partnership))
    access.register(ApiTokenPolicy(ApiToken))

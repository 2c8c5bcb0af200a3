"""The acting membership: which organisation a user acts for in this request.

A user may belong to several organisations and acts for one at a time. The
choice lives in the session under :data:`SESSION_KEY`; it is honoured only
while it names an active membership of the user in an active organisation.
Otherwise the user acts for their only active membership, or, with
several, the first by organisation name; with none, the actor has no
membership and sees nothing (``core.access``).

The user's active memberships are read once per request (one query) and
shared by the actor, the organisation selector of ``base.html`` and the
second-factor rule (``partners.middleware``).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings

from core.access import Actor

from .models import Membership

if TYPE_CHECKING:
    from django.http import HttpRequest

SESSION_KEY = "acting_membership_id"

_CACHE_ATTR = "_partners_active_memberships"


def active_memberships_of(user) -> "list[Membership]":
    """The user's active memberships in active organisations, by organisation name."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(
        Membership.objects.active()
        .filter(user=user, organisation__is_active=True)
        .select_related("organisation")
        .order_by("organisation__name", "organisation_id")
    )


def active_memberships(request: HttpRequest) -> list[Membership]:
    """:func:`active_memberships_of` the request's user, read once per request."""
    cached = getattr(request, _CACHE_ATTR, None)
    if cached is None:
        cached = active_memberships_of(getattr(request, "user", None))
        setattr(request, _CACHE_ATTR, cached)
    return cached


def forget_memberships(request: HttpRequest) -> None:
    """Drop the per-request cache (after a switch or a membership change)."""
    if hasattr(request, _CACHE_ATTR):
        delattr(request, _CACHE_ATTR)


def acting_membership(request: HttpRequest) -> Membership | None:
    """The membership the user acts through in this request, or None."""
    memberships = active_memberships(request)
    if not memberships:
        return None
    chosen = request.session.get(SESSION_KEY) if hasattr(request, "session") else None
    for membership in memberships:
        if membership.pk == chosen:
            return membership
    # Stale or absent choice: first by organisation name (the only one if one).
    return memberships[0]


def actor_for_request(request: HttpRequest) -> Actor:
    """The :class:`core.access.Actor` of the request (see module docstring)."""
    user = getattr(request, "user", None)
    membership = acting_membership(request)
    if membership is None:
        return Actor(user=user)
    return Actor(
        user=user,
        membership_id=membership.pk,
        organisation_id=membership.organisation_id,
        role=membership.role,
    )


def choose(request: HttpRequest, membership: Membership) -> None:
    """Act for ``membership`` from now on (it must be one of the user's active ones)."""
    request.session[SESSION_KEY] = membership.pk


def requires_second_factor(request: HttpRequest) -> bool:
    """Platform staff, and anyone who may act as national staff, funder or admin.

    Any active membership with such a role counts, not only the acting one:
    otherwise a stolen password would switch to that role without a code.
    """
    user = getattr(request, "user", None)
    if not getattr(user, "is_authenticated", False):
        return False
    return needs_second_factor(user, active_memberships(request))


def needs_second_factor(user, memberships: list[Membership]) -> bool:
    """Platform staff, or any of ``memberships`` in a role of SECOND_FACTOR_ROLES."""
    if user.is_staff or user.is_superuser:
        return True
    roles = set(settings.SECOND_FACTOR_ROLES)
    return any(membership.role in roles for membership in memberships)


def context(request: HttpRequest) -> dict:
    """Template context: the acting membership and the others to switch to.

    Callables, which templates call on first use: pages that do not show
    the selector (the admin) do not pay its query.
    """
    return {
        "acting_membership": partial(acting_membership, request),
        "acting_memberships": partial(active_memberships, request),
    }

"""Personal API tokens: create (the clear token shown once), revoke, resolve.

A token is ``la_<key_id>_<secret>``: ``key_id`` is public (lists, throttling),
only the SHA-256 of the whole token is stored. A token acts for one
membership with a scope (read, or read-write) until it expires or is
revoked; it stops working at once when its membership, its organisation or
its user is deactivated. ``settings.API_TOKEN_RESOLVER`` names
:func:`resolve` for ``core.api.authentication``.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework import exceptions

from core import access, audit
from core.access import Actor
from core.api.authentication import ApiCredential

from .models import ApiToken, ApiTokenScope, Membership

PREFIX = "la"
#: Lifetimes offered in the web UI, in days.
LIFETIMES = (30, 90, 365)
DEFAULT_LIFETIME = 90
#: last_used_at is written at most this often (a write per request would cost a query each time).
LAST_USED_PRECISION = datetime.timedelta(minutes=5)


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_create(*, actor: Actor, name: str, scope: str, days: int = DEFAULT_LIFETIME) -> tuple[ApiToken, str]:
    """A new token for the actor's acting membership; returns ``(token, clear_token)``.

    The clear token is returned once and never stored.
    """
    if not actor.acts_for_an_organisation:
        raise PermissionDenied(_("Vous devez agir pour une organisation pour créer un jeton."))
    errors: dict = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = [_("Donnez un nom au jeton.")]
    if scope not in ApiTokenScope.values:
        errors["scope"] = [_("Choisissez la portée du jeton.")]
    if days not in LIFETIMES:
        errors["days"] = [_("Choisissez une durée de validité proposée.")]
    if errors:
        raise ValidationError(errors)
    key_id = secrets.token_hex(6)
    clear = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    token = ApiToken(
        membership=Membership.objects.get(pk=actor.membership_id),
        name=name,
        key_id=key_id,
        key_hash=digest(clear),
        scope=scope,
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )
    with transaction.atomic():
        token.full_clean()
        token.save()
        audit.record_write(actor=actor, obj=token, action="create", fields=["membership", "name", "scope", "expires_at"])
    return token, clear


def token_revoke(*, actor: Actor, token: ApiToken) -> ApiToken:
    """Revoke at once (idempotent); the caller resolved ``token`` through the access policy."""
    if not access.can(actor, access.CHANGE, token):
        raise PermissionDenied
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.version += 1
            locked.save(update_fields=["revoked_at", "version", "updated_at"])
            audit.record_write(actor=actor, obj=locked, action="update", fields=["revoked_at"])
    return locked


def tokens_of(actor: Actor):
    return access.visible_to(actor, ApiToken).select_related("membership__organisation")


def resolve(key: str) -> ApiCredential:
    """The credential of a clear token, or ``AuthenticationFailed`` (401) saying why, in French."""
    token = (
        ApiToken.objects.select_related("membership__user", "membership__organisation")
        .filter(key_hash=digest(key))
        .first()
    )
    if token is None:
        raise exceptions.AuthenticationFailed(_("Jeton inconnu."), code="token_invalid")
    now = timezone.now()
    if token.revoked_at is not None:
        raise exceptions.AuthenticationFailed(_("Ce jeton a été révoqué."), code="token_revoked")
    if token.expires_at <= now:
        raise exceptions.AuthenticationFailed(_("Ce jeton a expiré."), code="token_expired")
    membership = token.membership
    if not (membership.is_active and membership.organisation.is_active and membership.user.is_active):
        raise exceptions.AuthenticationFailed(
            _("Le rattachement de ce jeton n'est plus actif."), code="membership_inactive"
        )
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    actor = Actor(
        user=membership.user,
        membership_id=membership.pk,
        organisation_id=membership.organisation_id,
        role=membership.role,
    )
    return ApiCredential(token_id=token.pk, key_id=token.key_id, scope=token.scope, actor=actor)

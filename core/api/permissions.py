"""Permissions of every API view: an actor acting for an organisation; read-only tokens only read."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from core import access

from .authentication import ApiCredential


class ActsForAnOrganisation(permissions.BasePermission):
    """Authenticated, acting through an active membership; a read-only token may not write."""

    message = _("Vous devez agir pour une organisation.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        credential = request.auth
        if isinstance(credential, ApiCredential) and request.method not in permissions.SAFE_METHODS:
            if not credential.may_write:
                self.message = _("Ce jeton est en lecture seule : il ne permet pas d'écrire.")
                return False
        return access.actor_of(request).acts_for_an_organisation

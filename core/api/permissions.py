"""Permissions of every API view: an actor acting for an organisation; read-only tokens only read.

:class:`ActsForAnOrganisation` is the gate every API request passes before
its handler, so it also refuses, with a 400 naming the parameter, a query
string or URL argument that carries a NUL character: PostgreSQL refuses
NUL in text, and that refusal must be the caller's 400, never our 500 from
deep inside a filter (request bodies are checked by the serializers:
REST framework's ``CharField`` refuses NUL).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, permissions

from core import access

from .authentication import ApiCredential

NUL_REFUSED = _("Le caractère nul (\\x00) n'est pas accepté.")


def refuse_nul_characters(request, view) -> None:
    """400 naming the first query parameter or URL argument that carries a NUL character."""
    errors = {}
    for name, values in request.query_params.lists():
        if "\x00" in name or any("\x00" in value for value in values):
            errors[name.replace("\x00", "\\x00")] = [NUL_REFUSED]
    for name, value in (getattr(view, "kwargs", None) or {}).items():
        if isinstance(value, str) and "\x00" in value:
            errors["id" if name == "pk" else name] = [NUL_REFUSED]  # "id", as the schema names it
    if errors:
        raise exceptions.ValidationError(errors)


class ActsForAnOrganisation(permissions.BasePermission):
    """Authenticated, acting through an active membership; a read-only token may not write."""

    message = _("Vous devez agir pour une organisation.")

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        refuse_nul_characters(request, view)
        credential = request.auth
        if isinstance(credential, ApiCredential) and request.method not in permissions.SAFE_METHODS:
            if not credential.may_write:
                self.message = _("Ce jeton est en lecture seule : il ne permet pas d'écrire.")
                return False
        return access.actor_of(request).acts_for_an_organisation

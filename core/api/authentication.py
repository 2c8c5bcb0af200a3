"""API authentication: personal tokens bound to one membership, and the session.

``Authorization: Bearer <token>`` (``Token <token>`` is accepted too). The
token is resolved by the callable named in ``settings.API_TOKEN_RESOLVER``
(``partners.api_tokens.resolve``: ``core`` imports no app), which returns
an :class:`ApiCredential` or raises ``AuthenticationFailed`` (unknown,
expired or revoked token, inactive membership): 401 with the one error
shape of :mod:`core.api.exceptions`.

A token request acts for the token's membership: ``request.actor`` is set
from it here, replacing the session's acting membership. A session request
(the browsable API, the site's own scripts) keeps the actor of
``partners.middleware``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.conf import settings
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from core.access import Actor

READ = "read"
READ_WRITE = "read_write"


@dataclass(frozen=True)
class ApiCredential:
    """What a valid token grants: ``request.auth`` of a token request."""

    token_id: int
    key_id: str
    scope: str
    actor: Actor

    @property
    def may_write(self) -> bool:
        return self.scope == READ_WRITE


@lru_cache(maxsize=1)
def _resolver():
    return import_string(settings.API_TOKEN_RESOLVER)


class TokenAuthentication(authentication.BaseAuthentication):
    keywords = (b"bearer", b"token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("En-tête Authorization invalide : « Bearer <jeton> » attendu."), code="token_invalid")
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Jeton invalide."), code="token_invalid") from None
        credential = _resolver()(key)
        # The actor of this request is the token's membership, not the session's.
        request._request.actor = credential.actor
        return credential.actor.user, credential

    def authenticate_header(self, request) -> str:
        return 'Bearer realm="api"'


class SessionAuthentication(authentication.SessionAuthentication):
    """The browsable API and the site's scripts: the session's acting membership (CSRF enforced)."""


from . import schema  # noqa: E402,F401 (registers the OpenAPI descriptions of these classes)

"""Rate limit per API token (per user for session requests): 429 with ``Retry-After``.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (``api_token``,
``api_session``), read at each request so that a settings change applies.
Counters live in the cache (Redis), keyed by the token's public id.
"""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .authentication import ApiCredential


class ApiRateThrottle(SimpleRateThrottle):
    def allow_request(self, request, view):
        credential = request.auth
        self.scope = "api_token" if isinstance(credential, ApiCredential) else "api_session"
        self.rate = self.get_rate()
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return super().allow_request(request, view)

    def __init__(self):  # the rate depends on the request: set in allow_request
        pass

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        credential = request.auth
        if isinstance(credential, ApiCredential):
            return f"throttle:api_token:{credential.key_id}"
        if request.user and request.user.is_authenticated:
            return f"throttle:api_session:{request.user.pk}"
        return f"throttle:api_anon:{self.get_ident(request)}"

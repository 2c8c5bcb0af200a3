"""Request-level wiring of the acting organisation and of the second factor."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _

from core import access
from core.api.exceptions import error_body

from .acting import actor_for_request, requires_second_factor


class ActingMembershipMiddleware:
    """Sets ``request.actor`` (a :class:`core.access.Actor`), computed on first use.

    Must come after ``AuthenticationMiddleware`` (it reads ``request.user``).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(lambda: actor_for_request(request))
        with access.request_scope():  # memo of the actor's relations, for this request only
            return self.get_response(request)


def _exempt_paths() -> tuple[str, ...]:
    """Paths an unverified account may still reach: sign in and out, the code page, probes, files."""
    paths = [
        reverse("partners:login"),
        reverse("partners:logout"),
        reverse("partners:second_factor"),
        reverse("admin:logout"),
        reverse("healthz"),
        reverse("set_language"),
    ]
    if settings.STATIC_URL:
        paths.append(settings.STATIC_URL if settings.STATIC_URL.startswith("/") else f"/{settings.STATIC_URL}")
    return tuple(paths)


class RequireSecondFactorMiddleware:
    """Accounts that need a second factor reach nothing else until they give a code.

    Applies to ``is_staff`` accounts (the admin included) and to anyone with
    an active membership whose role is in ``SECOND_FACTOR_ROLES`` (national
    staff, funders, organisation and platform admins). Pages get a redirect
    to the "Vérification en deux étapes" page (enrolment when the account
    has no confirmed TOTP device yet), the API a 403.

    Must come after ``django_otp.middleware.OTPMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self._exempt: tuple[str, ...] | None = None

    def __call__(self, request):
        if settings.SECOND_FACTOR_REQUIRED and self._must_verify(request):
            return self._refuse(request)
        return self.get_response(request)

    def _must_verify(self, request) -> bool:
        user = getattr(request, "user", None)
        if not getattr(user, "is_authenticated", False):
            return False
        if self._exempt is None:
            self._exempt = _exempt_paths()
        if request.path_info.startswith(self._exempt):
            return False
        if user.is_verified():
            return False
        return requires_second_factor(request)

    def _refuse(self, request):
        if request.path_info.startswith("/api/"):
            # The API's one error shape (core.api.exceptions).
            return JsonResponse(error_body("second_factor_required", _("Vérification en deux étapes requise.")), status=403)
        url = reverse("partners:second_factor")
        if request.method == "GET":
            url = f"{url}?{urlencode({'next': request.get_full_path()})}"
        return redirect(url)

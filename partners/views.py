"""Account pages (login, password, second factor), the acting organisation
switch, and the members page of an organisation admin."""

from __future__ import annotations

import io
from base64 import b32encode

from django import forms
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.access import CHANGE, actor_of
from core.views import scoped_object

from . import acting, services
from .forms import AccountPasswordResetForm, EmailAuthenticationForm, MembershipInviteForm, SecondFactorForm
from .models import ApiTokenScope, Membership

# --------------------------------------------------------------------------
# Login, logout, passwords: Django's views with the project's templates
# --------------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    form_class = EmailAuthenticationForm
    redirect_authenticated_user = True


class PasswordChangeView(auth_views.PasswordChangeView):
    success_url = reverse_lazy("partners:password_change_done")


class PasswordResetView(auth_views.PasswordResetView):
    success_url = reverse_lazy("partners:password_reset_done")
    form_class = AccountPasswordResetForm
    email_template_name = "registration/password_reset_email.txt"
    subject_template_name = "registration/password_reset_subject.txt"


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    success_url = reverse_lazy("partners:password_reset_complete")


def lockout(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' lockout response (AXES_LOCKOUT_CALLABLE): a French page, HTTP 429."""
    from axes.helpers import get_cool_off, get_failure_limit

    cool_off = get_cool_off(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    return render(request, "registration/lockout.html", context, status=429)


def _safe_next(request: HttpRequest, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


@login_required
def account(request: HttpRequest) -> HttpResponse:
    """My account: who I am, the organisations I act for, security settings."""
    return render(
        request,
        "partners/account.html",
        {
            "memberships": acting.active_memberships(request),
            "has_second_factor": TOTPDevice.objects.filter(user=request.user, confirmed=True).exists(),
            "second_factor_required": acting.requires_second_factor(request),
        },
    )


# --------------------------------------------------------------------------
# Second factor (TOTP)
# --------------------------------------------------------------------------

ENROLMENT_DEVICE_NAME = "Application d'authentification"


def _qr_svg(data: str) -> str:
    """An inline SVG QR code of ``data`` (no image request, no inline style)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(data, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    return svg[svg.index("<svg"):]  # drop the XML declaration


@login_required
def second_factor(request: HttpRequest) -> HttpResponse:
    """"Vérification en deux étapes": code entry, or enrolment of a first device."""
    user = request.user
    next_url = _safe_next(request, reverse("home"))
    if getattr(user, "is_verified", lambda: False)():
        return redirect(next_url)

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    enrolling = device is None
    if enrolling:
        # One pending device per account, kept until confirmed (the secret
        # must not change between showing it and typing its first code).
        device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
        if device is None:
            device = TOTPDevice.objects.create(user=user, name=ENROLMENT_DEVICE_NAME, confirmed=False)

    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["token"]):
            if enrolling:
                device.confirmed = True
                device.save(update_fields=["confirmed"])
                messages.success(request, _("La vérification en deux étapes est activée pour votre compte."))
            otp_login(request, device)
            return redirect(next_url)
        form.add_error("token", _("Code incorrect ou expiré. Saisissez le code affiché en ce moment par votre application."))

    context = {"form": form, "enrolling": enrolling, "next": next_url}
    if enrolling:
        secret = b32encode(device.bin_key).decode()
        context.update(
            secret=" ".join(secret[i:i + 4] for i in range(0, len(secret), 4)),
            otpauth_uri=device.config_url,
            qr_svg=mark_safe(_qr_svg(device.config_url)),  # generated by qrcode from our own URI
        )
    return render(request, "registration/second_factor.html", context)


# --------------------------------------------------------------------------
# Acting organisation
# --------------------------------------------------------------------------


@login_required
@require_POST
def switch_organisation(request: HttpRequest) -> HttpResponse:
    """Act for another of my own active memberships (anyone else's: 404)."""
    try:
        membership_id = int(request.POST.get("membership", ""))
    except ValueError:
        raise Http404 from None
    membership = next((m for m in acting.active_memberships(request) if m.pk == membership_id), None)
    if membership is None:
        raise Http404
    acting.choose(request, membership)
    messages.success(
        request,
        _("Vous agissez désormais pour %(organisation)s (%(role)s).")
        % {"organisation": membership.organisation, "role": membership.get_role_display()},
    )
    return redirect(_safe_next(request, reverse("home")))


# --------------------------------------------------------------------------
# Members of my organisation (organisation admins)
# --------------------------------------------------------------------------


@login_required
def members(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    memberships = (
        services.administered_memberships(actor)
        .select_related("user", "organisation")
        .order_by("-is_active", "user__last_name", "user__first_name", "user__email")
    )
    return render(
        request,
        "partners/members.html",
        {"memberships": memberships, "organisation": acting.acting_membership(request).organisation},
    )


@login_required
def member_invite(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    services.administered_memberships(actor)  # 403 before showing anything
    organisation = acting.acting_membership(request).organisation
    form = MembershipInviteForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        try:
            membership = services.membership_invite(
                actor=actor, site_url=request.build_absolute_uri("/"), **form.cleaned_data
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(person)s est invité(e) comme %(role)s ; un e-mail lui a été envoyé à %(email)s.")
                % {"person": membership.user, "role": membership.get_role_display(), "email": membership.user.email},
            )
            return redirect("partners:members")
    return render(request, "partners/member_invite.html", {"form": form, "organisation": organisation})


@scoped_object("partners.Membership", action=CHANGE, kwarg="membership_id")
def member_deactivate(request: HttpRequest, membership: Membership) -> HttpResponse:
    """Confirmation page (GET), then deactivation (POST). 404/403: core.access."""
    if request.method == "POST":
        try:
            membership = services.membership_deactivate(actor=actor_of(request), membership_id=membership.pk)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Le rattachement de %(person)s est désactivé.") % {"person": membership.user})
        return redirect("partners:members")
    return render(request, "partners/member_deactivate.html", {"membership": membership})


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error)


# --------------------------------------------------------------------------
# Personal API tokens
# --------------------------------------------------------------------------


class ApiTokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Nom du jeton"), max_length=100, help_text=gettext_lazy("Le logiciel ou l'usage qui l'utilisera."))
    scope = forms.ChoiceField(label=gettext_lazy("Portée"), choices=ApiTokenScope.choices, initial=ApiTokenScope.READ)
    days = forms.TypedChoiceField(
        label=gettext_lazy("Valable"), coerce=int, initial=90,
        choices=[(30, gettext_lazy("30 jours")), (90, gettext_lazy("90 jours")), (365, gettext_lazy("1 an"))],
    )


@login_required
def api_tokens(request: HttpRequest) -> HttpResponse:
    """My API tokens: the list, and a form to create one (the token is shown once, here)."""
    from . import api_tokens as tokens_service

    actor = actor_of(request)
    form = ApiTokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                token, new_token = tokens_service.token_create(actor=actor, **form.cleaned_data)
            except ValidationError as error:
                _add_errors(form, error)
                status = 400
            else:
                form = ApiTokenForm()
                status = 201
        else:
            status = 400
    context = {
        "tokens": tokens_service.tokens_of(actor).order_by("-created_at", "-pk"),
        "form": form,
        "new_token": new_token,
        "acting": acting.acting_membership(request),
        "api_docs_url": reverse("api-docs"),
    }
    response = render(request, "partners/api_tokens.html", context, status=status)
    if new_token:
        response["Cache-Control"] = "no-store"  # the clear token must not stay in a cache
    return response


@scoped_object("partners.ApiToken", action=CHANGE)
@require_POST
def api_token_revoke(request: HttpRequest, token) -> HttpResponse:
    from . import api_tokens as tokens_service

    tokens_service.token_revoke(actor=actor_of(request), token=token)
    messages.success(request, _("Le jeton « %(name)s » est révoqué : il ne fonctionne plus.") % {"name": token.name})
    return redirect("partners:api_tokens")

"""Small helpers shared by the housing views."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse

from core import access
from partners import acting
from partners.models import OrganisationKind

LANDLORD_KINDS = (OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP)


def household_url(household_id: int) -> str:
    """The household file (served by ``households``), reversed when its route exists."""
    try:
        return reverse("households:detail", args=[household_id])
    except NoReverseMatch:
        return f"/menages/{household_id}/"


def acts_for_a_landlord(request) -> bool:
    """The acting organisation is a landlord (or the actor is a landlord adviser)."""
    actor = access.actor_of(request)
    if not actor.acts_for_an_organisation or actor.aggregate_only:
        return False
    membership = acting.acting_membership(request)
    return actor.role == access.LANDLORD_ADVISER or (membership is not None and membership.organisation.kind in LANDLORD_KINDS)


def landlord_required(view):
    """The landlord's own screens: login, then a landlord organisation (else 403)."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not acts_for_a_landlord(request):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def add_service_errors(form, error: ValidationError) -> None:
    """A service's ValidationError onto the form: per field when the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for name, errors in error.error_dict.items():
            target = name if name in form.fields else None
            for item in errors:
                form.add_error(target, item)
    else:
        form.add_error(None, error)


def form_page(request, *, form, title, intro, back_url, submit, status=200, blocked: str = "", extra=None):
    """A full-page form of the housing screens (``blocked``: why the form is not offered)."""
    return render(request, "housing/form_page.html", {
        "form": form, "title": title, "intro": intro, "back_url": back_url, "submit": submit, "blocked": blocked,
        **(extra or {}),
    }, status=status)

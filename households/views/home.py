"""Home pages of caseworkers ("Mes ménages") and team leads (the team's caseload), and bulk reassignment.

``reporting.views.home`` dispatches each role to its page: a caseworker to
:func:`caseworker_home`, a team lead or an organisation admin of an
association to :func:`team_home`. Both pages cost a fixed number of
queries: the rows are annotated in one query (``households.contacts.caseload``)
and paginated.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import QueryDict
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from core.access import actor_of
from core.lists import build_listing

from .. import contacts

CASELOAD_SORTS = {
    "menage": ("household__display_name",),
    "phase": ("phase",),
    "contact": ("seen_sort",),
    "prochain": ("next_contact_on",),
    "mandat": ("mandate_ends_on",),
    "referent": ("referent__user__last_name", "referent__user__first_name"),
}

#: ?alerte= / ?vue= filters of the caseload tables.
VIEWS = {
    "non-vus": lambda days: contacts.not_seen_q(days),
    "mandats": lambda days: contacts.mandate_soon_q(),
    "bilans": lambda days: Q(reviews_overdue=True),
    "sans-referent": lambda days: Q(referent__isnull=True),
}
MAX_DAYS = 365


def _with_alerts(listing) -> None:
    for row in listing.rows:
        row.alerts = contacts.alerts_of(row)


@login_required
def caseworker_home(request):
    """"Mes ménages": the open measures the caseworker is référent of or on the team of, with their alerts."""
    actor = actor_of(request)
    days = contacts.not_seen_days()
    mine = contacts.my_measures(actor)
    rows = contacts.caseload(actor, mine, days=days)
    view = request.GET.get("alerte", "")
    if view in VIEWS and view != "sans-referent":
        rows = rows.filter(VIEWS[view](days))
    else:
        view = ""
    listing = build_listing(request, rows, sorts=CASELOAD_SORTS, default_sort="contact")
    _with_alerts(listing)
    context = {
        "listing": listing,
        "counts": contacts.caseload_counts(actor, mine, days=days),
        "days": days,
        "view": view,
    }
    return render(request, "households/home_caseworker.html", context)


def _days(params) -> tuple[int, str]:
    """N of "not seen for N days": ``?jours=`` (1–365), else the setting; with an error message if refused."""
    default = contacts.not_seen_days()
    raw = (params.get("jours") or "").strip()
    if not raw:
        return default, ""
    try:
        value = int(raw)
    except ValueError:
        return default, _("Nombre de jours invalide : %(d)d jours retenus.") % {"d": default}
    if not 1 <= value <= MAX_DAYS:
        return default, _("Le nombre de jours va de 1 à %(max)d : %(d)d jours retenus.") % {"max": MAX_DAYS, "d": default}
    return value, ""


@login_required
def team_home(request, *, reassign_errors=None, selected=(), chosen_referent=None, status=200):
    """The team's caseload: per-référent load, households to look at, bulk reassignment of référents."""
    actor = actor_of(request)
    days, days_error = _days(request.GET)
    view = request.GET.get("vue", "non-vus")
    if view not in VIEWS and view != "tous":
        view = "non-vus"
    measures = contacts.open_measures_of_organisation(actor)
    rows = contacts.caseload(actor, measures, days=days)
    if view in VIEWS:
        rows = rows.filter(VIEWS[view](days))
    caseworkers = list(contacts.caseworkers_of(actor))
    referent_filter = request.GET.get("referent", "")
    if referent_filter.isdigit():
        rows = rows.filter(referent_id=int(referent_filter))
    else:
        referent_filter = ""
    listing = build_listing(request, rows, sorts=CASELOAD_SORTS, default_sort="contact", per_page=50)
    _with_alerts(listing)
    context = {
        "listing": listing,
        "counts": contacts.caseload_counts(actor, measures, days=days),
        "load": contacts.caseload_by_referent(actor, caseworkers, days=days),
        "caseworkers": caseworkers,
        "days": days,
        "days_error": days_error,
        "view": view,
        "referent_filter": int(referent_filter) if referent_filter else None,
        "may_reassign": actor.role in contacts.REASSIGNERS,
        "reassign_errors": reassign_errors or [],
        "selected": {int(pk) for pk in selected},
        "chosen_referent": chosen_referent,
        "mandate_days": contacts.MANDATE_SOON_DAYS,
    }
    return render(request, "households/home_team.html", context, status=status)


def _safe_next(request) -> str:
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return "/"
    return target


@login_required
@require_POST
def reassign(request):
    """Bulk reassignment of référents (team lead, organisation admin)."""
    actor = actor_of(request)
    if actor.role not in contacts.REASSIGNERS:
        raise PermissionDenied
    back = _safe_next(request)
    raw_ids = request.POST.getlist("measures")
    raw_referent = request.POST.get("referent", "")
    errors = []
    ids = [int(value) for value in raw_ids if value.isdigit()]
    if len(ids) != len(raw_ids):
        errors.append(_("La sélection contient une valeur invalide."))
    referent = None
    if raw_referent.isdigit():
        referent = contacts.caseworkers_of(actor).filter(pk=int(raw_referent)).first()
    if referent is None:
        errors.append(_("Choisissez le nouveau référent dans la liste."))
    if not ids and not errors:
        errors.append(_("Cochez au moins un ménage à réaffecter."))
    if not errors:
        try:
            result = contacts.referent_reassign(actor=actor, measures=ids, new_referent=referent)
        except ValidationError as error:
            errors.extend(error.messages)
        else:
            changed = len(result.changed)
            name = referent.user.get_full_name() or referent.user.email
            if changed:
                messages.success(request, ngettext(
                    "%(n)d ménage réaffecté à %(name)s.", "%(n)d ménages réaffectés à %(name)s.", changed
                ) % {"n": changed, "name": name})
            if result.unchanged:
                messages.info(request, ngettext(
                    "%(n)d ménage avait déjà %(name)s pour référent.", "%(n)d ménages avaient déjà %(name)s pour référent.",
                    len(result.unchanged),
                ) % {"n": len(result.unchanged), "name": name})
            return redirect(back)
    # Shown again with the selection kept, on the page the form came from.
    request.GET = QueryDict(urlsplit(back).query)
    return team_home(request, reassign_errors=errors, selected=ids, chosen_referent=referent, status=400)

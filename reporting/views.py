"""The home page of each role, and the aggregate pages of national staff and funders.

``reporting`` is the top of the dependency order, so the dispatcher that
sends each role to its home page lives here.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from core import access
from core.access import actor_of
from core.views import scoped_object
from households.views import home as household_homes
from housing.views import home as landlord_homes
from partners import acting
from partners.models import OrganisationKind
from projects.models import Project

from . import dashboards
from .filtersets import DashboardFilterSet

LANDLORD_KINDS = {OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP}


@login_required
def home(request):
    """Each role lands on its own home page (DESIGN.md §1)."""
    actor = actor_of(request)
    if not actor.acts_for_an_organisation:
        return redirect("partners:account")
    if actor.role == access.PLATFORM_ADMIN:
        return redirect("admin:index")
    if actor.aggregate_only:
        return programme_home(request)
    kind = acting.acting_membership(request).organisation.kind
    if kind in LANDLORD_KINDS or actor.role == access.LANDLORD_ADVISER:
        return landlord_homes.landlord_home(request)
    if actor.role == access.CASEWORKER:
        return household_homes.caseworker_home(request)
    return household_homes.team_home(request)


def programme_home(request):
    """National staff and funders land on the national dashboard."""
    return _dashboard(request, kind="national")


@login_required
def dashboard(request):
    """"Tableau de bord": national for national staff and funders, else the acting organisation's."""
    actor = actor_of(request)
    if not actor.acts_for_an_organisation:
        return redirect("partners:account")
    if actor.role == access.PLATFORM_ADMIN:
        raise Http404
    return _dashboard(request, kind="national" if actor.aggregate_only else "organisation")


@scoped_object("projects.Project")
def project_dashboard(request, project):
    """The dashboard of one project the actor may see (another organisation's project: 404)."""
    return _dashboard(request, kind="project", project=project)


def _dashboard(request, *, kind: str, project: Project | None = None):
    """Figures from the rollup tables (reporting.dashboards), filtered by DashboardFilterSet.

    National staff and funders see every household count through the
    small-count suppression; an organisation sees the households it works on
    as they are (DESIGN.md §3).
    """
    actor = actor_of(request)
    visible = access.visible_to(actor, Project)
    if project is not None:
        visible = visible.filter(pk=project.pk)
    years, default_year = dashboards.years_of(actor, visible)
    data = request.GET.copy()
    if not data.get("year"):
        data["year"] = str(default_year)
    filters = DashboardFilterSet(data, queryset=visible, request=request, years=years)
    status = 200
    if filters.is_valid():
        projects, year = filters.qs, int(filters.form.cleaned_data.get("year") or default_year)
    else:
        projects, year, status = visible, default_year, 400
    if project is not None:
        for name in ("session", "funder", "category"):
            filters.form.fields.pop(name, None)
    scope = dashboards.Scope(
        actor=actor, projects=projects, year=year, own_organisation_id=None if actor.aggregate_only else actor.organisation_id
    )
    figures = dashboards.build(scope)
    if project is not None:
        figures["targets"] = dashboards.target_progress(actor, project, own=figures["own_every_year"])
    if kind == "national":
        title = _("Programme 10 000 logements accompagnés")
    elif kind == "organisation":
        title = _("Tableau de bord — %(organisation)s") % {"organisation": acting.acting_membership(request).organisation}
    else:
        title = _("Tableau de bord du projet %(number)s") % {"number": project.number}
    context = {
        "kind": kind,
        "title": title,
        "project": project,
        "is_funder": actor.role == access.FUNDER,
        "filters": filters,
        "listing": {"is_filtered": any(request.GET.get(name) for name in ("session", "funder", "category", "year"))},
        "clear_url": request.path,
        "d": figures,
    }
    template = "reporting/programme_home.html" if kind == "national" else "reporting/dashboard.html"
    return render(request, template, context, status=status)

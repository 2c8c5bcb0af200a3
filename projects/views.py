"""Project screens: the list of the projects one may see, and the project page.

National staff and funders see projects read-only and never a household
row: on the project page their household figures go through
``core.privacy`` (1 to 10 → "< 11"); money, targets and project counts are
shown as they are. The households panel is a fragment served by
``households`` (projects sits below households and does not import it).
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import access, exports, privacy
from core.access import actor_of
from core.lists import build_listing
from core.views import scoped_object

from . import selectors
from .access import is_carrier
from .filtersets import ProjectFilterSet
from .models import Category, FundingDecision, Project, ProjectStatus

#: Badge class of each project status.
STATUS_BADGES = {
    ProjectStatus.SUBMITTED: "badge--info",
    ProjectStatus.RETAINED: "badge--ok",
    ProjectStatus.NOT_RETAINED: "badge--danger",
    ProjectStatus.IN_PROGRESS: "badge--ok",
    ProjectStatus.CLOSED: "",
}

HUNDRED = Decimal(100)


def _project_listing(request):
    return build_listing(
        request,
        selectors.project_list(actor_of(request)),
        sorts=selectors.PROJECT_SORTS,
        default_sort="numero",
        filterset_class=ProjectFilterSet,
    )


@exports.builder
def project_export(request) -> exports.Table:
    """The project list as a file: same rows, filters and sort (projects, targets and money are never suppressed)."""
    listing = _project_listing(request)
    category, status = exports.label_of(Category.choices), exports.label_of(ProjectStatus.choices)
    Column = exports.Column
    columns = [
        Column(_("N°"), "number", width=10),
        Column(_("Intitulé"), "title", width=48),
        Column(_("Catégorie"), lambda p: category(p.category), width=34),
        Column(_("Statut"), lambda p: status(p.status), width=12),
        Column(_("Session"), "session__name", width=16),
        Column(_("Bailleur porteur"), "lead_landlord__name", width=30),
        Column(_("Début"), "starts_on", exports.DATE, width=12),
        Column(_("Ménages visés"), "target_households", exports.INTEGER, width=10),
        Column(_("Financement accordé"), "funding_total", exports.MONEY, width=16),
    ]
    return exports.Table(
        name="projects", title=_("Projets"), queryset=listing.page.paginator.object_list, columns=columns,
        total=listing.total, parameters=exports.listing_parameters(request),
    )


@login_required
@require_GET
def project_list(request):
    fmt = exports.requested_format(request)
    if fmt:
        return exports.respond(request, project_export, fmt)
    listing = _project_listing(request)
    for project in listing.rows:
        project.status_badge = STATUS_BADGES.get(project.status, "")
    return render(request, "projects/project_list.html", {"listing": listing, "filters": listing.filterset})


@scoped_object("projects.Project")
@require_GET
def project_detail(request, project):
    actor = actor_of(request)
    # Outside the organisations that work on the project's households, household
    # figures are suppressed (DESIGN.md §3): national staff and funders.
    carrier = not actor.aggregate_only and is_carrier(actor, project)
    suppress = not carrier
    context = {
        "project": project,
        "status_badge": STATUS_BADGES.get(project.status, ""),
        "carriers": selectors.carriers(actor, project),
        "actions": selectors.actions(actor, project),
        "suppress": suppress,
        "is_carrier": carrier,
        "aggregate_only": actor.aggregate_only,
        "households_url": _households_url(request, project),
        **_targets(actor, project, suppress),
        **_phases(project, suppress),
        **_money(actor, project),
        **_committees(actor, project),
    }
    return render(request, "projects/project_detail.html", context)


def _households_url(request, project: Project) -> str | None:
    """The households fragment (a route of households); the page's list parameters go along."""
    try:
        url = reverse("households:project-households", args=[project.pk])
    except NoReverseMatch:
        return None
    query = request.GET.urlencode()
    return f"{url}?{query}" if query else url


def _targets(actor, project: Project, suppress: bool) -> dict:
    """Targets of each project year against the households supported that year."""
    targets = {target.year: target for target in selectors.targets(actor, project)}
    count = max([selectors.duration_in_years(project), *targets.keys()] or [0])
    years = selectors.project_years(project, count)
    today = timezone.localdate()
    supported = selectors.households_supported_by_year(project, years, today)
    rows = []
    for year in years:
        target = targets.get(year.number)
        if year.number not in supported:  # not begun yet
            rows.append({"year": year, "target": target, "supported": None, "ratio": None, "bar": None, "future": True})
            continue
        done = privacy.cell(supported[year.number], suppress=suppress)
        ratio = None
        if target and target.households and done.value is not None:
            ratio = (Decimal(done.value) * HUNDRED / target.households).quantize(Decimal(1))
        rows.append({
            "year": year,
            "target": target,
            "supported": done,
            "ratio": ratio,
            "bar": min(ratio, HUNDRED) if ratio is not None else None,
            "current": year.starts_on <= today <= year.ends_on,
        })
    # Targets of years beyond the dates (no start date known): still listed.
    if not years:
        rows = [{"year": None, "number": n, "target": t, "supported": None, "ratio": None, "bar": None}
                for n, t in sorted(targets.items())]
    return {"target_rows": rows, "has_start": project.starts_on is not None}


def _phases(project: Project, suppress: bool) -> dict:
    counts = selectors.measures_by_phase(project)
    choices = selectors.measure_phase_choices()
    cells, total = privacy.suppress_row([counts.get(value, 0) for value, _ in choices], suppress=suppress)
    return {
        "phase_rows": [{"value": value, "label": label, "cell": c} for (value, label), c in zip(choices, cells)],
        "phase_total": total,
    }


def _money(actor, project: Project) -> dict:
    lines = list(selectors.budget_lines(actor, project))
    years: dict[int, dict] = {}
    for line in lines:
        year = years.setdefault(line.year, {"year": line.year, "lines": [], "planned": Decimal(0), "spent": Decimal(0)})
        year["lines"].append(line)
        year["planned"] += line.planned
        year["spent"] += line.spent
    fundings = list(selectors.fundings(actor, project))
    granted = [f for f in fundings if f.decision == FundingDecision.GRANTED]
    return {
        "budget_years": list(years.values()),
        "budget_planned": sum((line.planned for line in lines), Decimal(0)),
        "budget_spent": sum((line.spent for line in lines), Decimal(0)),
        "fundings": fundings,
        "funding_requested": sum((f.amount_requested or Decimal(0) for f in fundings), Decimal(0)),
        "funding_awarded": sum((f.amount_awarded for f in granted), Decimal(0)),
        "funding_received": sum((f.received for f in fundings), Decimal(0)),
        "transfers": list(selectors.partner_transfers(actor, project)),
    }


#: Meetings shown open; the older ones sit in a disclosure.
RECENT_MEETINGS = 5


def _committees(actor, project: Project) -> dict:
    meetings = list(selectors.committee_meetings(actor, project))
    today = timezone.localdate()
    for meeting in meetings:
        meeting.project = project  # already loaded: the field policy below needs it
        meeting.is_past = meeting.held_on <= today
    # Every meeting and decision of one project has the same readers (the
    # field rule is "carriers only"): decide once, not once per row.
    show_summary = bool(meetings) and "summary" in access.readable_fields(actor, meetings[0], ["summary"])
    first_decision = next((d for m in meetings for d in m.decisions.all()), None)
    show_decision = first_decision is not None and "decision" in access.readable_fields(actor, first_decision, ["decision"])
    return {
        "recent_meetings": meetings[:RECENT_MEETINGS],
        "older_meetings": meetings[RECENT_MEETINGS:],
        "meeting_count": len(meetings),
        "show_summary": show_summary,
        "show_decision": show_decision,
    }

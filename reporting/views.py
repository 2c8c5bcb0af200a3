"""The home page of each role, and the aggregate pages of national staff and funders.

``reporting`` is the top of the dependency order, so the dispatcher that
sends each role to its home page lives here.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from core import access
from core.access import actor_of
from households.views import home as household_homes
from housing.views import home as landlord_homes
from partners import acting
from partners.models import OrganisationKind

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
    """National staff and funders: programme figures over the projects the actor may see.

    Projects, planned targets and money are shown as they are; households
    actually supported go through ``core.privacy`` (1 to 10 → "< 11", with
    complementary suppression in the column and its total). No household
    row. The dashboards of the reporting issue will grow from here.
    """
    from django.db.models import Count, Q, Sum
    from django.shortcuts import render

    from core import privacy
    from projects.models import Category, Funding, FundingDecision, FunderProgramme, Project, ProjectStatus

    actor = actor_of(request)
    projects = access.visible_to(actor, Project).order_by()
    by_category = {
        row["category"]: row
        for row in projects.values("category").annotate(
            projects=Count("id"),
            targets=Sum("target_households"),
            in_progress=Count("id", filter=Q(status=ProjectStatus.IN_PROGRESS)),
        )
    }
    # A separate query: joining the measures would multiply the sums above.
    supported = dict(
        projects.values("category").annotate(n=Count("measures__household", distinct=True)).values_list("category", "n")
    )
    cells, supported_total = privacy.suppress_row([supported.get(code, 0) for code, _ in Category.choices])
    categories = [
        {
            "code": code,
            "label": label,
            "projects": by_category.get(code, {}).get("projects", 0),
            "in_progress": by_category.get(code, {}).get("in_progress", 0),
            "targets": by_category.get(code, {}).get("targets") or 0,
            "supported": cell,
        }
        for (code, label), cell in zip(Category.choices, cells)
    ]
    status_counts = dict(projects.values("status").annotate(n=Count("id")).values_list("status", "n"))
    statuses = [{"code": code, "label": label, "projects": status_counts.get(code, 0)} for code, label in ProjectStatus.choices]
    fundings = access.visible_to(actor, Funding).order_by()
    money = {
        row["programme"]: row
        for row in fundings.values("programme").annotate(
            granted=Sum("amount_awarded", filter=Q(decision=FundingDecision.GRANTED)),
            grants=Count("id", filter=Q(decision=FundingDecision.GRANTED)),
            funded_projects=Count("project", distinct=True, filter=Q(decision=FundingDecision.GRANTED)),
            pending=Sum("amount_requested", filter=Q(decision=FundingDecision.REQUESTED)),
        )
    }
    programmes = [
        {"code": code, "label": label, **{k: money.get(code, {}).get(k) or 0 for k in ("granted", "grants", "funded_projects", "pending")}}
        for code, label in FunderProgramme.choices
        if code in money
    ]
    context = {
        "is_funder": actor.role == access.FUNDER,
        "categories": categories,
        "statuses": statuses,
        "programmes": programmes,
        "project_total": sum(row["projects"] for row in categories),
        "in_progress_total": status_counts.get(ProjectStatus.IN_PROGRESS, 0),
        "target_total": sum(row["targets"] for row in categories),
        "supported_total": supported_total,
        "granted_total": sum((row["granted"] for row in programmes), 0),
        "pending_total": sum((row["pending"] for row in programmes), 0),
    }
    return render(request, "reporting/programme_home.html", context)

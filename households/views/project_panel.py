"""The households panel of a project page (an htmx fragment; a page of its own without JavaScript).

Served by households because the project page (projects) may not import
households (DESIGN.md §4). Rows are the households of the project that the
acting organisation may see; national staff and funders get no row, no
name and no count: only a sentence saying so.
"""

from __future__ import annotations

from django.db.models import Case, Exists, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core import access
from core.access import actor_of
from core.lists import build_listing
from core.views import scoped_object

from ..models import Contact, ContactStatus, Household, Phase, SupportMeasure

#: Phases in the order of a support path (repérage first).
PHASE_RANK = Case(
    *(When(measure_phase=value, then=Value(rank)) for rank, value in enumerate(Phase.values)),
    default=Value(len(Phase.values)),
    output_field=IntegerField(),
)

#: A panel of a longer page: fewer rows than a full list.
PER_PAGE = 10

SORTS = {
    "nom": ("search_key",),
    "phase": ("phase_rank", "search_key"),
    "referent": ("referent_last_name", "referent_first_name", "search_key"),
    "contact": ("last_contact", "search_key"),
}


def project_households_queryset(actor, project):
    """Visible households of ``project`` with the phase and référent of their measure in it, and their last contact.

    The measure shown is the open one, else the latest ended one. Measures
    and contacts of a visible household are visible with it
    (``HouseholdChildPolicy``), so the subqueries need no scoping of their own.
    """
    in_project = SupportMeasure.objects.filter(project=project)
    measure = in_project.filter(household=OuterRef("pk")).order_by(
        F("ended_on").desc(nulls_first=True), "-identified_on", "-pk"
    )
    last_contact = (
        Contact.objects.filter(household=OuterRef("pk"), status=ContactStatus.DONE).order_by("-occurred_on").values("occurred_on")[:1]
    )
    return (
        access.visible_to(actor, Household)
        .filter(Q(project=project) | Exists(in_project.filter(household=OuterRef("pk"))))
        .annotate(
            measure_phase=Subquery(measure.values("phase")[:1]),
            referent_first_name=Subquery(measure.values("referent__user__first_name")[:1]),
            referent_last_name=Subquery(measure.values("referent__user__last_name")[:1]),
            last_contact=Subquery(last_contact),
        )
        .annotate(phase_rank=PHASE_RANK)
    )


@scoped_object("projects.Project")
@require_GET
def project_households(request, project):
    actor = actor_of(request)
    # The panel's own htmx load gets the fragment; without JavaScript (the
    # fallback link) or through a boosted link, the fragment sits in a page.
    htmx = getattr(request, "htmx", None)
    fragment = bool(htmx) and not htmx.boosted
    template = "households/_project_households.html" if fragment else "projects/project_households_page.html"
    context = {"project": project, "aggregate_only": actor.aggregate_only, "phase_labels": dict(Phase.choices)}
    if not actor.aggregate_only:
        listing = build_listing(
            request, project_households_queryset(actor, project), sorts=SORTS, default_sort="nom", per_page=PER_PAGE
        )
        for household in listing.rows:
            household.phase_label = context["phase_labels"].get(household.measure_phase, "")
        context["listing"] = listing
    return render(request, template, context)

"""The two housing panels of the household file, served as htmx fragments.

The household page (``households``) loads them with ``hx-get`` on load;
opened directly (no htmx: a link, no JavaScript), the same content comes in
a page of its own. ``households`` never imports ``housing`` (DESIGN.md §4).
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from core import access
from core.views import scoped_object

from .. import selectors
from ..forms import EvictionStepForm
from .common import household_url


@scoped_object("households.Household")
def lease_path(request, household):
    actor, today = access.actor_of(request), timezone.localdate()
    context = {
        "household": household, "path": selectors.lease_path(actor, household, today), "today": today,
        "household_url": household_url(household.pk),
    }
    if request.htmx:
        return render(request, "housing/_lease_path.html", context)
    return render(request, "housing/panel_page.html", {**context, "panel_name": "lease_path"})


@scoped_object("households.Household")
def eviction(request, household):
    return render_eviction(request, household)


def render_eviction(request, household, *, bound_form=None, bound_case=None, notice: str = "", status: int = 200):
    """The eviction-prevention panel; ``bound_form`` re-shows a step form with its errors under ``bound_case``."""
    actor, today = access.actor_of(request), timezone.localdate()
    panel = selectors.eviction_panel(actor, household, today)
    for case_panel in panel.cases:
        if case_panel.is_open and case_panel.can_change:
            if bound_form is not None and bound_case == case_panel.case.pk:
                case_panel.form = bound_form
            else:
                case_panel.form = EvictionStepForm(auto_id=f"id_case{case_panel.case.pk}_%s")
    context = {
        "household": household, "panel": panel, "today": today, "notice": notice,
        "household_url": household_url(household.pk), "urgent_days": selectors.URGENT_DAYS,
        "open_case": bound_case,
    }
    if request.htmx:
        return render(request, "housing/_eviction.html", context, status=status)
    return render(request, "housing/panel_page.html", {**context, "panel_name": "eviction"}, status=status)

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
    """National staff and funders: programme figures (the dashboards grow with the reporting issue)."""
    from django.shortcuts import render

    return render(request, "reporting/programme_home.html", {})

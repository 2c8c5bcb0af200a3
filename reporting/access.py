"""Report runs: those of one's organisation; national runs for national staff."""

from __future__ import annotations

from django.db.models import Q

from core import access
from core.access import FUNDER, NATIONAL_STAFF, ORG_ADMIN, PLATFORM_ADMIN, TEAM_LEAD, VIEW, Actor, Policy
from projects.access import visible_projects

from .models import ReportRun, ReportScope


class ReportRunPolicy(Policy):
    def scope(self, actor: Actor, queryset):
        org = actor.organisation_id
        if actor.role == NATIONAL_STAFF:
            # Aggregate reports only (their counts are suppressed below 11).
            return queryset.filter(Q(scope__in=[ReportScope.NATIONAL, ReportScope.DEPARTEMENT]) | Q(organisation_id=org))
        if actor.role == FUNDER:
            return queryset.filter(scope=ReportScope.FUNDER, organisation_id=org)
        # Runs of the acting organisation, and of the projects it carries.
        return queryset.filter(Q(organisation_id=org) | Q(project__in=visible_projects(actor).values("pk")))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        # A lead (or an admin) re-launches a run; nobody edits a run by hand.
        return action == VIEW or (action == access.ADD and actor.role in {TEAM_LEAD, ORG_ADMIN, NATIONAL_STAFF, PLATFORM_ADMIN})


def register() -> None:
    access.register(ReportRunPolicy(ReportRun))

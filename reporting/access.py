"""Report runs: those of one's organisation; national runs for national staff.

Rollups: the project aggregates (per project × year) are read by whoever
sees the project — carriers, national staff, the funders of the project;
the row-level facts (one per support measure, one per measure-month) only
by the members of the supporting organisation who see that measure: they
carry the orientation and the social situation, which the landlord reads
only with consent and national staff and funders never.
"""

from __future__ import annotations

from django.db.models import Q

from core import access
from core.access import FUNDER, NATIONAL_STAFF, ORG_ADMIN, PLATFORM_ADMIN, TEAM_LEAD, VIEW, Actor, Policy
from households.models import SupportMeasure
from projects.access import visible_projects

from .models import (
    HouseholdMonth,
    MeasureFact,
    ProjectTargetProgress,
    ProjectYear,
    ProjectYearBreakdown,
    ProjectYearBudget,
    ProjectYearFunding,
    ProjectYearPayment,
    ReportRun,
    ReportScope,
)


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


class ProjectRollupPolicy(Policy):
    """Aggregates of a project: visible with the project, never written by anyone (the refresh does)."""

    def scope(self, actor: Actor, queryset):
        return queryset.filter(project__in=visible_projects(actor).values("pk"))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        return action == VIEW


class MeasureRollupPolicy(Policy):
    """Row-level facts: the supporting organisation's members who see the measure; no aggregate-only role."""

    def scope(self, actor: Actor, queryset):
        if actor.aggregate_only:
            return queryset.none()
        measures = access.visible_to(actor, SupportMeasure).filter(organisation_id=actor.organisation_id)
        return queryset.filter(organisation_id=actor.organisation_id, measure__in=measures.values("pk"))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        return action == VIEW


PROJECT_ROLLUPS = (ProjectYear, ProjectTargetProgress, ProjectYearBudget, ProjectYearFunding, ProjectYearPayment, ProjectYearBreakdown)
MEASURE_ROLLUPS = (MeasureFact, HouseholdMonth)


def register() -> None:
    access.register(ReportRunPolicy(ReportRun))
    for model in PROJECT_ROLLUPS:
        access.register(ProjectRollupPolicy(model))
    for model in MEASURE_ROLLUPS:
        access.register(MeasureRollupPolicy(model))

"""Access policies of projects and everything that hangs from a project.

A project is visible to its carriers and, read-only, to national staff and
to the funders that fund it. Its money, targets and committees follow the
project. Calls, sessions are public reference data inside the platform.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q

from core import access
from core.access import FUNDER, NATIONAL_STAFF, ORG_ADMIN, PLATFORM_ADMIN, TEAM_LEAD, VIEW, Actor, FieldRule, Policy

from .models import (
    Action,
    BudgetLine,
    CallForProjects,
    CommitteeDecision,
    CommitteeMeeting,
    Expense,
    Funding,
    Payment,
    Project,
    ProjectCarrier,
    ProjectTarget,
    Session,
)

#: Roles of a carrier's staff who may edit the project's data.
PROJECT_EDITORS = frozenset({TEAM_LEAD, ORG_ADMIN, access.LANDLORD_ADVISER})


def visible_projects(actor: Actor):
    """Projects visible to ``actor``: carriers; national staff all; funders what they fund."""
    projects = Project.objects.all()
    if actor.role == NATIONAL_STAFF:
        return projects
    if actor.role == FUNDER:
        return projects.filter(Exists(Funding.objects.filter(project=OuterRef("pk"), funder_id=actor.organisation_id)))
    return projects.filter(
        Q(lead_landlord_id=actor.organisation_id)
        | Exists(ProjectCarrier.objects.filter(project=OuterRef("pk"), organisation_id=actor.organisation_id))
    )


class ProjectPolicy(Policy):
    def scope(self, actor: Actor, queryset):
        return queryset.filter(pk__in=visible_projects(actor).values("pk"))

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        if action == VIEW:
            return True
        if actor.aggregate_only:
            return False
        if actor.role == PLATFORM_ADMIN:
            return True
        return actor.role in PROJECT_EDITORS and (obj is None or is_carrier(actor, project_of(obj)))


CARRIER = "carrier"  # audience: staff of one of the project's carriers

#: Minutes of committees may name households: carriers only, not funders or national staff.
CARRIER_ONLY = FieldRule.only(CARRIER)


class ProjectChildPolicy(ProjectPolicy):
    """Rows that belong to one project through ``path``."""

    def __init__(self, model, path: str, fields=None):
        super().__init__(model)
        self.path = path
        self.fields = fields or {}

    def audiences(self, actor: Actor, obj) -> frozenset[str]:
        return frozenset({CARRIER}) if is_carrier(actor, project_of(obj)) else frozenset()

    def scope(self, actor: Actor, queryset):
        return queryset.filter(**{f"{self.path}__in": visible_projects(actor).values("pk")})


class ReferencePolicy(Policy):
    """Reference data (calls, sessions): readable by every member of the platform."""

    def scope(self, actor: Actor, queryset):
        return queryset

    def can(self, actor: Actor, action: str, obj=None) -> bool:
        return action == VIEW or actor.role == PLATFORM_ADMIN


def project_of(obj) -> Project | None:
    if obj is None or isinstance(obj, Project):
        return obj
    for attribute in ("project", "meeting"):
        if hasattr(obj, attribute):
            return project_of(getattr(obj, attribute))
    return None


def is_carrier(actor: Actor, project: Project | None) -> bool:
    if project is None:
        return False
    return project.lead_landlord_id == actor.organisation_id or project.project_carriers.filter(
        organisation_id=actor.organisation_id
    ).exists()


def register() -> None:
    access.register(ReferencePolicy(CallForProjects))
    access.register(ReferencePolicy(Session))
    access.register(ProjectPolicy(Project))
    for model in (ProjectCarrier, Action, ProjectTarget, Funding, BudgetLine, Expense, Payment):
        access.register(ProjectChildPolicy(model, "project"))
    access.register(ProjectChildPolicy(CommitteeMeeting, "project", fields={"summary": CARRIER_ONLY}))
    access.register(ProjectChildPolicy(CommitteeDecision, "meeting__project", fields={name: CARRIER_ONLY for name in ("subject", "decision", "owner")}))

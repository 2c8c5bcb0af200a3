"""Writes of reporting: request and re-launch report runs, and the runs created by the beat schedule.

Every user write checks the access policy (``reporting.access``), validates,
writes an audit row in the same transaction and enqueues the build after
the commit (``transaction.on_commit``), so that a worker never looks for a
run that is not committed yet.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access, audit
from core.access import ADD, NATIONAL_STAFF, PLATFORM_ADMIN, Actor
from core.services import update_object
from partners.models import Organisation, OrganisationKind
from projects.access import visible_projects
from projects.models import Project

from . import builders, render
from .models import (
    MeasureFact,
    ProjectYear,
    ProjectYearFunding,
    ReportKind,
    ReportRun,
    ReportScope,
    ReportStatus,
)

LANDLORD_KINDS = {OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP}
#: Roles that request programme-wide runs (national and by département).
PROGRAMME_ROLES = {NATIONAL_STAFF, PLATFORM_ADMIN}

REQUEST_FIELDS = ["kind", "scope", "organisation", "project", "departement", "period_start", "period_end", "parameters", "requested_by"]
RELAUNCH_FIELDS = ["status", "attempts", "error", "started_at", "finished_at", "file"]


def _enqueue(run_ids: list[int]) -> None:
    from .tasks import build_report

    def send() -> None:
        for run_id in run_ids:
            build_report.delay(run_id)

    transaction.on_commit(send)


def _check_scope(actor: Actor, *, scope: str, organisation: Organisation | None, project: Project | None, departement: str) -> dict:
    """Field errors of a requested scope: the actor asks only for what it will be allowed to read."""
    errors: dict[str, list[str]] = {}
    if scope not in ReportScope.values:
        errors["scope"] = [_("Choisissez un périmètre.")]
        return errors
    if scope == ReportScope.PROJECT:
        if project is None or not visible_projects(actor).filter(pk=project.pk).exists():
            errors["project"] = [_("Projet introuvable parmi ceux que vous pouvez consulter.")]
    elif scope in (ReportScope.LANDLORD, ReportScope.ASSOCIATION, ReportScope.FUNDER):
        if organisation is None:
            errors["organisation"] = [_("Indiquez l'organisation du périmètre.")]
        elif organisation.pk != actor.organisation_id and actor.role != PLATFORM_ADMIN:
            errors["organisation"] = [_("Vous ne pouvez demander un rapport que pour votre organisation.")]
        elif scope == ReportScope.LANDLORD and organisation.kind not in LANDLORD_KINDS:
            errors["organisation"] = [_("Cette organisation n'est pas un bailleur.")]
        elif scope == ReportScope.ASSOCIATION and organisation.kind != OrganisationKind.ASSOCIATION:
            errors["organisation"] = [_("Cette organisation n'est pas une association.")]
    elif actor.role not in PROGRAMME_ROLES:
        errors["scope"] = [_("Ce périmètre est réservé à l'équipe nationale.")]
    elif scope == ReportScope.DEPARTEMENT and not (departement or "").strip():
        errors["departement"] = [_("Indiquez le code du département.")]
    return errors


def report_run_request(
    *,
    actor: Actor,
    kind: str,
    scope: str,
    period_start: datetime.date,
    period_end: datetime.date,
    organisation: Organisation | None = None,
    project: Project | None = None,
    departement: str = "",
    parameters: dict | None = None,
) -> ReportRun:
    """Ask for a report run (status pending); its build is enqueued after the commit."""
    if not access.can(actor, ADD, ReportRun):
        raise PermissionDenied
    errors = _check_scope(actor, scope=scope, organisation=organisation, project=project, departement=departement)
    if kind not in builders.BUILDERS:
        errors["kind"] = [_("Ce type de rapport n'est pas encore disponible.")]
    if period_start and period_end and period_end < period_start:
        errors["period_end"] = [_("La fin de période doit suivre son début.")]
    try:
        render.requested_formats(parameters)
    except ValueError as error:
        errors["parameters"] = [str(error)]
    if errors:
        raise ValidationError(errors)
    run = ReportRun(
        kind=kind, scope=scope, period_start=period_start, period_end=period_end, parameters=parameters or {},
        organisation=organisation if scope in (ReportScope.LANDLORD, ReportScope.ASSOCIATION, ReportScope.FUNDER) else None,
        project=project if scope == ReportScope.PROJECT else None,
        departement=(departement or "").strip().upper() if scope == ReportScope.DEPARTEMENT else "",
        requested_by=actor.user if getattr(actor.user, "pk", None) else None,
    )
    with transaction.atomic():
        run.full_clean()
        run.save()
        audit.record_write(actor=actor, obj=run, action="create", fields=REQUEST_FIELDS)
        _enqueue([run.pk])
    return run


def report_run_relaunch(*, actor: Actor, run: ReportRun, version: int | None = None) -> ReportRun:
    """Re-launch a run (a lead or an admin): back to pending, attempts and error cleared, build enqueued.

    Another organisation's run is invisible (Http404); a role that may not
    re-launch gets PermissionDenied; a run being built cannot be re-launched.
    """
    run = access.access(actor, ReportRun, run.pk, action=ADD)
    if run.status == ReportStatus.RUNNING:
        raise ValidationError({"status": [_("Ce rapport est en cours de génération : attendez sa fin avant de le relancer.")]})
    changes = {"status": ReportStatus.PENDING, "attempts": 0, "error": "", "started_at": None, "finished_at": None, "file": ""}
    with transaction.atomic():
        run = update_object(actor=actor, obj=run, changes=changes, version=version, action="update")
        _enqueue([run.pk])
    return run


# --------------------------------------------------------------------------
# Runs created by the beat schedule (no actor: the platform itself)
# --------------------------------------------------------------------------

MONTHLY, YEARLY = "monthly", "yearly"


def previous_period(frequency: str, today: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The month or the year that ended before ``today``."""
    if frequency == MONTHLY:
        end = today.replace(day=1) - datetime.timedelta(days=1)
        return end.replace(day=1), end
    if frequency == YEARLY:
        return datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    raise ValueError(f"unknown frequency {frequency!r}")


def scope_targets(scope: str, start: datetime.date, end: datetime.date) -> list[dict]:
    """The entities of a scope that had activity in the period, read from the rollups."""
    years = list(range(start.year, end.year + 1))
    active_projects = ProjectYear.objects.filter(year__in=years).filter(
        Q(measures_active__gt=0) | Q(planned__gt=0) | Q(spent__gt=0) | Q(received__gt=0)
    ).values("project")
    facts = MeasureFact.objects.filter(identified_on__lte=end).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    if scope == ReportScope.NATIONAL:
        return [{}]
    if scope == ReportScope.PROJECT:
        return [{"project_id": pk} for pk in Project.objects.filter(pk__in=active_projects).order_by("pk").values_list("pk", flat=True)]
    if scope == ReportScope.LANDLORD:
        ids = Project.objects.filter(pk__in=active_projects, lead_landlord__isnull=False).values_list("lead_landlord", flat=True)
        return [{"organisation_id": pk} for pk in sorted(set(ids))]
    if scope == ReportScope.ASSOCIATION:
        ids = Organisation.objects.filter(kind=OrganisationKind.ASSOCIATION, pk__in=facts.values("organisation")).values_list("pk", flat=True)
        return [{"organisation_id": pk} for pk in sorted(ids)]
    if scope == ReportScope.FUNDER:
        ids = ProjectYearFunding.objects.filter(year__in=years).filter(Q(awarded__gt=0) | Q(received__gt=0)).values_list("funder", flat=True)
        return [{"organisation_id": pk} for pk in sorted(set(ids))]
    if scope == ReportScope.DEPARTEMENT:
        codes = facts.exclude(departement="").values_list("departement", flat=True).distinct()
        return [{"departement": code} for code in sorted(set(codes))]
    raise ValueError(f"unknown scope {scope!r}")


def scheduled_kinds(frequency: str, scope: str) -> list[str]:
    """Kinds built periodically: every kind with a builder; the catalogue once a year, national only."""
    return [
        kind for kind in builders.available_kinds()
        if kind != ReportKind.CATALOGUE or (frequency == "yearly" and scope == ReportScope.NATIONAL)
    ]


def report_runs_schedule(*, frequency: str, scope: str, today: datetime.date | None = None) -> list[ReportRun]:
    """Create (once) the pending runs of the period just ended for ``scope``, one per scheduled kind; enqueue them."""
    today = today or timezone.localdate()
    start, end = previous_period(frequency, today)
    wanted = [
        ReportRun(kind=kind, scope=scope, period_start=start, period_end=end, parameters={"frequency": frequency}, **target)
        for target in scope_targets(scope, start, end)
        for kind in scheduled_kinds(frequency, scope)
    ]

    def key(run: ReportRun) -> tuple:
        return (run.kind, run.organisation_id, run.project_id, run.departement)

    with transaction.atomic():
        existing = {
            key(run)
            for run in ReportRun.objects.filter(scope=scope, period_start=start, period_end=end).only(
                "kind", "organisation_id", "project_id", "departement"
            )
        }
        # The database's check constraints hold for these (the scope's entity is set above).
        new = [run for run in wanted if key(run) not in existing]
        created = ReportRun.objects.bulk_create(new)
        _enqueue([run.pk for run in created])
    return created

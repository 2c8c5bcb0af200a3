"""Celery tasks of reporting: rollup refresh, report builds, stale-run detection, scheduled runs.

Thin tasks: the work is in ``reporting.rollups``, ``reporting.builders``
and ``reporting.services``. The periodic ones are registered in the
database schedule of django-celery-beat by ``reporting.schedules``
(editable in the admin).
"""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.core.files.base import ContentFile
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from . import builders, rollups
from .models import ReportRun, ReportStatus

logger = logging.getLogger(__name__)

#: Attempts after the first one (Celery ``max_retries``).
MAX_RETRIES = 3
#: A run still "running" this long after CELERY_TASK_TIME_LIMIT is considered lost.
STALE_MARGIN = datetime.timedelta(minutes=5)


class NoBuilder(Exception):
    """No builder for the run's kind: retrying would not help."""


# --------------------------------------------------------------------------
# Rollups
# --------------------------------------------------------------------------


@shared_task(name="reporting.refresh_rollups")
def refresh_rollups() -> dict:
    """Every 10 minutes: recompute what changed since the last watermark."""
    return rollups.refresh().as_dict()


@shared_task(name="reporting.rebuild_rollups")
def rebuild_rollups() -> dict:
    """Nightly (and on demand from the admin): full recomputation."""
    return rollups.rebuild().as_dict()


# --------------------------------------------------------------------------
# Report runs
# --------------------------------------------------------------------------


def _update(run_id: int, **values) -> None:
    ReportRun.objects.filter(pk=run_id).update(version=F("version") + 1, updated_at=timezone.now(), **values)


def _fail(run_id: int, error: str) -> None:
    logger.error("Report run %s failed: %s", run_id, error)
    _update(run_id, status=ReportStatus.FAILED, finished_at=timezone.now(), error=error or _("Erreur inconnue."))


@shared_task(
    bind=True,
    name="reporting.build_report",
    autoretry_for=(Exception,),
    dont_autoretry_for=(NoBuilder,),
    retry_backoff=30,
    retry_backoff_max=15 * 60,
    retry_jitter=True,
    max_retries=MAX_RETRIES,
)
def build_report(self, run_id: int) -> str | None:
    """Build the file of one report run; retried with exponential backoff, then recorded as failed.

    Returns the stored file name. Every failure is written on the run: the
    error of the attempt while it is retried (status back to pending), the
    final error once the attempts are exhausted (status failed).
    """
    run = ReportRun.objects.select_related("organisation", "project").filter(pk=run_id).first()
    if run is None:
        logger.warning("Report run %s no longer exists", run_id)
        return None
    if run.status == ReportStatus.SUCCEEDED:
        return run.file.name  # a redelivered message (acks late): nothing to do
    _update(run_id, status=ReportStatus.RUNNING, started_at=timezone.now(), finished_at=None, attempts=F("attempts") + 1)
    try:
        try:
            builder = builders.builder_for(run.kind)
        except LookupError:
            raise NoBuilder(_("Aucun générateur n'est disponible pour ce type de rapport (%(kind)s).") % {"kind": run.get_kind_display()}) from None
        built = builder(run)
        stored = run.file.storage.save(run.file.field.generate_filename(run, built.name), ContentFile(built.content))
    except NoBuilder as exc:
        _fail(run_id, str(exc))
        raise
    except Exception as exc:
        attempt = self.request.retries + 1
        detail = f"{type(exc).__name__} : {exc}"
        if self.request.retries >= self.max_retries:
            _fail(run_id, _("Échec après %(n)s tentatives : %(error)s") % {"n": attempt, "error": detail})
        else:
            logger.warning("Report run %s: attempt %s failed, retrying: %s", run_id, attempt, detail)
            _update(run_id, status=ReportStatus.PENDING, error=_("Tentative %(n)s échouée, nouvel essai prévu : %(error)s") % {"n": attempt, "error": detail})
        raise
    _update(run_id, status=ReportStatus.SUCCEEDED, finished_at=timezone.now(), file=stored, error="")
    return stored


def stale_cutoff(now: datetime.datetime | None = None) -> datetime.datetime:
    now = now or timezone.now()
    return now - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - STALE_MARGIN


@shared_task(name="reporting.detect_stale_runs")
def detect_stale_runs() -> int:
    """Runs still "running" past the task time limit (a killed worker): marked failed, with the reason."""
    now = timezone.now()
    cutoff = stale_cutoff(now)
    minutes = int((now - cutoff).total_seconds() // 60)
    stale = ReportRun.objects.filter(status=ReportStatus.RUNNING).filter(
        Q(started_at__lt=cutoff) | Q(started_at__isnull=True, updated_at__lt=cutoff)
    )
    count = stale.update(
        status=ReportStatus.FAILED, finished_at=now, version=F("version") + 1, updated_at=now,
        error=_("Génération interrompue : toujours « en cours » après %(minutes)s minutes (traitement perdu ou arrêté). Relancez le rapport.")
        % {"minutes": minutes},
    )
    if count:
        logger.error("%s report run(s) marked failed: stale", count)
    return count


@shared_task(name="reporting.schedule_reports")
def schedule_reports(frequency: str, scope: str) -> int:
    """Monthly or yearly: create the pending runs of the period just ended for one scope, and enqueue them."""
    from . import services

    return len(services.report_runs_schedule(frequency=frequency, scope=scope))


@shared_task(name="reporting.send_report_reminders")
def send_report_reminders() -> int:
    """Daily: e-mail the project leads whose compte rendu is due at J-30, J-7 or J-1 (each reminder once)."""
    from . import reminders

    return reminders.send_report_reminders()

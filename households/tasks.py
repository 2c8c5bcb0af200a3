"""Thin Celery tasks over households services."""

from celery import shared_task

from . import retention


@shared_task(name="households.apply_retention")
def apply_retention() -> dict:
    """Daily: archive files past the active period, anonymise those past the archive period."""
    return {"archived": retention.archive_due(), "anonymised": retention.anonymise_due()}

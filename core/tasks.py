from celery import shared_task


@shared_task(name="core.ping")
def ping() -> str:
    """Round trip through the broker; used by the worker test and health checks."""
    return "pong"


@shared_task(name="core.purge_audit_log")
def purge_audit_log() -> int:
    """Delete audit rows past the retention period (runs as the owner role); returns how many."""
    from core import audit

    return audit.purge_expired()


@shared_task(name="core.build_export")
def build_export(job_id: int) -> None:
    """Build the file of a list export asked above EXPORT_BACKGROUND_ROWS rows (core.exports)."""
    from core import exports

    exports.build_job(job_id)


@shared_task(name="core.purge_exports")
def purge_exports() -> int:
    """Delete the files of expired list exports; returns how many jobs expired."""
    from core import exports

    return exports.purge_expired()

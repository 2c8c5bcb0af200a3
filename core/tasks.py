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

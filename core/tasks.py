from celery import shared_task


@shared_task(name="core.ping")
def ping() -> str:
    """Round trip through the broker; used by the worker test and health checks."""
    return "pong"

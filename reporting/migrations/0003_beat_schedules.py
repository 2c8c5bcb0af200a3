"""Register the periodic tasks of reporting in django-celery-beat's database schedule.

Idempotent (``reporting.schedules.ensure_schedules``): rows already present,
possibly edited by an administrator, are left as they are.
"""

from django.conf import settings
from django.db import migrations


def forwards(apps, schema_editor):
    from reporting.schedules import ensure_schedules

    ensure_schedules(
        apps.get_model("django_celery_beat", "PeriodicTask"),
        apps.get_model("django_celery_beat", "CrontabSchedule"),
        apps.get_model("django_celery_beat", "IntervalSchedule"),
        apps.get_model("django_celery_beat", "PeriodicTasks"),
        timezone_name=getattr(settings, "CELERY_TIMEZONE", None) or settings.TIME_ZONE,
    )


def backwards(apps, schema_editor):
    from reporting.schedules import schedule_definitions

    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[d["name"] for d in schedule_definitions()]).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0002_rollups"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

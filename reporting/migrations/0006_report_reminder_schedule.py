"""Register the daily report-due reminders in django-celery-beat's database schedule.

Calls ``reporting.schedules.ensure_schedules`` again, as 0003 did: idempotent,
it creates only the rows missing (here the reminders task) and leaves the
others, possibly edited by an administrator, as they are.
"""

from django.conf import settings
from django.db import migrations

REMINDERS = "Rapports : rappels des comptes rendus à remettre"


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
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=REMINDERS).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("reporting", "0005_report_reminder"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]

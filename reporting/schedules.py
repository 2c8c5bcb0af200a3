"""The periodic tasks of reporting, as rows of django-celery-beat (editable in the admin).

:func:`ensure_schedules` is idempotent: it creates the missing rows and
leaves alone the ones an administrator has edited (times, enabled flag).
Migration ``reporting.0003_beat_schedules`` calls it with the historical
models, so that the beat of ``make run`` (DatabaseScheduler) picks them up.
"""

from __future__ import annotations

import json

REPORT_SCOPES = ("national", "project", "landlord", "association", "departement", "funder")
SCOPE_LABELS = {
    "national": "national", "project": "par projet", "landlord": "par bailleur", "association": "par association",
    "departement": "par département", "funder": "par financeur",
}


def schedule_definitions() -> list[dict]:
    """(name, task, kwargs, schedule) of every periodic task of reporting."""
    definitions = [
        {
            "name": "Agrégats : rafraîchissement incrémental",
            "task": "reporting.refresh_rollups",
            "interval": {"every": 10, "period": "minutes"},
            "description": "Recalcule les agrégats des mesures et projets modifiés depuis le dernier passage.",
        },
        {
            "name": "Agrégats : reconstruction complète",
            "task": "reporting.rebuild_rollups",
            "crontab": {"minute": "45", "hour": "1", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
            "description": "Recalcule tous les agrégats chaque nuit (prend aussi en compte les suppressions).",
        },
        {
            "name": "Rapports : détection des générations bloquées",
            "task": "reporting.detect_stale_runs",
            "interval": {"every": 15, "period": "minutes"},
            "description": "Passe en échec les rapports « en cours » depuis plus longtemps que la limite des tâches.",
        },
        {
            "name": "Rapports : rappels des comptes rendus à remettre",
            "task": "reporting.send_report_reminders",
            "crontab": {"minute": "30", "hour": "7", "day_of_week": "*", "day_of_month": "*", "month_of_year": "*"},
            "description": "Écrit aux porteurs de projet 30, 7 et 1 jours avant la date du compte rendu attendu par un financeur.",
        },
    ]
    for scope in REPORT_SCOPES:
        definitions.append({
            "name": f"Rapports mensuels {SCOPE_LABELS[scope]}",
            "task": "reporting.schedule_reports",
            "kwargs": {"frequency": "monthly", "scope": scope},
            "crontab": {"minute": "0", "hour": "5", "day_of_week": "*", "day_of_month": "1", "month_of_year": "*"},
            "description": "Crée et lance les rapports du mois écoulé.",
        })
        definitions.append({
            "name": f"Rapports annuels {SCOPE_LABELS[scope]}",
            "task": "reporting.schedule_reports",
            "kwargs": {"frequency": "yearly", "scope": scope},
            "crontab": {"minute": "0", "hour": "6", "day_of_week": "*", "day_of_month": "2", "month_of_year": "1"},
            "description": "Crée et lance les rapports de l'année écoulée.",
        })
    return definitions


def ensure_schedules(
    PeriodicTask=None, CrontabSchedule=None, IntervalSchedule=None, PeriodicTasks=None, timezone_name: str | None = None  # noqa: N803
) -> int:
    """Create the missing periodic tasks; returns how many were created.

    The model arguments are the historical models when called from a
    migration; by default the real ones.
    """
    if PeriodicTask is None:
        from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask, PeriodicTasks  # noqa: N806
    if timezone_name is None:
        from django.conf import settings

        timezone_name = settings.CELERY_TIMEZONE or settings.TIME_ZONE
    created = 0
    for definition in schedule_definitions():
        if PeriodicTask.objects.filter(name=definition["name"]).exists():
            continue
        schedule = {}
        if "interval" in definition:
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(**definition["interval"])
        else:
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(timezone=timezone_name, **definition["crontab"])
        PeriodicTask.objects.create(
            name=definition["name"], task=definition["task"], kwargs=json.dumps(definition.get("kwargs", {})),
            description=definition["description"], enabled=True, **schedule,
        )
        created += 1
    if created and PeriodicTasks is not None:
        # A running beat (DatabaseScheduler) reloads its schedule when this changes.
        from django.utils import timezone

        PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
    return created

"""The list export job (core.exports) and the hourly purge of expired export files.

The purge is registered in django-celery-beat's database schedule (editable
in the admin); a row already present is left as it is.
"""

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


PURGE_TASK = "core.purge_exports"


def register_purge(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    if PeriodicTask.objects.filter(name="Purge des exports expirés").exists():
        return
    schedule, _ = CrontabSchedule.objects.get_or_create(
        minute="40", hour="*", day_of_week="*", day_of_month="*", month_of_year="*",
        timezone=getattr(settings, "CELERY_TIMEZONE", None) or settings.TIME_ZONE,
    )
    PeriodicTask.objects.create(name="Purge des exports expirés", task=PURGE_TASK, crontab=schedule)


def unregister_purge(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Purge des exports expirés").delete()


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0004_auditlog_server_time'),
        ('django_celery_beat', '0019_alter_periodictasks_options'),
    ]

    operations = [
        migrations.CreateModel(
            name='ExportJob',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('token', models.UUIDField(default=uuid.uuid4, editable=False, unique=True, verbose_name='jeton')),
                ('membership_id', models.BigIntegerField(verbose_name='identifiant du rattachement')),
                ('organisation_id', models.BigIntegerField(verbose_name="identifiant de l'organisation")),
                ('role', models.CharField(blank=True, max_length=32, verbose_name='rôle')),
                ('list_name', models.CharField(max_length=50, verbose_name='liste')),
                ('title', models.CharField(max_length=200, verbose_name='intitulé')),
                ('builder', models.CharField(help_text="Fonction de l'application qui décrit la liste.", max_length=200, verbose_name='constructeur')),
                ('parameters', models.JSONField(blank=True, default=dict, verbose_name='paramètres')),
                ('format', models.CharField(choices=[('csv', 'CSV'), ('xlsx', 'Excel')], max_length=4, verbose_name='format')),
                ('status', models.CharField(choices=[('pending', 'en attente'), ('running', 'en cours'), ('done', 'prêt'), ('failed', 'échec'), ('expired', 'expiré')], db_index=True, default='pending', max_length=10, verbose_name='état')),
                ('progress', models.PositiveSmallIntegerField(default=0, verbose_name='avancement (%)')),
                ('total_rows', models.PositiveIntegerField(default=0, verbose_name='lignes prévues')),
                ('row_count', models.PositiveIntegerField(blank=True, null=True, verbose_name='lignes écrites')),
                ('file', models.FileField(blank=True, upload_to='exports/%Y/%m/', verbose_name='fichier')),
                ('error', models.TextField(blank=True, verbose_name='erreur')),
                ('created_at', models.DateTimeField(db_index=True, default=django.utils.timezone.now, editable=False, verbose_name='demandé le')),
                ('started_at', models.DateTimeField(blank=True, null=True, verbose_name='démarré le')),
                ('finished_at', models.DateTimeField(blank=True, null=True, verbose_name='terminé le')),
                ('expires_at', models.DateTimeField(blank=True, db_index=True, null=True, verbose_name='expire le')),
                ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='export_jobs', to=settings.AUTH_USER_MODEL, verbose_name='demandé par')),
            ],
            options={
                'verbose_name': 'export de liste',
                'verbose_name_plural': 'exports de listes',
                'ordering': ['-created_at', '-id'],
                'indexes': [models.Index(fields=['user', 'membership_id', '-created_at'], name='exportjob_owner_idx')],
                'default_permissions': ('view', 'delete'),
            },
        ),
        migrations.RunPython(register_purge, unregister_purge),
    ]

"""Report runs. Rollup tables arrive with the reporting issue."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel
from partners.models import Organisation
from projects.models import Project, dates_ordered


class ReportKind(models.TextChoices):
    FUNDING = "funding", _("Rapport financier")
    OUTCOME = "outcome", _("Rapport de résultats")
    CATALOGUE = "catalogue", _("Guide de valorisation")


class ReportScope(models.TextChoices):
    NATIONAL = "national", _("National")
    PROJECT = "project", _("Projet")
    LANDLORD = "landlord", _("Bailleur")
    ASSOCIATION = "association", _("Association")
    DEPARTEMENT = "departement", _("Département")
    FUNDER = "funder", _("Financeur")


class ReportStatus(models.TextChoices):
    PENDING = "pending", _("En attente")
    RUNNING = "running", _("En cours")
    SUCCEEDED = "succeeded", _("Terminé")
    FAILED = "failed", _("Échec")


class ReportRun(TimeStampedModel):
    kind = models.CharField(_("rapport"), max_length=20, choices=ReportKind.choices)
    scope = models.CharField(_("périmètre"), max_length=20, choices=ReportScope.choices)
    organisation = models.ForeignKey(Organisation, verbose_name=_("organisation"), null=True, blank=True, on_delete=models.PROTECT, related_name="report_runs")
    project = models.ForeignKey(Project, verbose_name=_("projet"), null=True, blank=True, on_delete=models.PROTECT, related_name="report_runs")
    departement = models.CharField(_("département"), max_length=3, blank=True)
    period_start = models.DateField(_("début de période"))
    period_end = models.DateField(_("fin de période"))
    parameters = models.JSONField(_("paramètres"), default=dict, blank=True)
    status = models.CharField(_("état"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.PENDING, db_index=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("demandé par"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField(_("démarré le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    file = models.FileField(_("fichier"), upload_to="reports/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("exécution de rapport")
        verbose_name_plural = _("exécutions de rapport")
        ordering = ["-created_at"]
        constraints = [
            dates_ordered("period_start", "period_end", "report_period_ordered"),
            models.CheckConstraint(condition=~Q(scope=ReportScope.PROJECT) | Q(project__isnull=False), name="report_project_scope_has_project"),
            models.CheckConstraint(
                condition=~Q(scope__in=[ReportScope.LANDLORD, ReportScope.ASSOCIATION, ReportScope.FUNDER]) | Q(organisation__isnull=False),
                name="report_org_scope_has_organisation",
            ),
            models.CheckConstraint(condition=~Q(scope=ReportScope.DEPARTEMENT) | ~Q(departement=""), name="report_departement_scope_has_code"),
            models.CheckConstraint(condition=~Q(status=ReportStatus.FAILED) | ~Q(error=""), name="report_failure_has_error"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} — {self.get_scope_display()} ({self.period_start:%d/%m/%Y} → {self.period_end:%d/%m/%Y})"

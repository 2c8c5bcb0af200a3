"""Serializers of report runs (read-only, explicit fields).

The file of a run is not a public media URL: ``file`` links to
``/api/v1/report-runs/<id>/file/``, which checks access again before
streaming it; it is null while the run has no file.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from core.api.serializers import ActionInputSerializer, ScopedModelSerializer, VisibleRelatedField
from partners.models import Organisation
from projects.models import Project
from reporting.models import ReportKind, ReportRun, ReportScope

REPORT_RUN_FIELDS = [
    "id", "kind", "scope", "organisation", "project", "departement", "period_start", "period_end", "parameters",
    "status", "started_at", "finished_at", "attempts", "file", "created_at", "updated_at", "version",
]


class ReportRunSerializer(ScopedModelSerializer):
    file = serializers.SerializerMethodField(help_text=_("Lien de téléchargement du fichier produit, ou null s'il n'y en a pas."))

    class Meta:
        model = ReportRun
        fields = REPORT_RUN_FIELDS
        read_only_fields = REPORT_RUN_FIELDS

    @extend_schema_field(serializers.URLField(allow_null=True))
    def get_file(self, run: ReportRun) -> str | None:
        if not run.file:
            return None
        return reverse("api:report-run-file", kwargs={"pk": run.pk}, request=self.context.get("request"))


class ReportRunRequestSerializer(ActionInputSerializer):
    """A run to build (pending; built in the background by Celery)."""

    version = None
    label_models = (ReportRun,)
    kind = serializers.ChoiceField(choices=ReportKind.choices)
    scope = serializers.ChoiceField(choices=ReportScope.choices)
    period_start = serializers.DateField()
    period_end = serializers.DateField()
    organisation = VisibleRelatedField(Organisation, required=False, allow_null=True)
    project = VisibleRelatedField(Project, required=False, allow_null=True)
    departement = serializers.CharField(max_length=3, required=False, allow_blank=True)
    parameters = serializers.DictField(required=False)


class ReportRunRelaunchSerializer(ActionInputSerializer):
    pass

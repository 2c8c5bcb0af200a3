"""Report runs (/api/v1/report-runs/): read, request, re-launch, download the file.

Rows come from ``core.access`` (``reporting.access``): the runs of one's
organisation and of the projects it carries; national staff the national
and departmental runs; a funder its own funder runs. A run is requested or
re-launched through ``reporting.services`` (a lead, an admin, national
staff) and built by Celery; nobody edits a run.
"""

from __future__ import annotations

import os

from django.http import FileResponse, Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.decorators import action
from rest_framework.renderers import BaseRenderer, JSONRenderer

from core import access
from core.api.filters import id_filterset
from core.api.viewsets import (
    ERROR_RESPONSES,
    IF_MATCH,
    WRITE_RESPONSES,
    CreateMixin,
    ListMixin,
    RetrieveMixin,
    ScopedViewSet,
    documented,
)
from reporting import services
from reporting.models import ReportKind, ReportRun, ReportScope, ReportStatus

from .serializers import ReportRunRelaunchSerializer, ReportRunRequestSerializer, ReportRunSerializer


class FileRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/octet-stream``; errors stay in the JSON error shape."""

    media_type = "application/octet-stream"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else JSONRenderer().render(data)


@documented(
    list="Exécutions de rapports visibles",
    retrieve="Une exécution de rapport",
    create="Demander un rapport (construit en arrière-plan)",
)
class ReportRunViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = ReportRun
    serializer_class = ReportRunSerializer
    serializer_classes = {"create": ReportRunRequestSerializer, "relaunch": ReportRunRelaunchSerializer}
    object_actions = {"relaunch": access.ADD}
    filterset_class = id_filterset(
        ReportRun, ["project", "organisation"],
        {"kind": ReportKind.choices, "scope": ReportScope.choices, "status": ReportStatus.choices},
    )
    ordering_fields = ["updated_at", "created_at", "id", "kind", "scope", "status", "period_start", "period_end"]

    def perform_create(self, data):
        return services.report_run_request(actor=self.actor, **data)

    @extend_schema(
        summary="Relancer une exécution de rapport (échouée ou à refaire)",
        parameters=[IF_MATCH], request=ReportRunRelaunchSerializer,
        responses={200: ReportRunSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def relaunch(self, request, pk=None):
        run = self.get_object()
        version = self.check_if_match(run)
        run = services.report_run_relaunch(actor=self.actor, run=run, version=version)
        return self.object_response(run, 200)

    @extend_schema(
        summary="Télécharger le fichier d'une exécution de rapport",
        responses={
            (200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="Le fichier produit."),
            **ERROR_RESPONSES,
        },
    )
    @action(detail=True, methods=["get"], url_path="file", url_name="file", filter_backends=[], pagination_class=None,
            renderer_classes=[JSONRenderer, FileRenderer])
    def file(self, request, pk=None):
        run = self.get_object()
        if not run.file:
            raise Http404
        try:
            handle = run.file.open("rb")
        except (FileNotFoundError, OSError):
            raise Http404 from None
        return FileResponse(
            handle, as_attachment=True, filename=os.path.basename(run.file.name), content_type="application/octet-stream"
        )

"""Projects, read-only (/api/v1/projects/): the FilterSet of the web list."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from core.api.viewsets import ERROR_RESPONSES, ListMixin, RetrieveMixin, ScopedViewSet
from projects.filtersets import ProjectFilterSet
from projects.models import Project

from .serializers import ProjectDetailSerializer, ProjectSerializer


class ProjectApiFilterSet(ProjectFilterSet):
    """The web list's FilterSet; type hints only, for the OpenAPI schema."""

    def filter_territory(self, queryset, name, value: str):
        return super().filter_territory(queryset, name, value)

    def filter_funder(self, queryset, name, value: int):
        return super().filter_funder(queryset, name, value)

    def filter_landlord(self, queryset, name, value: int):
        return super().filter_landlord(queryset, name, value)


@extend_schema_view(
    list=extend_schema(summary="Projets visibles", responses={200: ProjectSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Un projet", responses={200: ProjectDetailSerializer, **ERROR_RESPONSES}),
)
class ProjectViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = Project
    queryset = Project.objects.none()  # schema only: rows come from core.access.visible_to
    serializer_class = ProjectSerializer
    serializer_classes = {"retrieve": ProjectDetailSerializer}
    filterset_class = ProjectApiFilterSet

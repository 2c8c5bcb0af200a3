"""Tenancy side of the API v1, read-only: leases, eviction cases, eviction steps.

Rows come from ``core.access`` (``ScopedViewSet``, ``housing.access``): the
landlord sees its leases, the supporting organisation those of its
households. Writes stay on the web screens for now.
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view

from core.api.filters import id_filterset
from core.api.viewsets import ERROR_RESPONSES, ListMixin, RetrieveMixin, ScopedViewSet
from housing.models import EvictionCase, EvictionCaseStatus, EvictionStep, EvictionStepKind, Lease, LeaseKind

from . import serializers as s


@extend_schema_view(
    list=extend_schema(summary="Baux visibles (sans le logement : voir le détail)",
                       responses={200: s.LeaseSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Un bail (le logement et son adresse si vous pouvez les lire)",
                           responses={200: s.LeaseDetailSerializer, **ERROR_RESPONSES}),
)
class LeaseViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = Lease
    queryset = Lease.objects.none()  # schema only: rows come from core.access.visible_to
    serializer_class = s.LeaseSerializer
    serializer_classes = {"retrieve": s.LeaseDetailSerializer}
    # No filter by unit: on a protected household's lease the unit is not the caller's to know.
    filterset_class = id_filterset(Lease, ["occupant", "lessor"], {"kind": LeaseKind.choices})

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset.select_related("unit") if self.action == "retrieve" else queryset


@extend_schema_view(
    list=extend_schema(summary="Dossiers de prévention des expulsions visibles",
                       responses={200: s.EvictionCaseSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Un dossier de prévention des expulsions",
                           responses={200: s.EvictionCaseSerializer, **ERROR_RESPONSES}),
)
class EvictionCaseViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = EvictionCase
    queryset = EvictionCase.objects.none()
    serializer_class = s.EvictionCaseSerializer
    filterset_class = id_filterset(EvictionCase, ["lease"], {"status": EvictionCaseStatus.choices})

    def with_related(self, queryset):
        return queryset.select_related("lease")


@extend_schema_view(
    list=extend_schema(summary="Étapes de prévention des expulsions, avec leur échéance légale",
                       responses={200: s.EvictionStepSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Une étape (avec sa précision si vous pouvez la lire)",
                           responses={200: s.EvictionStepDetailSerializer, **ERROR_RESPONSES}),
)
class EvictionStepViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = EvictionStep
    queryset = EvictionStep.objects.none()
    serializer_class = s.EvictionStepSerializer
    serializer_classes = {"retrieve": s.EvictionStepDetailSerializer}
    filterset_class = id_filterset(EvictionStep, ["case"], {"kind": EvictionStepKind.choices})

    def with_related(self, queryset):
        return queryset.select_related("case", "deadline_rule")

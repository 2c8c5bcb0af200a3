"""The directory of organisations (/api/v1/organisations/).

Every member of the platform reads the directory (``partners.access``); an
organisation admin updates its own organisation's card (name, SIREN,
address…); the kind, the group and the active flag stay with the platform
administrators (Django admin).
"""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy

from core.api.viewsets import ListMixin, RetrieveMixin, ScopedViewSet, UpdateMixin, documented
from core.text import fold
from partners.models import Organisation, OrganisationKind
from partners.services import organisation_update

from .serializers import OrganisationDetailSerializer, OrganisationSerializer


class OrganisationFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=gettext_lazy("Nom, sigle ou SIREN"), method="filter_q")
    kind = django_filters.ChoiceFilter(label=gettext_lazy("Type"), choices=OrganisationKind.choices)
    departement = django_filters.CharFilter(label=gettext_lazy("Département (code INSEE)"))
    siren = django_filters.CharFilter(label=gettext_lazy("SIREN"))
    group = django_filters.NumberFilter(label=gettext_lazy("Groupement"), field_name="group_id")
    is_active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = Organisation
        fields = ["q", "kind", "departement", "siren", "group", "is_active"]

    def filter_q(self, queryset, name, value: str):
        """Every word of ``value`` in the name (accents and case ignored), or the sigle, or the SIREN's start."""
        words = fold(value).split()
        if not words:
            return queryset
        by_name = Q()
        for word in words:
            by_name &= Q(normalized_name__contains=word)
        value = value.strip()
        return queryset.filter(by_name | Q(short_name__iexact=value) | Q(siren__startswith=value))


@documented(
    list="Annuaire des organisations",
    retrieve="Une organisation",
    update="Modifier la fiche de son organisation (administrateur de l'organisation)",
    partial_update="Modifier une partie de la fiche de son organisation",
)
class OrganisationViewSet(ListMixin, RetrieveMixin, UpdateMixin, ScopedViewSet):
    model = Organisation
    serializer_class = OrganisationSerializer
    serializer_classes = {
        "retrieve": OrganisationDetailSerializer,
        "update": OrganisationDetailSerializer,
        "partial_update": OrganisationDetailSerializer,
    }
    filterset_class = OrganisationFilterSet
    ordering_fields = ["updated_at", "created_at", "id", "name", "normalized_name", "kind", "is_active"]
    http_method_names = ["get", "put", "patch", "head", "options"]

    def perform_update(self, obj, data, version):
        return organisation_update(actor=self.actor, organisation=obj, changes=data, version=version)

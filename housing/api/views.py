"""Tenancy side of the API v1: units, leases, attribution steps, eviction cases and steps.

Rows come from ``core.access`` (``ScopedViewSet``, ``housing.access``): the
landlord sees its stock and its leases, the supporting organisation those
of its households. Writes go through ``housing.services``, the services of
the web forms: the lessor's staff (landlord adviser, team lead, admin)
write units, leases and eviction files; the supporting association records
attribution steps. Upserts by external reference (RPLS id, the landlord's
own unit reference, the tenant number) look only among the rows of the
actor's organisation.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

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
    UpdateMixin,
    UpsertMixin,
    documented,
    upsert_schema,
)
from core.services import differing_fields
from housing import services
from housing.models import (
    AttributionDecision,
    AttributionStep,
    AttributionStepKind,
    EvictionCase,
    EvictionCaseStatus,
    EvictionStep,
    EvictionStepKind,
    HousingUnit,
    Lease,
    LeaseKind,
    Typology,
    UnitKind,
)

from . import serializers as s

ORDER_BY_STAMPS = ["updated_at", "created_at", "id"]


def _fixed_fields_unchanged(obj, data: dict, fixed: list[str]) -> None:
    """Fields set at creation may be sent back unchanged, not changed (400 naming them)."""
    changed = differing_fields(obj, {name: data[name] for name in fixed if name in data})
    if changed:
        raise ValidationError({name: [_("Ce champ ne se modifie pas après la création.")] for name in changed})


# --------------------------------------------------------------------------
# Housing units
# --------------------------------------------------------------------------

UNIT_UPSERT_DOC = gettext_lazy(
    "Idempotent. Absent de votre parc : créé (201, tous les champs obligatoires). "
    "Présent : mis à jour (If-Match ou version obligatoire, 428 sinon, 412 si périmé), 200."
)


@documented(
    list="Logements visibles (sans adresse ni identifiant RPLS : voir le détail)",
    retrieve="Un logement (son adresse si vous pouvez la lire)",
    create="Ajouter un logement à votre parc",
    update="Modifier un logement de votre parc",
    partial_update="Modifier une partie d'un logement de votre parc",
)
class HousingUnitViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, UpsertMixin, ScopedViewSet):
    model = HousingUnit
    serializer_class = s.HousingUnitSerializer
    serializer_classes = {
        "retrieve": s.HousingUnitDetailSerializer,
        "create": s.HousingUnitDetailSerializer,
        "update": s.HousingUnitDetailSerializer,
        "partial_update": s.HousingUnitDetailSerializer,
        "by_rpls": s.HousingUnitDetailSerializer,
        "by_landlord_reference": s.HousingUnitDetailSerializer,
    }
    # No filter on the address fields or the RPLS id: protected, they are not the list's to reveal.
    filterset_class = id_filterset(HousingUnit, ["landlord", "project"], {"kind": UnitKind.choices, "typology": Typology.choices})
    ordering_fields = [*ORDER_BY_STAMPS, "city", "typology", "rent"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, data):
        return services.unit_create(actor=self.actor, **data)

    def perform_update(self, obj, data, version):
        return services.unit_update(actor=self.actor, unit=obj, changes=data, version=version)

    def upsert_queryset(self):
        # Among the units the actor's organisation owns (a landlord sees all of its stock).
        return self.get_queryset().filter(landlord_id=self.actor.organisation_id)

    @upsert_schema(
        summary="Créer ou mettre à jour un logement de votre parc par son identifiant RPLS",
        description=UNIT_UPSERT_DOC, request=s.HousingUnitDetailSerializer, response=s.HousingUnitDetailSerializer,
    )
    @action(detail=False, methods=["put"], url_path=r"rpls/(?P<rpls_id>[^/]{1,60})")
    def by_rpls(self, request, rpls_id: str):
        return self.upsert(request, {"rpls_id": rpls_id})

    @upsert_schema(
        summary="Créer ou mettre à jour un logement de votre parc par votre référence",
        description=UNIT_UPSERT_DOC, request=s.HousingUnitDetailSerializer, response=s.HousingUnitDetailSerializer,
    )
    @action(detail=False, methods=["put"], url_path=r"landlord-reference/(?P<landlord_reference>[^/]{1,60})")
    def by_landlord_reference(self, request, landlord_reference: str):
        return self.upsert(request, {"landlord_reference": landlord_reference})


# --------------------------------------------------------------------------
# Leases
# --------------------------------------------------------------------------


@documented(
    list="Baux visibles (sans le logement : voir le détail)",
    retrieve="Un bail (le logement et son adresse si vous pouvez les lire)",
    create="Enregistrer un bail sur un logement de votre parc",
    update="Modifier un bail (fin, loyer, charges, glissement prévu, n° de locataire)",
    partial_update="Modifier une partie d'un bail",
)
class LeaseViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, UpsertMixin, ScopedViewSet):
    model = Lease
    serializer_class = s.LeaseSerializer
    serializer_classes = {
        "retrieve": s.LeaseDetailSerializer,
        "create": s.LeaseDetailSerializer,
        "update": s.LeaseDetailSerializer,
        "partial_update": s.LeaseDetailSerializer,
        "by_tenant_reference": s.LeaseDetailSerializer,
        "glissement": s.GlissementInputSerializer,
    }
    object_actions = {"glissement": access.CHANGE}
    # No filter by unit: on a protected household's lease the unit is not the caller's to know.
    filterset_class = id_filterset(Lease, ["occupant", "lessor"], {"kind": LeaseKind.choices})
    ordering_fields = [*ORDER_BY_STAMPS, "starts_on", "signed_on"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.action == "list" else queryset.select_related("unit")

    def perform_create(self, data):
        return services.lease_create(actor=self.actor, **data)

    def perform_update(self, obj, data, version):
        _fixed_fields_unchanged(obj, data, [name for name in data if name not in s.LEASE_UPDATABLE])
        changes = {name: data[name] for name in s.LEASE_UPDATABLE if name in data}
        if "ends_on" in changes and changes["ends_on"] != obj.ends_on:
            errors = services.lease_period_errors(
                unit_id=obj.unit_id, starts_on=obj.starts_on, ends_on=changes["ends_on"], exclude_pk=obj.pk
            )
            if errors:
                raise ValidationError(errors)
        return services.lease_update(actor=self.actor, lease=obj, changes=changes, version=version)

    def upsert_queryset(self):
        # Among the leases of which the actor's organisation is the lessor; a
        # tenant number kept from one lease to the next finds the current one.
        return self.get_queryset().filter(lessor_id=self.actor.organisation_id).order_by(
            F("ends_on").desc(nulls_first=True), "-starts_on", "-id"
        )

    @upsert_schema(
        summary="Créer ou mettre à jour un de vos baux par le n° de locataire",
        description=gettext_lazy(
            "Idempotent. Aucun de vos baux ne porte ce n° : le bail est créé (201). Sinon le bail en cours "
            "(ou le plus récent) qui le porte est mis à jour (If-Match ou version obligatoire), 200 ; "
            "seuls la fin, le loyer, les charges et le glissement prévu changent."
        ),
        request=s.LeaseDetailSerializer, response=s.LeaseDetailSerializer,
    )
    @action(detail=False, methods=["put"], url_path=r"tenant-reference/(?P<tenant_reference>[^/]{1,60})")
    def by_tenant_reference(self, request, tenant_reference: str):
        return self.upsert(request, {"tenant_reference": tenant_reference})

    @extend_schema(
        summary="Enregistrer le glissement d'un bail glissant (décision de la CALEOL)",
        description=gettext_lazy(
            "Le bail de l'association prend fin la veille du glissement, le bail direct du ménage commence "
            "le jour du glissement. If-Match ou version facultatifs (vérifiés s'ils sont envoyés)."
        ),
        parameters=[IF_MATCH], request=s.GlissementInputSerializer,
        responses={201: s.GlissementSerializer, **ERROR_RESPONSES, 412: WRITE_RESPONSES[412]},
    )
    @action(detail=True, methods=["post"])
    def glissement(self, request, pk=None):
        lease = self.get_object()
        if request.headers.get("If-Match") or (isinstance(request.data, dict) and "version" in request.data):
            self.check_if_match(lease)
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = {name: value for name, value in data.validated_data.items() if name != "version" and value is not None}
        glissement = services.glissement_record(actor=self.actor, from_lease=lease, **values)
        body = s.GlissementSerializer(glissement, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)


# --------------------------------------------------------------------------
# Attribution steps
# --------------------------------------------------------------------------


@documented(
    list="Étapes d'attribution visibles (sans le logement ni la précision : voir le détail)",
    retrieve="Une étape d'attribution (le logement et la précision si vous pouvez les lire)",
    create={"summary": "Enregistrer une étape du parcours d'accès (demande, proposition, CALEOL, décision, bail, entrée)", "description": gettext_lazy("L'organisation qui accompagne le ménage, ou le bailleur sur l'un de ses logements.")},
)
class AttributionStepViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = AttributionStep
    serializer_class = s.AttributionStepSerializer
    serializer_classes = {"retrieve": s.AttributionStepDetailSerializer, "create": s.AttributionStepDetailSerializer}
    filterset_class = id_filterset(
        AttributionStep, ["household"], {"kind": AttributionStepKind.choices, "decision": AttributionDecision.choices}
    )
    ordering_fields = [*ORDER_BY_STAMPS, "occurred_on"]

    def get_queryset(self):
        queryset = super().get_queryset()
        return queryset if self.action == "list" else queryset.select_related("household", "unit")

    def perform_create(self, data):
        return services.attribution_step_record(actor=self.actor, **data)


# --------------------------------------------------------------------------
# Eviction prevention
# --------------------------------------------------------------------------


@documented(
    list="Dossiers de prévention des expulsions visibles",
    retrieve="Un dossier de prévention des expulsions",
    create="Ouvrir le dossier de prévention des expulsions d'un de vos baux",
)
class EvictionCaseViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = EvictionCase
    serializer_class = s.EvictionCaseSerializer
    serializer_classes = {"close": s.EvictionCaseCloseSerializer}
    object_actions = {"close": access.CHANGE}
    filterset_class = id_filterset(EvictionCase, ["lease"], {"status": EvictionCaseStatus.choices})
    ordering_fields = [*ORDER_BY_STAMPS, "opened_on"]

    def with_related(self, queryset):
        return queryset.select_related("lease")

    def perform_create(self, data):
        return services.eviction_case_open(actor=self.actor, **data)

    @extend_schema(
        summary="Clore un dossier avec son issue (dette soldée, expulsion évitée…)",
        parameters=[IF_MATCH], request=s.EvictionCaseCloseSerializer,
        responses={200: s.EvictionCaseSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None):
        case = self.get_object()
        version = self.check_if_match(case)
        data = self.get_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        case = services.eviction_case_close(
            actor=self.actor, case=case, status=values["status"], closed_on=values["closed_on"],
            arrears_amount=values.get("arrears_amount"), version=version,
        )
        return self.object_response(case, status.HTTP_200_OK)


@documented(
    list="Étapes de prévention des expulsions, avec leur échéance légale",
    retrieve="Une étape (avec sa précision si vous pouvez la lire)",
    create={"summary": "Enregistrer une étape d'un dossier ouvert", "description": gettext_lazy("La réponse porte l'échéance légale calculée, le libellé de sa règle et son texte de loi.")},
)
class EvictionStepViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = EvictionStep
    serializer_class = s.EvictionStepSerializer
    serializer_classes = {"retrieve": s.EvictionStepDetailSerializer, "create": s.EvictionStepDetailSerializer}
    filterset_class = id_filterset(EvictionStep, ["case"], {"kind": EvictionStepKind.choices})
    ordering_fields = [*ORDER_BY_STAMPS, "occurred_on"]

    def with_related(self, queryset):
        return queryset.select_related("case", "deadline_rule")

    def perform_create(self, data):
        return services.eviction_step_record(actor=self.actor, **data)

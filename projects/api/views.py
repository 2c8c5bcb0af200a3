"""Projects and their children (/api/v1/projects/, /project-actions/, /fundings/…).

Rows come from ``core.access`` (``projects.access``): carriers see their
projects; national staff all projects; funders the projects they fund. The
children follow their project and have their own lists, filterable by
``project``, so that a client can sync them incrementally
(``updated_since``). The carriers' editors record payments and expenses and
keep fundings up to date through ``projects.services``.
"""

from __future__ import annotations

from decimal import Decimal

import django_filters

from django.db.models import OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce
from drf_spectacular.utils import extend_schema, extend_schema_view

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
)
from partners.models import Organisation
from projects import services
from projects.filtersets import ProjectFilterSet
from projects.models import (
    Action,
    CommitteeDecision,
    CommitteeKind,
    CommitteeMeeting,
    BudgetKind,
    BudgetLine,
    CarrierRole,
    Expense,
    FunderProgramme,
    Funding,
    FundingDecision,
    Payment,
    PaymentKind,
    Project,
    ProjectCarrier,
    ProjectTarget,
)

from . import serializers as s

MONEY = BudgetLine._meta.get_field("planned")
ZERO = Decimal("0")


def with_spent(queryset):
    """Budget lines with the total spent on each (a subquery: no row multiplication)."""
    spent = Expense.objects.filter(budget_line=OuterRef("pk")).order_by().values("budget_line").annotate(total=Sum("amount")).values("total")
    return queryset.annotate(spent=Coalesce(Subquery(spent, output_field=MONEY), ZERO))


def with_received(queryset):
    """Fundings with the funder's instalments received on each."""
    received = (
        Payment.objects.filter(funding=OuterRef("pk"), kind=PaymentKind.GRANT_INSTALMENT)
        .order_by()
        .values("funding")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return queryset.annotate(received=Coalesce(Subquery(received, output_field=MONEY), ZERO))


class ProjectApiFilterSet(ProjectFilterSet):
    """The web list's FilterSet; type hints only, for the OpenAPI schema."""

    def filter_territory(self, queryset, name, value: str):
        return super().filter_territory(queryset, name, value)

    def filter_funder(self, queryset, name, value: int):
        return super().filter_funder(queryset, name, value)

    def filter_landlord(self, queryset, name, value: int):
        return super().filter_landlord(queryset, name, value)


@extend_schema_view(
    list=extend_schema(summary="Projets visibles", responses={200: s.ProjectSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(
        summary="Un projet, avec ses porteurs, actions, objectifs annuels, budget, financements et paiements",
        responses={200: s.ProjectDetailSerializer, **ERROR_RESPONSES},
    ),
)
class ProjectViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = Project
    queryset = Project.objects.none()  # schema only: rows come from core.access.visible_to
    serializer_class = s.ProjectSerializer
    serializer_classes = {"retrieve": s.ProjectDetailSerializer}
    filterset_class = ProjectApiFilterSet
    ordering_fields = ["updated_at", "created_at", "id", "number", "title", "category", "status"]

    def with_related(self, queryset):
        if self.action != "retrieve":
            return queryset
        # Children of a visible project are visible (projects.access.ProjectChildPolicy): one query each.
        return queryset.prefetch_related(
            Prefetch("project_carriers", queryset=ProjectCarrier.objects.select_related("organisation").order_by("role", "id")),
            Prefetch("actions", queryset=Action.objects.order_by("title", "id")),
            Prefetch("targets", queryset=ProjectTarget.objects.order_by("year", "id")),
            Prefetch("budget_lines", queryset=with_spent(BudgetLine.objects.order_by("year", "kind", "id"))),
            Prefetch("fundings", queryset=with_received(Funding.objects.order_by("programme", "id"))),
            Prefetch("payments", queryset=Payment.objects.order_by("-paid_on", "-id")),
        )


@extend_schema_view(
    list=extend_schema(summary="Porteurs des projets visibles", responses={200: s.ProjectCarrierSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Un porteur de projet", responses={200: s.ProjectCarrierSerializer, **ERROR_RESPONSES}),
)
class ProjectCarrierViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = ProjectCarrier
    queryset = ProjectCarrier.objects.none()
    serializer_class = s.ProjectCarrierSerializer
    filterset_class = id_filterset(ProjectCarrier, ["project", "organisation"], {"role": CarrierRole.choices})
    ordering_fields = ["updated_at", "created_at", "id", "role"]

    def with_related(self, queryset):
        return queryset.select_related("organisation")


@extend_schema_view(
    list=extend_schema(summary="Actions des projets visibles", responses={200: s.ActionSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Une action de projet", responses={200: s.ActionSerializer, **ERROR_RESPONSES}),
)
class ActionViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = Action
    queryset = Action.objects.none()
    serializer_class = s.ActionSerializer
    filterset_class = id_filterset(Action, ["project", "partner"])
    ordering_fields = ["updated_at", "created_at", "id", "title"]


@extend_schema_view(
    list=extend_schema(summary="Objectifs annuels des projets visibles", responses={200: s.ProjectTargetSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Un objectif annuel", responses={200: s.ProjectTargetSerializer, **ERROR_RESPONSES}),
)
class ProjectTargetViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = ProjectTarget
    queryset = ProjectTarget.objects.none()
    serializer_class = s.ProjectTargetSerializer
    filterset_class = id_filterset(ProjectTarget, ["project"])
    ordering_fields = ["updated_at", "created_at", "id", "year", "households"]


@extend_schema_view(
    list=extend_schema(summary="Lignes budgétaires des projets visibles, avec le total dépensé",
                       responses={200: s.BudgetLineSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Une ligne budgétaire", responses={200: s.BudgetLineSerializer, **ERROR_RESPONSES}),
)
class BudgetLineViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = BudgetLine
    queryset = BudgetLine.objects.none()
    serializer_class = s.BudgetLineSerializer
    filterset_class = id_filterset(BudgetLine, ["project", "action"], {"kind": BudgetKind.choices})
    ordering_fields = ["updated_at", "created_at", "id", "year", "kind", "planned"]

    def with_related(self, queryset):
        return with_spent(queryset)


@extend_schema_view(
    list=extend_schema(summary="Financements des projets visibles (demandé, accordé, reçu)",
                       responses={200: s.FundingSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Un financement", responses={200: s.FundingSerializer, **ERROR_RESPONSES}),
    update=extend_schema(summary="Enregistrer la décision d'un financement", parameters=[IF_MATCH],
                         responses={200: s.FundingSerializer, **WRITE_RESPONSES}),
    partial_update=extend_schema(summary="Modifier une partie d'un financement", parameters=[IF_MATCH],
                                 responses={200: s.FundingSerializer, **WRITE_RESPONSES}),
)
class FundingViewSet(ListMixin, RetrieveMixin, UpdateMixin, ScopedViewSet):
    model = Funding
    queryset = Funding.objects.none()
    serializer_class = s.FundingSerializer
    filterset_class = id_filterset(
        Funding, ["project", "funder"], {"programme": FunderProgramme.choices, "decision": FundingDecision.choices}
    )
    ordering_fields = ["updated_at", "created_at", "id", "programme", "decision", "amount_awarded"]
    http_method_names = ["get", "put", "patch", "head", "options"]

    def with_related(self, queryset):
        return with_received(queryset)

    def perform_update(self, obj, data, version):
        return services.funding_update(actor=self.actor, funding=obj, changes=data, version=version)


@extend_schema_view(
    list=extend_schema(summary="Paiements des projets visibles (versements des financeurs, reversements aux partenaires)",
                       responses={200: s.PaymentSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Un paiement", responses={200: s.PaymentSerializer, **ERROR_RESPONSES}),
    create=extend_schema(summary="Enregistrer un paiement (porteurs du projet)", responses={201: s.PaymentSerializer, **ERROR_RESPONSES}),
)
class PaymentViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = Payment
    queryset = Payment.objects.none()
    serializer_class = s.PaymentSerializer
    filterset_class = id_filterset(Payment, ["project", "funding", "payer", "payee"], {"kind": PaymentKind.choices})
    ordering_fields = ["updated_at", "created_at", "id", "paid_on", "amount", "kind"]

    def perform_create(self, data):
        return services.payment_record(
            actor=self.actor, project=data["project"], kind=data["kind"], payer=data["payer"], payee=data["payee"],
            amount=data["amount"], paid_on=data["paid_on"], funding=data.get("funding"), reference=data.get("reference", ""),
        )


@extend_schema_view(
    list=extend_schema(summary="Dépenses des projets visibles", responses={200: s.ExpenseSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Une dépense", responses={200: s.ExpenseSerializer, **ERROR_RESPONSES}),
    create=extend_schema(summary="Enregistrer une dépense sur une ligne budgétaire (porteurs du projet)",
                         responses={201: s.ExpenseSerializer, **ERROR_RESPONSES}),
)
class ExpenseViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = Expense
    queryset = Expense.objects.none()
    serializer_class = s.ExpenseSerializer
    filterset_class = id_filterset(Expense, ["project", "budget_line"])
    ordering_fields = ["updated_at", "created_at", "id", "spent_on", "amount"]

    def perform_create(self, data):
        return services.expense_record(
            actor=self.actor, budget_line=data["budget_line"], spent_on=data["spent_on"], amount=data["amount"],
            label=data["label"], supplier=data.get("supplier", ""),
        )


@extend_schema_view(
    list=extend_schema(summary="Réunions de comité des projets visibles (sans relevé de conclusions)",
                       responses={200: s.CommitteeMeetingSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Une réunion de comité (le relevé de conclusions pour les porteurs seulement)",
                           responses={200: s.CommitteeMeetingDetailSerializer, **ERROR_RESPONSES}),
)
class CommitteeMeetingViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = CommitteeMeeting
    queryset = CommitteeMeeting.objects.none()
    serializer_class = s.CommitteeMeetingSerializer
    serializer_classes = {"retrieve": s.CommitteeMeetingDetailSerializer}
    filterset_class = id_filterset(CommitteeMeeting, ["project"], {"kind": CommitteeKind.choices})
    ordering_fields = ["updated_at", "created_at", "id", "held_on", "kind"]

    def with_related(self, queryset):
        return queryset.prefetch_related(Prefetch("participants", queryset=Organisation.objects.only("pk")))


class CommitteeDecisionFilterSet(id_filterset(CommitteeDecision, ["meeting"])):
    project = django_filters.NumberFilter(field_name="meeting__project_id")


@extend_schema_view(
    list=extend_schema(summary="Décisions de comité des projets visibles (dates seulement)",
                       responses={200: s.CommitteeDecisionSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(summary="Une décision de comité (objet, texte et responsable pour les porteurs seulement)",
                           responses={200: s.CommitteeDecisionDetailSerializer, **ERROR_RESPONSES}),
)
class CommitteeDecisionViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = CommitteeDecision
    queryset = CommitteeDecision.objects.none()
    serializer_class = s.CommitteeDecisionSerializer
    serializer_classes = {"retrieve": s.CommitteeDecisionDetailSerializer}
    filterset_class = CommitteeDecisionFilterSet
    ordering_fields = ["updated_at", "created_at", "id"]

    def with_related(self, queryset):
        return queryset.select_related("meeting")

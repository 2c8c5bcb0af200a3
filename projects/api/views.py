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

from core.api.filters import id_filterset
from core.api.viewsets import CreateMixin, ListMixin, RetrieveMixin, ScopedViewSet, UpdateMixin, documented
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


@documented(
    list="Projets visibles",
    retrieve="Un projet, avec ses porteurs, actions, objectifs annuels, budget, financements et paiements",
)
class ProjectViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = Project
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


@documented(
    list="Porteurs des projets visibles",
    retrieve="Un porteur de projet",
)
class ProjectCarrierViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = ProjectCarrier
    serializer_class = s.ProjectCarrierSerializer
    filterset_class = id_filterset(ProjectCarrier, ["project", "organisation"], {"role": CarrierRole.choices})
    ordering_fields = ["updated_at", "created_at", "id", "role"]

    def with_related(self, queryset):
        return queryset.select_related("organisation")


@documented(
    list="Actions des projets visibles",
    retrieve="Une action de projet",
)
class ActionViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = Action
    serializer_class = s.ActionSerializer
    filterset_class = id_filterset(Action, ["project", "partner"])
    ordering_fields = ["updated_at", "created_at", "id", "title"]


@documented(
    list="Objectifs annuels des projets visibles",
    retrieve="Un objectif annuel",
)
class ProjectTargetViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = ProjectTarget
    serializer_class = s.ProjectTargetSerializer
    filterset_class = id_filterset(ProjectTarget, ["project"])
    ordering_fields = ["updated_at", "created_at", "id", "year", "households"]


@documented(
    list="Lignes budgétaires des projets visibles, avec le total dépensé",
    retrieve="Une ligne budgétaire",
)
class BudgetLineViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = BudgetLine
    serializer_class = s.BudgetLineSerializer
    filterset_class = id_filterset(BudgetLine, ["project", "action"], {"kind": BudgetKind.choices})
    ordering_fields = ["updated_at", "created_at", "id", "year", "kind", "planned"]

    def with_related(self, queryset):
        return with_spent(queryset)


@documented(
    list="Financements des projets visibles (demandé, accordé, reçu)",
    retrieve="Un financement",
    update="Enregistrer la décision d'un financement",
    partial_update="Modifier une partie d'un financement",
)
class FundingViewSet(ListMixin, RetrieveMixin, UpdateMixin, ScopedViewSet):
    model = Funding
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


@documented(
    list="Paiements des projets visibles (versements des financeurs, reversements aux partenaires)",
    retrieve="Un paiement",
    create="Enregistrer un paiement (porteurs du projet)",
)
class PaymentViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = Payment
    serializer_class = s.PaymentSerializer
    filterset_class = id_filterset(Payment, ["project", "funding", "payer", "payee"], {"kind": PaymentKind.choices})
    ordering_fields = ["updated_at", "created_at", "id", "paid_on", "amount", "kind"]

    def perform_create(self, data):
        return services.payment_record(
            actor=self.actor, project=data["project"], kind=data["kind"], payer=data["payer"], payee=data["payee"],
            amount=data["amount"], paid_on=data["paid_on"], funding=data.get("funding"), reference=data.get("reference", ""),
        )


@documented(
    list="Dépenses des projets visibles",
    retrieve="Une dépense",
    create="Enregistrer une dépense sur une ligne budgétaire (porteurs du projet)",
)
class ExpenseViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = Expense
    serializer_class = s.ExpenseSerializer
    filterset_class = id_filterset(Expense, ["project", "budget_line"])
    ordering_fields = ["updated_at", "created_at", "id", "spent_on", "amount"]

    def perform_create(self, data):
        return services.expense_record(
            actor=self.actor, budget_line=data["budget_line"], spent_on=data["spent_on"], amount=data["amount"],
            label=data["label"], supplier=data.get("supplier", ""),
        )


@documented(
    list="Réunions de comité des projets visibles (sans relevé de conclusions)",
    retrieve="Une réunion de comité (le relevé de conclusions pour les porteurs seulement)",
)
class CommitteeMeetingViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = CommitteeMeeting
    serializer_class = s.CommitteeMeetingSerializer
    serializer_classes = {"retrieve": s.CommitteeMeetingDetailSerializer}
    filterset_class = id_filterset(CommitteeMeeting, ["project"], {"kind": CommitteeKind.choices})
    ordering_fields = ["updated_at", "created_at", "id", "held_on", "kind"]

    def with_related(self, queryset):
        return queryset.prefetch_related(Prefetch("participants", queryset=Organisation.objects.only("pk")))


class CommitteeDecisionFilterSet(id_filterset(CommitteeDecision, ["meeting"])):
    project = django_filters.NumberFilter(field_name="meeting__project_id")


@documented(
    list="Décisions de comité des projets visibles (dates seulement)",
    retrieve="Une décision de comité (objet, texte et responsable pour les porteurs seulement)",
)
class CommitteeDecisionViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = CommitteeDecision
    serializer_class = s.CommitteeDecisionSerializer
    serializer_classes = {"retrieve": s.CommitteeDecisionDetailSerializer}
    filterset_class = CommitteeDecisionFilterSet
    ordering_fields = ["updated_at", "created_at", "id"]

    def with_related(self, queryset):
        return queryset.select_related("meeting")

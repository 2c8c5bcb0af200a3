"""Serializers of projects and of what hangs from a project (explicit fields, never "__all__").

The children (carriers, actions, yearly targets, budget lines, fundings,
payments, expenses) have one serializer each, used both nested in the
project detail and by their own list endpoints (one schema component per
model). None of their fields is protected by ``projects.access``: whoever
sees the project sees its money and targets (national staff and funders
included); they never see a household row here.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core import access
from core.api.serializers import ScopedModelSerializer
from projects.models import (
    Action,
    BudgetLine,
    CommitteeDecision,
    CommitteeMeeting,
    Expense,
    Funding,
    Payment,
    Project,
    ProjectCarrier,
    ProjectTarget,
)

STAMPS = ["created_at", "updated_at", "version"]

PROJECT_FIELDS = [
    "id", "number", "title", "category", "status", "call", "session", "lead_landlord",
    "territory_text", "departements", "communes", "target_households", "target_units", "access_or_maintain",
    "created_at", "updated_at", "version",
]

MONEY = {"max_digits": 12, "decimal_places": 2, "read_only": True}


def scoped_choices(fields: dict, actor: access.Actor, models: dict) -> dict:
    """Writable foreign keys chosen among the rows ``actor`` sees (an invisible id is a missing one)."""
    for name, model in models.items():
        field = fields.get(name)
        if field is not None and not field.read_only:
            field.queryset = access.visible_to(actor, model)
    return fields


class ProjectSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = Project
        fields = PROJECT_FIELDS
        read_only_fields = PROJECT_FIELDS


# ------------------------------------------------------------------ children

CARRIER_FIELDS = ["id", "project", "organisation", "organisation_name", "role", *STAMPS]


class ProjectCarrierSerializer(ScopedModelSerializer):
    organisation_name = serializers.CharField(source="organisation.name", read_only=True, help_text=_("Nom de l'organisation."))

    class Meta:
        model = ProjectCarrier
        fields = CARRIER_FIELDS
        read_only_fields = CARRIER_FIELDS


ACTION_FIELDS = ["id", "project", "title", "partner", "public", "description", "target_households", *STAMPS]


class ActionSerializer(ScopedModelSerializer):
    class Meta:
        model = Action
        fields = ACTION_FIELDS
        read_only_fields = ACTION_FIELDS


TARGET_FIELDS = ["id", "project", "year", "households", "units", *STAMPS]


class ProjectTargetSerializer(ScopedModelSerializer):
    class Meta:
        model = ProjectTarget
        fields = TARGET_FIELDS
        read_only_fields = TARGET_FIELDS


BUDGET_LINE_FIELDS = ["id", "project", "action", "kind", "year", "planned", "unit_cost", "quantity", "spent", *STAMPS]


class BudgetLineSerializer(ScopedModelSerializer):
    spent = serializers.DecimalField(**MONEY, help_text=_("Total des dépenses enregistrées sur cette ligne (€)."))

    class Meta:
        model = BudgetLine
        fields = BUDGET_LINE_FIELDS
        read_only_fields = BUDGET_LINE_FIELDS


FUNDING_FIELDS = [
    "id", "project", "funder", "programme", "amount_requested", "amount_awarded", "received", "decision", "decided_on",
    "reference", "report_due_on", *STAMPS,
]
FUNDING_WRITABLE = ["amount_requested", "amount_awarded", "decision", "decided_on", "reference", "report_due_on"]


class FundingSerializer(ScopedModelSerializer):
    """Requested, awarded and received (the funder's instalments recorded as payments)."""

    received = serializers.DecimalField(**MONEY, help_text=_("Total des versements du financeur reçus (€)."))

    class Meta:
        model = Funding
        fields = FUNDING_FIELDS
        read_only_fields = [name for name in FUNDING_FIELDS if name not in FUNDING_WRITABLE]


PAYMENT_FIELDS = ["id", "project", "funding", "kind", "payer", "payee", "amount", "paid_on", "reference", *STAMPS]


class PaymentSerializer(ScopedModelSerializer):
    class Meta:
        model = Payment
        fields = PAYMENT_FIELDS
        read_only_fields = ["id", *STAMPS]

    def get_fields(self):
        # A project or funding the actor cannot see reads as a missing one (no hint that it exists).
        return scoped_choices(super().get_fields(), self.actor, {"project": Project, "funding": Funding})


EXPENSE_FIELDS = ["id", "budget_line", "project", "spent_on", "amount", "label", "supplier", *STAMPS]


class ExpenseSerializer(ScopedModelSerializer):
    class Meta:
        model = Expense
        fields = EXPENSE_FIELDS
        read_only_fields = ["id", "project", *STAMPS]

    def get_fields(self):
        return scoped_choices(super().get_fields(), self.actor, {"budget_line": BudgetLine})


# ------------------------------------------------------------------ committees

MEETING_FIELDS = ["id", "project", "kind", "held_on", "place", "participants", *STAMPS]


class CommitteeMeetingSerializer(ScopedModelSerializer):
    """A meeting without its minutes (``summary``: carriers only, on the detail)."""

    unprotected_only = True

    class Meta:
        model = CommitteeMeeting
        fields = MEETING_FIELDS
        read_only_fields = MEETING_FIELDS


class CommitteeMeetingDetailSerializer(ScopedModelSerializer):
    """The minutes may name households: absent for whoever is not a carrier (funders, national staff)."""

    class Meta:
        model = CommitteeMeeting
        fields = [*MEETING_FIELDS, "summary"]
        read_only_fields = fields


DECISION_FIELDS = ["id", "meeting", "project", "due_on", *STAMPS]


class CommitteeDecisionSerializer(ScopedModelSerializer):
    """A decision's dates only; its subject, text and owner are on the detail, for the carriers."""

    unprotected_only = True
    project = serializers.IntegerField(source="meeting.project_id", read_only=True, help_text=_("Le projet de la réunion."))

    class Meta:
        model = CommitteeDecision
        fields = [*DECISION_FIELDS, "subject", "decision", "owner"]
        read_only_fields = fields


class CommitteeDecisionDetailSerializer(CommitteeDecisionSerializer):
    unprotected_only = False


# ------------------------------------------------------------------ the project with its children


class ProjectDetailSerializer(ScopedModelSerializer):
    """A project with its carriers, actions, yearly targets, budget, fundings and payments (read-only)."""

    carriers = ProjectCarrierSerializer(source="project_carriers", many=True, read_only=True)
    actions = ActionSerializer(many=True, read_only=True)
    targets = ProjectTargetSerializer(many=True, read_only=True)
    budget_lines = BudgetLineSerializer(many=True, read_only=True)
    fundings = FundingSerializer(many=True, read_only=True)
    payments = PaymentSerializer(many=True, read_only=True)

    class Meta:
        model = Project
        fields = [
            *PROJECT_FIELDS, "carriers_text", "nature", "objectives", "household_profile", "support_description", "offer",
            "duration_months", "starts_on", "ends_on", "cost_amount",
            "carriers", "actions", "targets", "budget_lines", "fundings", "payments",
        ]
        read_only_fields = fields

"""Admin of calls for projects, projects, their money and committees."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.admin import SelectRelatedListFilter, TabularInline, TimeStampedAdmin

from .models import (
    Action,
    BudgetLine,
    CallForProjects,
    CommitteeDecision,
    CommitteeMeeting,
    Expense,
    Funding,
    Payment,
    Project,
    ProjectCarrier,
    ProjectTarget,
    Session,
)

COMPACT_TEXTAREA = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}


class BudgetLineChoiceField(forms.ModelChoiceField):
    """A budget line's own ``__str__`` ("Accompagnement 2025") does not name its project."""

    def label_from_instance(self, obj: BudgetLine) -> str:
        action = f" — {obj.action.title}" if obj.action_id else ""
        return f"{obj.project.number}{action} — {obj.get_kind_display()} {obj.year}"


# --------------------------------------------------------------------------
# Inlines
# --------------------------------------------------------------------------


class SessionInline(TabularInline):
    model = Session
    fields = ("name", "held_on", "dossiers_submitted", "projects_retained", "retained_fnavdl", "retained_cglls", "announced_support")


class ProjectCarrierInline(TabularInline):
    model = ProjectCarrier
    fields = ("organisation", "role")
    autocomplete_fields = ("organisation",)


class ActionInline(TabularInline):
    model = Action
    fields = ("title", "partner", "public", "target_households")
    autocomplete_fields = ("partner",)


class ProjectTargetInline(TabularInline):
    model = ProjectTarget
    fields = ("year", "households", "units")


class BudgetLineInline(TabularInline):
    model = BudgetLine
    fields = ("action", "kind", "year", "planned", "unit_cost", "quantity")

    def get_formset(self, request, obj=None, **kwargs):
        self._project = obj  # inline instances are built per request
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "action":
            project = getattr(self, "_project", None)
            kwargs["queryset"] = Action.objects.filter(project=project) if project else Action.objects.none()
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class FundingInline(TabularInline):
    model = Funding
    fields = ("funder", "programme", "amount_requested", "amount_awarded", "decision", "decided_on", "reference", "report_due_on")
    autocomplete_fields = ("funder",)


class CommitteeDecisionInline(TabularInline):
    model = CommitteeDecision
    fields = ("subject", "decision", "owner", "due_on")
    formfield_overrides = COMPACT_TEXTAREA


# --------------------------------------------------------------------------
# Calls and sessions
# --------------------------------------------------------------------------


@admin.register(CallForProjects)
class CallForProjectsAdmin(TimeStampedAdmin):
    list_display = ("name", "year", "launched_by")
    list_filter = ("year",)
    search_fields = ("name", "launched_by")
    ordering = ("-year", "name")
    inlines = (SessionInline,)


@admin.register(Session)
class SessionAdmin(TimeStampedAdmin):
    list_display = (
        "name", "call", "held_on", "dossiers_submitted", "projects_retained",
        "retained_fnavdl", "retained_cglls", "announced_support",
    )
    list_filter = ("call",)
    search_fields = ("name", "call__name")
    list_select_related = ("call",)
    ordering = ("call", "held_on")
    fieldsets = (
        (None, {"fields": ("call", "name", "held_on")}),
        (
            _("Chiffres clés"),
            {
                "fields": (
                    ("dossiers_submitted", "submitting_landlords", "submitting_groups", "regions"),
                    ("projects_retained", "retained_fnavdl", "retained_cglls"),
                    "announced_support",
                )
            },
        ),
        (_("Notes"), {"fields": ("notes",)}),
    )


# --------------------------------------------------------------------------
# Projects
# --------------------------------------------------------------------------


@admin.register(Project)
class ProjectAdmin(TimeStampedAdmin):
    list_display = (
        "number", "short_title", "category", "status", "lead_landlord", "call",
        "target_households", "target_units", "duration_months",
    )
    list_display_links = ("number", "short_title")
    list_filter = (
        "category", "status", "call", ("session", SelectRelatedListFilter), "access_or_maintain", "target_households_basis",
    )
    search_fields = (
        "number", "title", "carriers_text", "territory_text",
        "lead_landlord__name", "lead_landlord__short_name", "lead_landlord__normalized_name",
    )
    list_select_related = ("lead_landlord", "call")
    autocomplete_fields = ("lead_landlord",)
    ordering = ("category", "number")
    fieldsets = (
        (None, {"fields": ("call", "session", "number", "category", "title", "status")}),
        (_("Porteurs"), {"fields": ("lead_landlord", "carriers_text")}),
        (_("Territoire"), {"fields": ("territory_text", "departements", "communes")}),
        (
            _("Objectifs"),
            {
                "fields": (
                    ("target_households", "target_households_figure", "target_households_basis"),
                    "target_households_text",
                    "target_units",
                    "target_units_text",
                    ("access_or_maintain", "access_or_maintain_text"),
                )
            },
        ),
        (_("Coût et durée"), {"fields": (("cost_amount", "cost_text"), ("duration_months", "duration_text"), ("starts_on", "ends_on"))}),
        (
            _("Description (monographie)"),
            {
                "classes": ("collapse",),
                "fields": ("nature", "objectives", "household_profile", "occupancy_status", "support_description", "offer", "means"),
            },
        ),
        (_("Provenance"), {"classes": ("collapse",), "fields": ("source", "source_line")}),
    )
    inlines = (ProjectCarrierInline, ActionInline, ProjectTargetInline, BudgetLineInline, FundingInline)

    @admin.display(description=_("intitulé"), ordering="title")
    def short_title(self, obj: Project) -> str:
        return Truncator(obj.title).chars(80)


@admin.register(ProjectCarrier)
class ProjectCarrierAdmin(TimeStampedAdmin):
    list_display = ("organisation", "project", "role")
    list_filter = ("role", "organisation__kind")
    search_fields = ("project__number", "project__title", "organisation__name", "organisation__short_name")
    list_select_related = ("project", "organisation")
    autocomplete_fields = ("project", "organisation")
    ordering = ("project__category", "project__number", "role")


@admin.register(Action)
class ActionAdmin(TimeStampedAdmin):
    list_display = ("title", "project", "partner", "public", "target_households")
    search_fields = ("title", "public", "project__number", "project__title", "partner__name", "partner__short_name")
    list_select_related = ("project", "partner")
    autocomplete_fields = ("project", "partner")
    ordering = ("project__category", "project__number", "title")


@admin.register(ProjectTarget)
class ProjectTargetAdmin(TimeStampedAdmin):
    list_display = ("project", "year", "households", "units")
    list_filter = ("year",)
    search_fields = ("project__number", "project__title")
    list_select_related = ("project",)
    autocomplete_fields = ("project",)
    ordering = ("project__category", "project__number", "year")


# --------------------------------------------------------------------------
# Money
# --------------------------------------------------------------------------


@admin.register(Funding)
class FundingAdmin(TimeStampedAdmin):
    list_display = (
        "project", "funder", "programme", "amount_requested", "amount_awarded",
        "decision", "decided_on", "report_due_on",
    )
    list_filter = ("programme", "decision")
    search_fields = ("project__number", "project__title", "funder__name", "funder__short_name", "reference")
    list_select_related = ("project", "funder")
    autocomplete_fields = ("project", "funder")
    date_hierarchy = "decided_on"
    ordering = ("project__category", "project__number", "funder__name")
    fieldsets = (
        (None, {"fields": ("project", "funder", "programme", "reference")}),
        (_("Montants et décision"), {"fields": (("amount_requested", "amount_awarded"), ("decision", "decided_on"), "report_due_on")}),
    )


@admin.register(BudgetLine)
class BudgetLineAdmin(TimeStampedAdmin):
    list_display = ("project", "action", "kind", "year", "planned", "unit_cost", "quantity")
    list_filter = ("kind", "year")
    search_fields = ("project__number", "project__title", "action__title")
    list_select_related = ("project", "action__project")
    autocomplete_fields = ("project", "action")
    ordering = ("project__category", "project__number", "year", "kind")


@admin.register(Expense)
class ExpenseAdmin(TimeStampedAdmin):
    list_display = ("label", "project", "budget_line", "spent_on", "amount", "supplier")
    list_filter = ("budget_line__kind",)
    search_fields = ("label", "supplier", "project__number", "project__title")
    list_select_related = ("project", "budget_line__project")
    readonly_fields = ("project",)
    date_hierarchy = "spent_on"
    ordering = ("-spent_on",)
    fields = ("budget_line", "project", "spent_on", "amount", "label", "supplier")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "budget_line":
            kwargs["form_class"] = BudgetLineChoiceField
            kwargs["queryset"] = BudgetLine.objects.select_related("project", "action").order_by(
                "project__category", "project__number", "year", "kind"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Payment)
class PaymentAdmin(TimeStampedAdmin):
    list_display = ("project", "kind", "payer", "payee", "amount", "paid_on", "reference")
    list_filter = ("kind",)
    search_fields = ("project__number", "project__title", "payer__name", "payee__name", "reference")
    list_select_related = ("project", "payer", "payee")
    autocomplete_fields = ("project", "funding", "payer", "payee")
    date_hierarchy = "paid_on"
    ordering = ("-paid_on",)
    fieldsets = (
        (None, {"fields": ("project", "kind", "funding")}),
        (_("Mouvement"), {"fields": (("payer", "payee"), ("amount", "paid_on"), "reference")}),
    )


# --------------------------------------------------------------------------
# Committees
# --------------------------------------------------------------------------


@admin.register(CommitteeMeeting)
class CommitteeMeetingAdmin(TimeStampedAdmin):
    list_display = ("__str__", "project", "kind", "held_on", "place")
    list_filter = ("kind",)
    search_fields = ("project__number", "project__title", "place")
    list_select_related = ("project",)
    autocomplete_fields = ("project", "participants")
    date_hierarchy = "held_on"
    ordering = ("-held_on",)
    fields = ("project", "kind", "held_on", "place", "participants", "summary")
    inlines = (CommitteeDecisionInline,)


@admin.register(CommitteeDecision)
class CommitteeDecisionAdmin(TimeStampedAdmin):
    list_display = ("subject", "meeting", "meeting_project", "owner", "due_on")
    list_filter = ("meeting__kind",)
    search_fields = ("subject", "owner", "meeting__project__number", "meeting__project__title")
    list_select_related = ("meeting", "meeting__project")
    autocomplete_fields = ("meeting",)
    date_hierarchy = "due_on"
    ordering = ("-meeting__held_on", "id")

    @admin.display(description=_("projet"), ordering="meeting__project__number")
    def meeting_project(self, obj: CommitteeDecision) -> str:
        return obj.meeting.project.number

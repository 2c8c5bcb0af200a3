"""Admin of report runs (with a re-launch action) and of the rollup tables (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import TimeStampedAdmin

from .models import (
    HouseholdMonth,
    MeasureFact,
    ProjectTargetProgress,
    ProjectYear,
    ProjectYearBreakdown,
    ProjectYearBudget,
    ProjectYearFunding,
    ProjectYearPayment,
    ReportReminder,
    ReportRun,
    RollupWatermark,
)


@admin.register(ReportRun)
class ReportRunAdmin(TimeStampedAdmin):
    list_display = (
        "__str__", "kind", "scope", "organisation", "project", "departement", "status",
        "requested_by", "created_at", "finished_at", "attempts",
    )
    list_filter = ("kind", "scope", "status")
    search_fields = ("organisation__name", "organisation__short_name", "project__number", "project__title", "departement", "requested_by__email")
    list_select_related = ("organisation", "project", "requested_by")
    autocomplete_fields = ("organisation", "project")
    # Filled in by the worker, or at creation for requested_by.
    readonly_fields = ("requested_by", "started_at", "finished_at", "attempts", "error")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    fieldsets = (
        (None, {"fields": ("kind", "scope", "organisation", "project", "departement", ("period_start", "period_end"), "parameters")}),
        (_("Exécution"), {"fields": ("status", "requested_by", ("started_at", "finished_at"), "attempts", "error", "file")}),
    )

    def save_model(self, request, obj, form, change):
        if not change and obj.requested_by_id is None:
            obj.requested_by = request.user
        super().save_model(request, obj, form, change)


# --------------------------------------------------------------------------
# Rollups: derived data, read-only (``manage.py rebuild_rollups`` or the
# periodic refresh recomputes them).
# --------------------------------------------------------------------------


class RollupAdmin(TimeStampedAdmin):
    list_select_related = ("project",)
    search_fields = ("project__number", "project__title")
    list_filter = ("year",)
    date_hierarchy = None

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(MeasureFact)
class MeasureFactAdmin(RollupAdmin):
    list_display = ("measure_id", "project", "category", "departement", "phase", "intensity", "outcome", "identified_on", "ended_on", "contacts", "computed_at")
    list_filter = ("category", "phase", "outcome", "intensity")
    raw_id_fields = ("measure", "household", "project", "action", "organisation", "landlord", "lead_landlord", "session")


@admin.register(HouseholdMonth)
class HouseholdMonthAdmin(RollupAdmin):
    list_display = ("measure_id", "project", "month", "supported", "contacts", "home_visit", "phone", "no_show", "computed_at")
    list_filter = ("supported",)
    raw_id_fields = ("measure", "household", "project", "organisation")


@admin.register(ProjectYear)
class ProjectYearAdmin(RollupAdmin):
    list_display = ("project", "year", "households_supported", "household_months", "contacts", "planned", "spent", "awarded", "received", "computed_at")


@admin.register(ProjectTargetProgress)
class ProjectTargetProgressAdmin(RollupAdmin):
    list_display = ("project", "project_year", "period_start", "period_end", "target_households", "households_supported", "computed_at")
    list_filter = ("project_year",)


@admin.register(ProjectYearBudget)
class ProjectYearBudgetAdmin(RollupAdmin):
    list_display = ("project", "year", "kind", "planned", "spent", "computed_at")
    list_filter = ("year", "kind")


@admin.register(ProjectYearFunding)
class ProjectYearFundingAdmin(RollupAdmin):
    list_display = ("project", "year", "funder", "programme", "requested", "awarded", "received", "computed_at")
    list_select_related = ("project", "funder")
    list_filter = ("year", "programme")


@admin.register(ProjectYearPayment)
class ProjectYearPaymentAdmin(RollupAdmin):
    list_display = ("project", "year", "kind", "payer", "payee", "amount", "payments", "computed_at")
    list_select_related = ("project", "payer", "payee")
    list_filter = ("year", "kind")


@admin.register(ProjectYearBreakdown)
class ProjectYearBreakdownAdmin(RollupAdmin):
    list_display = ("project", "year", "dimension", "value", "households", "measures", "value_sum", "value_count", "computed_at")
    list_filter = ("year", "dimension")


@admin.register(RollupWatermark)
class RollupWatermarkAdmin(RollupAdmin):
    list_display = ("name", "watermark", "refreshed_at", "full_rebuild_at", "last_duration_ms")
    list_select_related = ()
    search_fields = ("name",)
    list_filter = ()
    actions = ["refresh_now", "rebuild_now"]

    @admin.action(description=_("Rafraîchir les agrégats maintenant (incrémental, en tâche de fond)"))
    def refresh_now(self, request, queryset):
        from .tasks import refresh_rollups

        refresh_rollups.delay()
        self.message_user(request, _("Rafraîchissement des agrégats demandé."))

    @admin.action(description=_("Reconstruire tous les agrégats (en tâche de fond)"))
    def rebuild_now(self, request, queryset):
        from .tasks import rebuild_rollups

        rebuild_rollups.delay()
        self.message_user(request, _("Reconstruction des agrégats demandée."))


@admin.register(ReportReminder)
class ReportReminderAdmin(admin.ModelAdmin):
    """Report-due reminders sent (written by the daily task only): read-only."""

    list_display = ("funding", "due_on", "days_before", "sent_at")
    list_filter = ("days_before",)
    list_select_related = ("funding__project", "funding__funder")
    search_fields = ("funding__project__number", "funding__funder__name")
    date_hierarchy = "sent_at"
    raw_id_fields = ("funding",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

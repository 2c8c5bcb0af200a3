"""Admin of report runs."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.admin import TimeStampedAdmin

from .models import ReportRun


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

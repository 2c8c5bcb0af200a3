"""Admin of the list export jobs (core.exports): read-only, for following the background builds.

To be imported by ``core.admin`` (like ``audit_admin``). Platform staff see
who asked for which list, its state and timings, never the filters (a
search term may be a name) nor the file (household data). Jobs are made by
``core.exports`` only: no add or change page; deleting a job deletes its
file.
"""

from __future__ import annotations

from django.contrib import admin

from core.models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "organisation_id", "list_name", "format", "status", "progress", "row_count", "expires_at")
    list_filter = ("status", "format", "list_name")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    search_fields = ("user__email",)
    ordering = ("-created_at", "-id")
    fields = (
        "title", "list_name", "format", "status", "progress", "total_rows", "row_count", "user", "membership_id",
        "organisation_id", "role", "created_at", "started_at", "finished_at", "expires_at", "error",
    )
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def delete_model(self, request, obj: ExportJob) -> None:
        if obj.file:
            obj.file.delete(save=False)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for job in queryset:
            if job.file:
                job.file.delete(save=False)
        super().delete_queryset(request, queryset)

"""Admin of the audit log: read-only for everybody, superusers included.

Imported by ``core.admin`` (which registers it). Audit rows are immutable
(DESIGN.md §3, trigger of ``core.0003_auditlog_immutable``): no add, change
or delete page, no bulk action. Seeing the log needs the ``view`` permission
of the model (superusers have it).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from core.models import AuditLog


@admin.register(AuditLog)
class AuditLogAdmin(admin.ModelAdmin):
    list_display = ("at", "user_email", "role", "organisation_id", "action", "model_label", "object_id", "field_names")
    list_display_links = ("at",)
    list_filter = ("action", "model_label", "role")
    date_hierarchy = "at"
    search_fields = ("user_email", "=object_id", "model_label")
    search_help_text = _("E-mail de l'utilisateur, identifiant exact de l'objet ou type d'objet.")
    ordering = ("-at", "-id")
    list_per_page = 100
    show_full_result_count = False  # no COUNT(*) of a table that only grows
    actions = None
    fields = (
        "at", "action", "user_id", "user_email", "membership_id", "organisation_id", "role",
        "model_label", "object_id", "fields", "reason", "request_path", "ip",
    )
    readonly_fields = fields

    @admin.display(description=_("champs"))
    def field_names(self, obj: AuditLog) -> str:
        return ", ".join(obj.fields)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

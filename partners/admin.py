"""Admin of organisations, memberships and partnership agreements."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

# Importing core.admin registers the user admin, extended at the end of this module.
from core.admin import FoldedSearchMixin, TabularInline, TimeStampedAdmin
from core.admin import UserAdmin as BaseUserAdmin
from core.models import User

from .models import ApiToken, Membership, Organisation, Partnership


class MembershipInline(TabularInline):
    model = Membership
    fields = ("user", "role", "job_title", "is_active", "started_on", "ended_on")
    autocomplete_fields = ("user",)
    verbose_name = _("personne rattachée")
    verbose_name_plural = _("personnes rattachées")


class UserMembershipInline(TabularInline):
    model = Membership
    fk_name = "user"
    fields = ("organisation", "role", "job_title", "is_active", "started_on", "ended_on")
    autocomplete_fields = ("organisation",)


@admin.register(Organisation)
class OrganisationAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("name", "short_name", "kind", "group", "departement", "city", "siren", "is_active")
    list_display_links = ("name",)
    list_filter = ("kind", "is_active", "departement")
    search_fields = ("name", "short_name", "siren", "city")
    # Accent- and case-folded: "Emmaus habitat" finds "EMMAÜS Habitat".
    folded_search_fields = ("normalized_name",)
    list_select_related = ("group",)
    autocomplete_fields = ("group",)
    readonly_fields = ("normalized_name",)
    ordering = ("name",)
    fieldsets = (
        (None, {"fields": ("name", "short_name", "normalized_name", "kind", "group", "is_active")}),
        (_("Identification et coordonnées"), {"fields": ("siren", "departement", "address", "postcode", "city", "email")}),
    )
    inlines = (MembershipInline,)


@admin.register(Membership)
class MembershipAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("user", "organisation", "role", "job_title", "is_active", "started_on", "ended_on")
    list_filter = ("role", "is_active", "organisation__kind")
    search_fields = (
        "user__email", "user__first_name", "user__last_name",
        "organisation__name", "organisation__short_name",
    )
    folded_search_fields = ("organisation__normalized_name",)
    list_select_related = ("user", "organisation")
    autocomplete_fields = ("user", "organisation")
    ordering = ("organisation__name", "user__last_name", "user__first_name")
    fieldsets = (
        (None, {"fields": ("user", "organisation", "role", "job_title")}),
        (_("Période"), {"fields": ("is_active", "started_on", "ended_on")}),
    )


@admin.register(Partnership)
class PartnershipAdmin(TimeStampedAdmin):
    list_display = ("__str__", "title", "signed_on", "starts_on", "ends_on")
    list_filter = (("ends_on", admin.EmptyFieldListFilter),)
    search_fields = (
        "title", "landlord__name", "landlord__short_name", "association__name", "association__short_name",
    )
    list_select_related = ("landlord", "association")
    autocomplete_fields = ("landlord", "association")
    date_hierarchy = "starts_on"
    ordering = ("-starts_on",)
    fieldsets = (
        (None, {"fields": ("landlord", "association", "title")}),
        (_("Dates"), {"fields": ("signed_on", "starts_on", "ends_on")}),
        (_("Objet"), {"fields": ("notes",)}),
    )


# The user admin lives in core, which may not know about organisations:
# extend it here with the user's memberships.
admin.site.unregister(User)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = (UserMembershipInline,)

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else ()


@admin.register(ApiToken)
class ApiTokenAdmin(TimeStampedAdmin):
    """Personal API tokens: read-only here (only a hash is stored); the platform admin may revoke."""

    list_display = ("name", "key_id", "membership", "scope", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("scope",)
    search_fields = ("name", "key_id", "membership__user__email")
    list_select_related = ("membership__user", "membership__organisation")
    fields = ("name", "key_id", "membership", "scope", "expires_at", "revoked_at", "last_used_at")
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Révoquer les jetons sélectionnés"), permissions=["change"])
    def revoke(self, request, queryset):
        from django.utils import timezone

        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, _("%(n)d jeton(s) révoqué(s).") % {"n": count})

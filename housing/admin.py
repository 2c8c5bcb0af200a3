"""Admin of housing units, leases, attribution and eviction prevention.

Domestic violence (DESIGN.md §3): the address of a household flagged for
domestic violence, or supported in a 3.2 project, is never shown in a list.
Lists that pair a household with a unit show "adresse masquée" instead.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.admin import FoldedSearchMixin, ReadOnlyInlineMixin, TabularInline, TimeStampedAdmin
from households.models import Household
from projects.models import Category

from .deadlines import deadline_for
from .models import (
    AttributionStep,
    DeadlineRule,
    EvictionCase,
    EvictionStep,
    Glissement,
    HousingUnit,
    Lease,
)

MASKED_ADDRESS = _("Adresse masquée (ménage protégé)")
MASKED_HOUSEHOLD = _("Ménage protégé")


def is_protected_household(household: Household | None) -> bool:
    """Domestic-violence flag, or a household of a 3.2 project."""
    if household is None:
        return False
    return household.domestic_violence or (
        household.project_id is not None and household.project.category == Category.DOMESTIC_VIOLENCE
    )


def _lease_is_protected(lease: Lease) -> bool:
    return is_protected_household(lease.occupant) or is_protected_household(lease.tenant_household)


#: select_related needed by _lease_is_protected() from a lease.
LEASE_PROTECTION_RELATED = ("occupant__project", "tenant_household__project")


def _prefixed(prefix: str, paths) -> tuple[str, ...]:
    return tuple(f"{prefix}__{path}" for path in paths)


def _set_deadline(step: EvictionStep) -> None:
    """The legal deadline of a step, from the rules stored as data."""
    deadline = deadline_for(step.kind, step.occurred_on, step.case.lease.signed_on)
    step.deadline_on = deadline.due_on if deadline else None
    step.deadline_rule = deadline.rule if deadline else None


# --------------------------------------------------------------------------
# Inlines
# --------------------------------------------------------------------------


class LeaseSummaryInline(ReadOnlyInlineMixin, TabularInline):
    """The lease path of a unit, read-only (leases are edited on their own page)."""

    model = Lease
    fk_name = "unit"
    fields = ("kind", "lessor", "tenant", "household", "starts_on", "ends_on", "monthly_rent", "monthly_charges")
    select_related = ("lessor", "tenant_organisation", *LEASE_PROTECTION_RELATED)
    verbose_name_plural = _("parcours locatif (baux)")

    @admin.display(description=_("locataire en titre"))
    def tenant(self, obj: Lease):
        if obj.tenant_organisation_id:
            return obj.tenant_organisation
        return MASKED_HOUSEHOLD if _lease_is_protected(obj) else obj.tenant_household

    @admin.display(description=_("ménage occupant"))
    def household(self, obj: Lease):
        # The unit's address is the heading of this page: do not pair it with a protected household.
        return MASKED_HOUSEHOLD if _lease_is_protected(obj) else obj.occupant


class EvictionStepInline(TabularInline):
    model = EvictionStep
    fields = ("kind", "occurred_on", "amount", "judgment_result", "deadline_on", "deadline_rule", "notes")
    readonly_fields = ("deadline_on", "deadline_rule")
    select_related = ("deadline_rule",)


class EvictionCaseSummaryInline(ReadOnlyInlineMixin, TabularInline):
    model = EvictionCase
    fields = ("opened_on", "closed_on", "status", "arrears_amount")


# --------------------------------------------------------------------------
# Units and leases
# --------------------------------------------------------------------------


@admin.register(HousingUnit)
class HousingUnitAdmin(TimeStampedAdmin):
    list_display = ("address", "postcode", "city", "typology", "kind", "financing", "landlord", "rent", "charges", "rpls_id")
    list_display_links = ("address",)
    list_filter = ("kind", "typology", "financing")
    search_fields = ("address", "postcode", "city", "commune_insee", "rpls_id", "landlord_reference", "landlord__name")
    list_select_related = ("landlord",)
    autocomplete_fields = ("landlord", "project")
    ordering = ("city", "address")
    fieldsets = (
        (None, {"fields": ("landlord", "project", "kind", ("rpls_id", "landlord_reference"))}),
        (_("Adresse"), {"fields": ("address", ("postcode", "city"), "commune_insee")}),
        (_("Caractéristiques"), {"fields": (("typology", "surface", "floor"), "financing", ("rent", "charges"))}),
    )
    inlines = (LeaseSummaryInline,)


@admin.register(Lease)
class LeaseAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("unit_label", "kind", "lessor", "tenant", "occupant", "starts_on", "ends_on", "monthly_rent", "monthly_charges")
    list_filter = ("kind", ("ends_on", admin.EmptyFieldListFilter), "unit__kind")
    # No address here: a search by address must not reveal a protected household's lease.
    search_fields = (
        "occupant__reference", "tenant_household__reference", "tenant_reference", "unit__rpls_id",
        "lessor__name", "tenant_organisation__name",
    )
    folded_search_fields = ("occupant__search_key", "tenant_household__search_key")
    list_select_related = ("unit", "lessor", "tenant_organisation", *LEASE_PROTECTION_RELATED)
    autocomplete_fields = ("unit", "lessor", "tenant_household", "tenant_organisation", "occupant", "parent_lease")
    date_hierarchy = "starts_on"
    ordering = ("-starts_on",)
    fieldsets = (
        (None, {"fields": ("unit", "lessor", "kind", "parent_lease")}),
        (
            _("Locataire et occupant"),
            {
                "fields": ("tenant_household", "tenant_organisation", "occupant", "tenant_reference"),
                "description": _(
                    "Le locataire en titre est soit le ménage (bail direct), soit l'association "
                    "(sous-location, bail glissant avant glissement…), jamais les deux."
                ),
            },
        ),
        (_("Dates et montants"), {"fields": (("signed_on", "starts_on", "ends_on"), ("monthly_rent", "monthly_charges"), "planned_glissement_on")}),
    )
    inlines = (EvictionCaseSummaryInline,)

    @admin.display(description=_("logement"), ordering="unit__city")
    def unit_label(self, obj: Lease) -> str:
        return MASKED_ADDRESS if _lease_is_protected(obj) else str(obj.unit)

    def action_checkbox(self, obj: Lease):
        # Django labels the checkbox with str(obj), which contains the address.
        label = obj.get_kind_display() if _lease_is_protected(obj) else str(obj)
        attrs = {"class": "action-select", "aria-label": format_html(gettext("Select this object for an action - {}"), label)}
        return forms.CheckboxInput(attrs, lambda value: False).render(helpers.ACTION_CHECKBOX_NAME, str(obj.pk))

    @admin.display(description=_("locataire en titre"))
    def tenant(self, obj: Lease):
        return obj.tenant_organisation or obj.tenant_household


@admin.register(Glissement)
class GlissementAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("__str__", "household", "from_lease_kind", "caleol_decided_on", "effective_on")
    search_fields = ("to_lease__occupant__reference", "from_lease__tenant_reference", "to_lease__tenant_reference")
    folded_search_fields = ("to_lease__occupant__search_key",)
    list_select_related = ("from_lease", "to_lease__occupant")
    autocomplete_fields = ("from_lease", "to_lease")
    date_hierarchy = "effective_on"
    ordering = ("-effective_on",)

    @admin.display(description=_("ménage"), ordering="to_lease__occupant__display_name")
    def household(self, obj: Glissement):
        return obj.to_lease.occupant

    @admin.display(description=_("bail de l'association"))
    def from_lease_kind(self, obj: Glissement) -> str:
        return obj.from_lease.get_kind_display()


@admin.register(AttributionStep)
class AttributionStepAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("household", "kind", "occurred_on", "decision", "unit_label", "notes")
    list_filter = ("kind", "decision")
    search_fields = ("household__reference", "household__nur", "notes")
    folded_search_fields = ("household__search_key",)
    list_select_related = ("household__project", "unit")
    autocomplete_fields = ("household", "unit")
    readonly_fields = ("organisation",)
    date_hierarchy = "occurred_on"
    ordering = ("-occurred_on", "-id")
    fields = (("household", "organisation"), ("kind", "occurred_on"), "decision", "unit", "notes")

    @admin.display(description=_("logement proposé"), ordering="unit__city")
    def unit_label(self, obj: AttributionStep):
        if obj.unit_id is None:
            return None
        return MASKED_ADDRESS if is_protected_household(obj.household) else str(obj.unit)


# --------------------------------------------------------------------------
# Eviction prevention
# --------------------------------------------------------------------------


class DenormalisedLessorMixin:
    """The ``lessor`` copied from the lease has no verbose name of its own: show it as « bailleur »."""

    @admin.display(description=_("bailleur"), ordering="lessor__name")
    def landlord(self, obj):
        return obj.lessor if obj.lessor_id else None


@admin.register(EvictionCase)
class EvictionCaseAdmin(DenormalisedLessorMixin, FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("__str__", "household", "landlord", "status", "opened_on", "closed_on", "arrears_amount")
    list_filter = ("status",)
    search_fields = ("lease__occupant__reference", "lease__tenant_reference", "lessor__name")
    folded_search_fields = ("lease__occupant__search_key",)
    list_select_related = ("lessor", "lease__occupant")
    autocomplete_fields = ("lease",)
    readonly_fields = ("landlord",)
    date_hierarchy = "opened_on"
    ordering = ("-opened_on",)
    fields = ("lease", "landlord", ("opened_on", "closed_on"), "status", "arrears_amount")
    inlines = (EvictionStepInline,)

    @admin.display(description=_("ménage occupant"), ordering="lease__occupant__display_name")
    def household(self, obj: EvictionCase):
        return obj.lease.occupant

    def save_formset(self, request, form, formset, change):
        if formset.model is EvictionStep:
            for step_form in formset.forms:
                step = step_form.instance
                if step_form.has_changed() and step.kind and step.occurred_on:
                    step.case = form.instance
                    _set_deadline(step)
        super().save_formset(request, form, formset, change)


@admin.register(EvictionStep)
class EvictionStepAdmin(DenormalisedLessorMixin, FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("kind", "occurred_on", "deadline_on", "case", "household", "landlord", "amount", "judgment_result")
    list_filter = ("kind", "judgment_result", "case__status")
    search_fields = ("case__lease__occupant__reference", "case__lease__tenant_reference", "notes")
    folded_search_fields = ("case__lease__occupant__search_key",)
    list_select_related = ("case__lease__occupant", "lessor")
    autocomplete_fields = ("case",)
    readonly_fields = ("landlord", "deadline_on", "deadline_rule")
    date_hierarchy = "occurred_on"
    ordering = ("-occurred_on", "-id")
    fieldsets = (
        (None, {"fields": ("case", "landlord", ("kind", "occurred_on"), "amount", "judgment_result", "notes")}),
        (
            _("Échéance légale"),
            {
                "fields": ("deadline_on", "deadline_rule"),
                "description": _("Calculée à l'enregistrement d'après les règles d'échéance en vigueur."),
            },
        ),
    )

    @admin.display(description=_("ménage occupant"), ordering="case__lease__occupant__display_name")
    def household(self, obj: EvictionStep):
        return obj.case.lease.occupant

    def save_model(self, request, obj, form, change):
        _set_deadline(obj)
        super().save_model(request, obj, form, change)


@admin.register(DeadlineRule)
class DeadlineRuleAdmin(TimeStampedAdmin):
    list_display = (
        "code", "step_kind", "label", "delay", "unit", "applies_from",
        "lease_signed_from", "lease_signed_before", "move_to_working_day", "legal_reference",
    )
    list_filter = ("step_kind", "unit", "move_to_working_day")
    search_fields = ("code", "label", "legal_reference")
    date_hierarchy = "applies_from"
    ordering = ("step_kind", "-applies_from")
    fieldsets = (
        (None, {"fields": ("code", "step_kind", "label", "legal_reference")}),
        (_("Délai"), {"fields": (("delay", "unit"), "move_to_working_day")}),
        (_("Application"), {"fields": ("applies_from", ("lease_signed_from", "lease_signed_before"))}),
    )

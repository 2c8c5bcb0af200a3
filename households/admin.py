"""Admin of households and the support they receive.

Protected free-text fields (social notes, diagnostic, health, justice,
violence: ``core.admin.PROTECTED_FIELDS``) are never inputs here and their
value is never shown: every admin and inline of a model that has some uses
``ProtectedFieldsAdminMixin``, and the ``core.E101``/``core.E102`` system
checks keep them out of lists, filters and searches.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.admin import (
    FoldedSearchMixin,
    ProtectedFieldsAdminMixin,
    ReadOnlyInlineMixin,
    StackedInline,
    TabularInline,
    TimeStampedAdmin,
)

from .models import (
    Consent,
    Contact,
    GoalReview,
    Household,
    Mandate,
    Person,
    Referral,
    SituationSnapshot,
    SupportGoal,
    SupportMeasure,
    TeamMember,
    Workshop,
    WorkshopAttendance,
)

COMPACT_TEXTAREA = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2, "cols": 40})}}

PROTECTED_SECTION_DESCRIPTION = _(
    "Ces notes ne sont lisibles que par l'équipe qui accompagne le ménage : "
    "elles ne sont ni affichées ni modifiables dans l'administration."
)

HOUSEHOLD_SEARCH = ("household__reference", "household__nur")
HOUSEHOLD_FOLDED_SEARCH = ("household__search_key",)


# --------------------------------------------------------------------------
# Inlines
# --------------------------------------------------------------------------


class PersonInline(TabularInline):
    model = Person
    fields = ("role", "first_name", "last_name", "birth_date", "employment")


class ReferralInline(StackedInline):
    model = Referral
    fields = (
        ("source", "referring_organisation"),
        "project",
        ("referred_on", "prior_situation"),
        ("decision", "decided_on"),
        "refusal_reason",
    )
    autocomplete_fields = ("referring_organisation", "project")
    formfield_overrides = COMPACT_TEXTAREA


class ConsentInline(TabularInline):
    model = Consent
    fields = ("partner", "purpose", "given_on", "withdrawn_on", "recorded_by")
    autocomplete_fields = ("partner", "recorded_by")


class SupportMeasureSummaryInline(ProtectedFieldsAdminMixin, ReadOnlyInlineMixin, TabularInline):
    model = SupportMeasure
    fields = ("project", "organisation", "kind", "phase", "intensity", "identified_on", "ended_on", "outcome")
    select_related = ("project", "organisation")
    verbose_name_plural = _("mesures d'accompagnement (modifiables sur leur propre page)")


class MandateInline(TabularInline):
    model = Mandate
    fields = ("number", "starts_on", "ends_on", "decided_on")


class TeamMemberInline(TabularInline):
    model = TeamMember
    fields = ("membership", "role", "since", "until")
    autocomplete_fields = ("membership",)
    select_related = ("membership__user", "membership__organisation")


class SupportGoalInline(ProtectedFieldsAdminMixin, TabularInline):
    model = SupportGoal
    fields = ("domain", "title", "set_on", "status", "closed_on", "notes")


class SituationSnapshotInline(TabularInline):
    model = SituationSnapshot
    fields = (
        "moment", "observed_on", "rent_arrears", "housing_benefit", "minimum_income",
        "health_cover", "employed", "still_housed",
    )


class GoalReviewInline(ProtectedFieldsAdminMixin, TabularInline):
    model = GoalReview
    fields = ("milestone", "due_on", "reviewed_on", "progress", "notes")


class WorkshopAttendanceInline(TabularInline):
    model = WorkshopAttendance
    fields = ("household", "attended", "participants")
    autocomplete_fields = ("household",)
    select_related = ("household",)


# --------------------------------------------------------------------------
# Households and people
# --------------------------------------------------------------------------


@admin.register(Household)
class HouseholdAdmin(ProtectedFieldsAdminMixin, FoldedSearchMixin, TimeStampedAdmin):
    list_display = (
        "display_name", "reference", "organisation", "project", "prior_situation",
        "domestic_violence", "archived_at",
    )
    list_display_links = ("display_name", "reference")
    list_filter = (
        "prior_situation", "domestic_violence", "project__category", "organisation__kind",
        ("archived_at", admin.EmptyFieldListFilter),
    )
    search_fields = ("reference", "nur")
    folded_search_fields = ("search_key",)
    list_select_related = ("organisation", "project")
    autocomplete_fields = ("organisation", "project")
    readonly_fields = ("archived_at", "anonymised_at")
    date_hierarchy = "created_at"
    ordering = ("display_name",)
    fieldsets = (
        (None, {"fields": ("organisation", "project", ("reference", "nur"), "display_name")}),
        (
            _("Situation"),
            {"fields": ("prior_situation", ("monthly_resources", "resources_kind"), "domestic_violence")},
        ),
        (
            _("Notes sociales (protégées)"),
            {
                "fields": ("situation_notes", "health_notes", "justice_notes", "violence_notes"),
                "description": PROTECTED_SECTION_DESCRIPTION,
            },
        ),
        (_("Conservation"), {"classes": ("collapse",), "fields": ("archived_at", "anonymised_at")}),
    )
    inlines = (PersonInline, ReferralInline, ConsentInline, SupportMeasureSummaryInline)


@admin.register(Person)
class PersonAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("__str__", "household", "role", "birth_date", "employment")
    list_filter = ("role",)
    search_fields = ("first_name", "last_name", "household__reference")
    folded_search_fields = ("search_key",)
    list_select_related = ("household",)
    autocomplete_fields = ("household",)
    readonly_fields = ("organisation",)
    ordering = ("last_name", "first_name")
    fields = ("household", "organisation", "role", ("first_name", "last_name"), "birth_date", "employment")


@admin.register(Referral)
class ReferralAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("household", "source", "referring_organisation", "project", "referred_on", "decision", "decided_on")
    list_filter = ("source", "decision", "prior_situation")
    search_fields = (*HOUSEHOLD_SEARCH, "referring_organisation__name", "project__number")
    folded_search_fields = HOUSEHOLD_FOLDED_SEARCH
    list_select_related = ("household", "referring_organisation", "project")
    autocomplete_fields = ("household", "referring_organisation", "project")
    readonly_fields = ("organisation",)
    date_hierarchy = "referred_on"
    ordering = ("-referred_on",)
    fields = (
        ("household", "organisation"),
        "project",
        ("source", "referring_organisation"),
        ("referred_on", "prior_situation"),
        ("decision", "decided_on"),
        "refusal_reason",
    )


@admin.register(Consent)
class ConsentAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("household", "partner", "purpose", "given_on", "withdrawn_on", "recorded_by")
    list_filter = ("purpose", ("withdrawn_on", admin.EmptyFieldListFilter))
    search_fields = (*HOUSEHOLD_SEARCH, "partner__name", "partner__short_name")
    folded_search_fields = HOUSEHOLD_FOLDED_SEARCH
    list_select_related = ("household", "partner", "recorded_by__user", "recorded_by__organisation")
    autocomplete_fields = ("household", "partner", "recorded_by")
    readonly_fields = ("organisation",)
    date_hierarchy = "given_on"
    ordering = ("-given_on",)
    fields = (("household", "organisation"), "partner", "purpose", ("given_on", "withdrawn_on"), "recorded_by")


# --------------------------------------------------------------------------
# Support measures
# --------------------------------------------------------------------------


@admin.register(SupportMeasure)
class SupportMeasureAdmin(ProtectedFieldsAdminMixin, FoldedSearchMixin, TimeStampedAdmin):
    list_display = (
        "household", "project", "organisation", "kind", "phase", "intensity", "referent",
        "identified_on", "ended_on", "outcome",
    )
    list_filter = ("phase", "kind", "intensity", "outcome", "project__category")
    search_fields = (*HOUSEHOLD_SEARCH, "external_reference", "project__number", "organisation__name")
    folded_search_fields = HOUSEHOLD_FOLDED_SEARCH
    list_select_related = ("household", "project", "organisation", "referent__user", "referent__organisation")
    autocomplete_fields = ("household", "project", "action", "organisation", "referent", "end_meeting")
    date_hierarchy = "identified_on"
    ordering = ("-identified_on",)
    fieldsets = (
        (None, {"fields": ("household", "project", "action", "organisation", ("kind", "external_reference"))}),
        (
            _("Parcours"),
            {"fields": (("phase", "intensity"), "referent", "identified_on", "diagnostic_on", "contract_signed_on")},
        ),
        (_("Fin de l'accompagnement"), {"fields": (("ended_on", "outcome"), "end_meeting", "watch_until")}),
        (
            _("Notes (protégées)"),
            {"fields": ("diagnostic_notes", "outcome_notes"), "description": PROTECTED_SECTION_DESCRIPTION},
        ),
    )
    inlines = (MandateInline, TeamMemberInline, SupportGoalInline, SituationSnapshotInline)


@admin.register(Mandate)
class MandateAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("measure", "number", "starts_on", "ends_on", "decided_on")
    search_fields = ("measure__household__reference", "measure__project__number")
    folded_search_fields = ("measure__household__search_key",)
    list_select_related = ("measure__household", "measure__project")
    autocomplete_fields = ("measure",)
    readonly_fields = ("organisation",)
    date_hierarchy = "starts_on"
    ordering = ("-starts_on",)
    fields = ("measure", "organisation", "number", ("starts_on", "ends_on"), "decided_on")


@admin.register(TeamMember)
class TeamMemberAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("membership", "measure", "role", "since", "until")
    list_filter = ("role", ("until", admin.EmptyFieldListFilter))
    search_fields = (
        "membership__user__email", "membership__user__last_name", "membership__user__first_name",
        "measure__household__reference",
    )
    folded_search_fields = ("measure__household__search_key",)
    list_select_related = ("membership__user", "membership__organisation", "measure__household", "measure__project")
    autocomplete_fields = ("measure", "membership")
    ordering = ("measure", "role")
    fields = ("measure", "membership", "role", ("since", "until"))


@admin.register(SupportGoal)
class SupportGoalAdmin(ProtectedFieldsAdminMixin, FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("title", "measure", "domain", "status", "set_on", "closed_on")
    list_filter = ("domain", "status")
    search_fields = ("title", "measure__household__reference")
    folded_search_fields = ("measure__household__search_key",)
    list_select_related = ("measure__household", "measure__project")
    autocomplete_fields = ("measure",)
    readonly_fields = ("organisation",)
    date_hierarchy = "set_on"
    ordering = ("-set_on",)
    fields = ("measure", "organisation", "domain", "title", ("set_on", "status", "closed_on"), "notes")
    inlines = (GoalReviewInline,)


@admin.register(GoalReview)
class GoalReviewAdmin(ProtectedFieldsAdminMixin, FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("goal", "household", "milestone", "due_on", "reviewed_on", "progress")
    list_filter = ("milestone", ("reviewed_on", admin.EmptyFieldListFilter))
    search_fields = ("goal__title", "goal__measure__household__reference")
    folded_search_fields = ("goal__measure__household__search_key",)
    list_select_related = ("goal__measure__household",)
    autocomplete_fields = ("goal",)
    readonly_fields = ("organisation",)
    date_hierarchy = "due_on"
    ordering = ("-due_on",)
    fields = ("goal", "organisation", "milestone", ("due_on", "reviewed_on"), "progress", "notes")

    @admin.display(description=_("ménage"), ordering="goal__measure__household__display_name")
    def household(self, obj: GoalReview):
        return obj.goal.measure.household


@admin.register(Contact)
class ContactAdmin(ProtectedFieldsAdminMixin, FoldedSearchMixin, TimeStampedAdmin):
    """The visit log: dates and types are listed, notes never."""

    list_display = ("occurred_on", "kind", "status", "household", "measure_project", "author", "duration_minutes")
    list_filter = ("kind", "status")
    search_fields = HOUSEHOLD_SEARCH
    folded_search_fields = HOUSEHOLD_FOLDED_SEARCH
    list_select_related = ("household", "measure__project", "author__user", "author__organisation")
    autocomplete_fields = ("measure", "author", "workshop", "goals")
    readonly_fields = ("household", "organisation", "client_uuid")
    date_hierarchy = "occurred_on"
    ordering = ("-occurred_on", "-id")
    fieldsets = (
        (None, {"fields": ("measure", ("household", "organisation"), "author")}),
        (_("Contact"), {"fields": (("kind", "status"), ("occurred_on", "duration_minutes"), "workshop", "goals")}),
        (_("Note (protégée)"), {"fields": ("note",), "description": PROTECTED_SECTION_DESCRIPTION}),
        (_("Technique"), {"classes": ("collapse",), "fields": ("client_uuid",)}),
    )

    @admin.display(description=_("projet"), ordering="measure__project__number")
    def measure_project(self, obj: Contact) -> str:
        return obj.measure.project.number


# --------------------------------------------------------------------------
# Workshops and outcomes
# --------------------------------------------------------------------------


@admin.register(Workshop)
class WorkshopAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("title", "organisation", "project", "theme", "held_on", "place", "capacity")
    list_filter = ("theme",)
    search_fields = ("title", "place", "organisation__name", "organisation__short_name", "project__number")
    folded_search_fields = ("organisation__normalized_name",)
    list_select_related = ("organisation", "project")
    autocomplete_fields = ("organisation", "project")
    date_hierarchy = "held_on"
    ordering = ("-held_on",)
    fields = ("organisation", "project", "title", "theme", ("held_on", "duration_minutes"), "place", "capacity")
    inlines = (WorkshopAttendanceInline,)


@admin.register(WorkshopAttendance)
class WorkshopAttendanceAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = ("workshop", "household", "attended", "participants")
    list_filter = ("attended", "workshop__theme")
    search_fields = ("workshop__title", *HOUSEHOLD_SEARCH)
    folded_search_fields = HOUSEHOLD_FOLDED_SEARCH
    list_select_related = ("workshop", "household")
    autocomplete_fields = ("workshop", "household")
    readonly_fields = ("organisation",)
    ordering = ("-workshop__held_on",)
    fields = ("workshop", "household", "organisation", ("attended", "participants"))


@admin.register(SituationSnapshot)
class SituationSnapshotAdmin(FoldedSearchMixin, TimeStampedAdmin):
    list_display = (
        "measure", "moment", "observed_on", "rent_arrears", "housing_benefit", "minimum_income",
        "health_cover", "employed", "still_housed",
    )
    list_filter = ("moment", "still_housed", "housing_benefit", "minimum_income", "health_cover", "employed")
    search_fields = ("measure__household__reference", "measure__project__number")
    folded_search_fields = ("measure__household__search_key",)
    list_select_related = ("measure__household", "measure__project")
    autocomplete_fields = ("measure",)
    readonly_fields = ("organisation",)
    date_hierarchy = "observed_on"
    ordering = ("-observed_on",)
    fieldsets = (
        (None, {"fields": ("measure", "organisation", ("moment", "observed_on"))}),
        (
            _("Situation"),
            {"fields": ("rent_arrears", "still_housed", "housing_benefit", "minimum_income", "health_cover", "employed")},
        ),
    )

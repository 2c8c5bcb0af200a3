"""Filters of the housing lists, shared by the HTML lists and the REST API.

No HTML here: labels and choices only. The querysets they filter come from
``housing.selectors`` (already restricted by ``core.access``); the arrears
filters need the deadline annotations of ``selectors.annotate_deadlines``
and add them when the queryset does not carry them yet.
"""

from __future__ import annotations

from datetime import timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import access
from core.lists import fresh_filters
from core.text import fold
from households.models import Household, Phase, SupportMeasure

from . import selectors
from .forms import MoneyField
from .models import EvictionCase, EvictionStepKind, Lease


class MoneyFilter(django_filters.NumberFilter):
    field_class = MoneyField


def _search(queryset, prefix: str, value: str):
    """Household name or file number, accents and case ignored (``search_key`` is folded)."""
    terms = fold(value).split()
    for term in terms:
        queryset = queryset.filter(**{f"{prefix}search_key__contains": term})
    return queryset


SEARCH_HELP = _("Nom du ménage ou n° de dossier (accents facultatifs).")


class HousingHouseholdFilterSet(django_filters.FilterSet):
    """Tenants under support and households awaiting attribution."""

    q = django_filters.CharFilter(label=_("Rechercher"), method="filter_q", help_text=SEARCH_HELP)
    phase = django_filters.ChoiceFilter(label=_("Phase"), choices=Phase.choices, method="filter_phase", empty_label=_("Toutes"))

    class Meta:
        model = Household
        fields = ["q", "phase"]

    def filter_q(self, queryset, name, value):
        return _search(queryset, "", value)

    def filter_phase(self, queryset, name, value):
        return queryset.filter(
            Exists(SupportMeasure.objects.filter(household=OuterRef("pk"), phase=value, ended_on__isnull=True))
        )


class LeaseFilterSet(django_filters.FilterSet):
    """Baux glissants due to slide."""

    q = django_filters.CharFilter(label=_("Rechercher"), method="filter_q", help_text=SEARCH_HELP)
    overdue = django_filters.BooleanFilter(
        label=_("Glissement en retard uniquement"), method="filter_overdue",
        widget=forms.CheckboxInput,
    )

    class Meta:
        model = Lease
        fields = ["q", "overdue"]

    def filter_q(self, queryset, name, value):
        return _search(queryset, "occupant__", value)

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(planned_glissement_on__lt=timezone.localdate())


class EvictionCaseFilterSet(django_filters.FilterSet):
    """Open arrears files: amount range, deadline, CAF report to do."""

    DEADLINE_CHOICES = (
        ("passee", _("Échéance dépassée")),
        ("15", _("Dans moins de 15 jours (ou dépassée)")),
        ("30", _("Dans moins de 30 jours (ou dépassée)")),
        ("aucune", _("Sans échéance légale en cours")),
    )

    q = django_filters.CharFilter(label=_("Rechercher"), method="filter_q", help_text=SEARCH_HELP)
    amount_min = MoneyFilter(label=_("Dette à partir de (€)"), field_name="arrears_amount", lookup_expr="gte")
    amount_max = MoneyFilter(label=_("Dette jusqu'à (€)"), field_name="arrears_amount", lookup_expr="lte")
    deadline = django_filters.ChoiceFilter(label=_("Échéance"), choices=DEADLINE_CHOICES, method="filter_deadline", empty_label=_("Toutes"))
    last_step = django_filters.ChoiceFilter(
        label=_("Dernière étape"), choices=EvictionStepKind.choices, method="filter_last_step", empty_label=_("Toutes")
    )

    class Meta:
        model = EvictionCase
        fields = ["q", "amount_min", "amount_max", "deadline", "last_step"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        fresh_filters(self)
        self.today = timezone.localdate()
        self.actor = access.actor_of(request) if request is not None else access.NOBODY

    def _annotated(self, queryset):
        if "due_on" in queryset.query.annotations:
            return queryset
        return selectors.annotate_deadlines(queryset, self.actor, self.today)

    def filter_q(self, queryset, name, value):
        return _search(queryset, "lease__occupant__", value)

    def filter_deadline(self, queryset, name, value):
        queryset = self._annotated(queryset)
        if value == "passee":
            return queryset.filter(due_on__lt=self.today)
        if value == "aucune":
            return queryset.filter(due_on__isnull=True)
        days = int(value)
        return queryset.filter(due_on__isnull=False, due_on__lt=self.today + timedelta(days=days))

    def filter_last_step(self, queryset, name, value):
        return self._annotated(queryset).filter(last_step_kind=value)



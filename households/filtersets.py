"""Filters of the household list, shared by the HTML list and the REST API.

The domestic-violence flag is deliberately *not* a filter: filtering on it
would reveal it (DESIGN.md §3). Choices (projects, référents) are limited to
what the acting organisation may see.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import access
from core.access import NOBODY, ORG_ADMIN
from core.lists import fresh_filters
from core.text import fold
from partners.models import Membership
from projects.models import Project

from .models import Contact, ContactStatus, Household, Person, Phase, SupportMeasure
from .selectors import with_current_phase


class ReferentField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return obj.user.get_full_name() or obj.user.email


class ProjectField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Project) -> str:
        return f"{obj.number} — {obj.title}"


class ReferentFilter(django_filters.ModelChoiceFilter):
    field_class = ReferentField


class ProjectFilter(django_filters.ModelChoiceFilter):
    field_class = ProjectField


class HouseholdFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Rechercher"), method="filter_q",
        help_text=_("Nom du ménage, n° de dossier ou nom d'une personne (accents facultatifs)."),
    )
    phase = django_filters.ChoiceFilter(label=_("Phase"), choices=Phase.choices, method="filter_phase", empty_label=_("Toutes"))
    project = ProjectFilter(label=_("Projet"), queryset=Project.objects.none(), method="filter_project", empty_label=_("Tous"))
    referent = ReferentFilter(label=_("Référent"), queryset=Membership.objects.none(), method="filter_referent", empty_label=_("Tous"))
    no_referent = django_filters.BooleanFilter(label=_("Sans référent"), method="filter_no_referent", widget=forms.CheckboxInput)
    not_seen_for = django_filters.NumberFilter(
        label=_("Non vus depuis (jours)"), method="filter_not_seen_for", min_value=1, max_value=3650,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "min": 1, "placeholder": "30"}),
    )
    archived = django_filters.BooleanFilter(label=_("Dossiers archivés"), method="filter_archived", widget=forms.CheckboxInput)

    class Meta:
        model = Household
        fields: list[str] = []

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        fresh_filters(self)
        actor = access.actor_of(request) if request is not None else NOBODY
        self.actor = actor
        self.filters["project"].queryset = access.visible_to(actor, Project).order_by("number", "pk")
        self.filters["referent"].queryset = (
            access.visible_to(actor, Membership)
            .filter(organisation_id=actor.organisation_id, is_active=True)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )
        if actor.role != ORG_ADMIN:
            # The intermediate archive is the organisation admin's only.
            del self.filters["archived"]

    # -- filters -----------------------------------------------------------

    def filter_q(self, queryset, name, value):
        for term in fold(value).split():
            people = Person.objects.filter(household=OuterRef("pk"), search_key__contains=term)
            queryset = queryset.filter(Q(search_key__contains=term) | Exists(people))
        return queryset

    def filter_phase(self, queryset, name, value):
        """Phase of the current measure (the open one, else the last ended)."""
        return with_current_phase(queryset).filter(current_phase=value)

    def filter_project(self, queryset, name, value):
        return queryset.filter(Q(project=value) | Exists(SupportMeasure.objects.filter(household=OuterRef("pk"), project=value)))

    def filter_referent(self, queryset, name, value):
        return queryset.filter(
            Exists(SupportMeasure.objects.filter(household=OuterRef("pk"), ended_on__isnull=True, referent=value))
        )

    def filter_no_referent(self, queryset, name, value):
        """Households with an open measure that nobody is in charge of."""
        if not value:
            return queryset
        return queryset.filter(
            Exists(SupportMeasure.objects.filter(household=OuterRef("pk"), ended_on__isnull=True, referent__isnull=True))
        )

    def filter_not_seen_for(self, queryset, name, value):
        """Households in support (an open measure) with no contact done in the last ``value`` days."""
        if value in (None, ""):
            return queryset
        since = timezone.localdate() - datetime.timedelta(days=int(value))
        recent = Contact.objects.filter(household=OuterRef("pk"), status=ContactStatus.DONE, occurred_on__gt=since)
        open_measure = SupportMeasure.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
        return queryset.filter(Exists(open_measure)).exclude(Exists(recent))

    def filter_archived(self, queryset, name, value):
        if not value or self.actor.role != ORG_ADMIN:
            return queryset
        return queryset.filter(archived_at__isnull=False)

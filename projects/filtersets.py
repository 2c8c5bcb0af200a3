"""Filters of the project list, shared by the HTML list and the REST API.

No HTML here: labels and choices only. The choices of the session, funder
and landlord selects list only what the acting organisation may see
(``core.access.visible_to``), so the filter form reveals nothing either.
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from core import access
from core.lists import fresh_filters
from partners.models import Organisation, OrganisationKind

from . import selectors
from .models import Category, Funding, Project, ProjectCarrier, ProjectStatus, Session

LANDLORD_KINDS = (OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP)


class ProjectFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Numéro ou intitulé"), method="filter_q")
    category = django_filters.ChoiceFilter(label=_("Catégorie"), choices=Category.choices, empty_label=_("Toutes"))
    status = django_filters.ChoiceFilter(label=_("Statut"), choices=ProjectStatus.choices, empty_label=_("Tous"))
    territory = django_filters.ChoiceFilter(
        label=_("Département"), choices=[], method="filter_territory", empty_label=_("Tous")
    )
    session = django_filters.ModelChoiceFilter(label=_("Session"), queryset=Session.objects.none(), empty_label=_("Toutes"))
    funder = django_filters.ModelChoiceFilter(
        label=_("Financeur"), queryset=Organisation.objects.none(), method="filter_funder", empty_label=_("Tous")
    )
    landlord = django_filters.ModelChoiceFilter(
        label=_("Bailleur porteur"), queryset=Organisation.objects.none(), method="filter_landlord", empty_label=_("Tous")
    )

    class Meta:
        model = Project
        fields = ["q", "category", "status", "territory", "session", "funder", "landlord"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        fresh_filters(self)
        actor = access.actor_of(request) if request is not None else access.NOBODY
        projects = access.visible_to(actor, Project)
        self.filters["session"].queryset = (
            access.visible_to(actor, Session)
            .filter(pk__in=projects.values("session"))
            .select_related("call")
            .order_by("held_on", "name")
        )
        self.filters["funder"].queryset = Organisation.objects.filter(
            pk__in=access.visible_to(actor, Funding).values("funder")
        ).order_by("normalized_name")
        landlord_carriers = access.visible_to(actor, ProjectCarrier).filter(organisation__kind__in=LANDLORD_KINDS)
        self.filters["landlord"].queryset = Organisation.objects.filter(
            Q(pk__in=projects.values("lead_landlord")) | Q(pk__in=landlord_carriers.values("organisation"))
        ).order_by("normalized_name")
        self.filters["territory"].extra["choices"] = _LazyDepartements(projects)

    # -------------------------------------------------------------- methods

    def filter_q(self, queryset, name, value):
        return selectors.text_search(queryset, value)

    def filter_territory(self, queryset, name, value):
        return queryset.filter(departements__contains=[value])

    def filter_funder(self, queryset, name, value):
        return queryset.filter(Exists(Funding.objects.filter(project=OuterRef("pk"), funder=value)))

    def filter_landlord(self, queryset, name, value):
        """Lead landlord, or a landlord among the project's carriers."""
        return queryset.filter(
            Q(lead_landlord=value) | Exists(ProjectCarrier.objects.filter(project=OuterRef("pk"), organisation=value))
        )


class _LazyDepartements:
    """Département codes of the visible projects, read only when the form needs them (one query)."""

    def __init__(self, projects):
        self.projects = projects
        self._choices = None

    def __iter__(self):
        if self._choices is None:
            codes = sorted(
                {code for codes in self.projects.values_list("departements", flat=True) for code in codes},
                key=_departement_order,
            )
            self._choices = [(code, code) for code in codes]
        return iter(self._choices)


def _departement_order(code: str) -> tuple:
    # 1..19, 2A, 2B, 21..95, 971..976
    return (int(code[:2].replace("2A", "20").replace("2B", "20")) if code[:2].isdigit() or code[:2] in ("2A", "2B") else 999, code)

"""Filters of the dashboards (session, funder, category, year), shared by the HTML pages and the API.

The FilterSet narrows the *projects* a dashboard adds up; the year does not
filter projects (a project spans several years): it chooses which year of
the rollup tables the household figures, the map and the tables read, and
is read back by the view from ``form.cleaned_data``. The choices list only
what the acting organisation may see (``core.access.visible_to``).
"""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from core import access
from core.forms import DateInput
from core.lists import fresh_filters
from partners.models import Organisation
from projects.models import Category, Funding, Project, Session

from .models import ReportKind, ReportRun, ReportScope, ReportStatus


class DashboardFilterSet(django_filters.FilterSet):
    year = django_filters.ChoiceFilter(label=_("Année"), choices=[], method="filter_year", empty_label=None)
    session = django_filters.ModelChoiceFilter(label=_("Session"), queryset=Session.objects.none(), empty_label=_("Toutes"))
    funder = django_filters.ModelChoiceFilter(
        label=_("Financeur"), queryset=Organisation.objects.none(), method="filter_funder", empty_label=_("Tous")
    )
    category = django_filters.ChoiceFilter(label=_("Catégorie"), choices=Category.choices, empty_label=_("Toutes"))

    class Meta:
        model = Project
        fields = ["year", "session", "funder", "category"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, years=()):
        super().__init__(data, queryset, request=request, prefix=prefix)
        fresh_filters(self)
        actor = access.actor_of(request) if request is not None else access.NOBODY
        projects = access.visible_to(actor, Project)
        self.filters["year"].extra["choices"] = [(year, str(year)) for year in sorted(years, reverse=True)]
        self.filters["session"].queryset = (
            access.visible_to(actor, Session).filter(pk__in=projects.values("session")).select_related("call").order_by("held_on", "name")
        )
        self.filters["funder"].queryset = Organisation.objects.filter(
            pk__in=access.visible_to(actor, Funding).values("funder")
        ).order_by("normalized_name")

    def filter_year(self, queryset, name, value):
        return queryset  # chooses the year of the figures, not projects

    def filter_funder(self, queryset, name, value):
        return queryset.filter(Exists(Funding.objects.filter(project=OuterRef("pk"), funder=value)))


class ReportRunFilterSet(django_filters.FilterSet):
    """Filters of the list of report runs (``/rapports/``): kind, scope, status and period.

    The period keeps the runs whose period overlaps the dates given. The
    queryset is already restricted by ``core.access`` (the view's ``visible_to``).
    """

    kind = django_filters.ChoiceFilter(label=_("Rapport"), choices=ReportKind.choices, empty_label=_("Tous"))
    scope = django_filters.ChoiceFilter(label=_("Périmètre"), choices=ReportScope.choices, empty_label=_("Tous"))
    status = django_filters.ChoiceFilter(label=_("État"), choices=ReportStatus.choices, empty_label=_("Tous"))
    period_after = django_filters.DateFilter(
        label=_("Période à partir du"), field_name="period_end", lookup_expr="gte", widget=DateInput
    )
    period_before = django_filters.DateFilter(
        label=_("Période jusqu'au"), field_name="period_start", lookup_expr="lte", widget=DateInput
    )

    class Meta:
        model = ReportRun
        fields = ["kind", "scope", "status", "period_after", "period_before"]

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        fresh_filters(self)

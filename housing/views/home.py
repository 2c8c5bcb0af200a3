"""Home page of landlord advisers (and landlord team leads and admins), and its four full lists.

The home shows, for the acting landlord, four panels — tenants under
support, households awaiting attribution, baux glissants due to slide,
arrears files with their next legal deadline — each a count and its first
rows, with a link to the full list (paginated, sortable, filterable).
Every row comes from ``housing.selectors`` (``core.access.visible_to``).
"""

from __future__ import annotations

from datetime import date

from django.db.models import DateField, F, Value
from django.db.models.functions import Coalesce
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import access
from core.calendar import in_winter_truce, winter_truce_around
from core.lists import build_listing
from households.models import ContactKind, Phase

from .. import selectors
from ..filtersets import EvictionCaseFilterSet, HousingHouseholdFilterSet, LeaseFilterSet
from ..models import AttributionDecision, AttributionStepKind, EvictionStepKind
from .common import household_url, landlord_required

NEVER = date(1900, 1, 1)


def _labels(choices) -> dict:
    return {value: label for value, label in choices}


LABELS = {
    "contact_kinds": _labels(ContactKind.choices),
    "phases": _labels(Phase.choices),
    "attribution_kinds": _labels(AttributionStepKind.choices),
    "decisions": _labels(AttributionDecision.choices),
    "eviction_kinds": _labels(EvictionStepKind.choices),
}


def _truce(today: date):
    return winter_truce_around(today) if in_winter_truce(today) else None


def _decorate(rows, today: date, kind: str) -> list:
    """Labels, links and deadline states that the templates show (no query)."""
    rows = list(rows)
    for row in rows:
        if kind == "tenants":
            row.file_url = household_url(row.pk)
            row.last_contact_label = LABELS["contact_kinds"].get(row.last_contact_kind, "")
        elif kind == "awaiting":
            row.file_url = household_url(row.pk)
            row.last_step_label = LABELS["attribution_kinds"].get(row.last_step_kind, "")
            row.last_decision_label = LABELS["decisions"].get(row.last_step_decision, "")
        elif kind == "slides":
            row.file_url = household_url(row.occupant_id)
            row.late = row.planned_glissement_on < today
        elif kind == "arrears":
            row.file_url = household_url(row.lease.occupant_id)
            row.last_step_label = LABELS["eviction_kinds"].get(row.last_step_kind, "")
            row.due_state = selectors.deadline_state(row.due_on, today)
            row.due_text = selectors.deadline_sentence(row.due_label, row.due_on) if row.due_on else ""
            row.caf_alert = selectors.must_report(row)
    return rows


def landlord_home(request):
    """Called by ``reporting.views.home`` for landlord organisations (login already required)."""
    actor = access.actor_of(request)
    today = timezone.localdate()
    panels = selectors.home_panels(actor, today)
    for key, panel in panels.items():
        panel.rows = _decorate(panel.rows, today, key)
    return render(request, "housing/home_landlord.html", {
        "panels": panels, "today": today, "truce": _truce(today), "horizon": selectors.SLIDE_HORIZON_DAYS,
        "urgent_days": selectors.URGENT_DAYS,
    })


def _list(request, *, kind: str, queryset, sorts, default_sort, filterset_class, title, empty, today):
    listing = build_listing(request, queryset, sorts=sorts, default_sort=default_sort, filterset_class=filterset_class)
    listing.page.object_list = _decorate(listing.page.object_list, today, kind)
    return render(request, "housing/list.html", {
        "listing": listing, "filters": listing.filterset.form if listing.filterset else None, "kind": kind,
        "title": title, "empty": empty, "today": today, "truce": _truce(today) if kind == "arrears" else None,
        "horizon": selectors.SLIDE_HORIZON_DAYS, "urgent_days": selectors.URGENT_DAYS,
    })


@landlord_required
def tenants(request):
    actor, today = access.actor_of(request), timezone.localdate()
    queryset = selectors.with_tenant_details(selectors.tenants_under_support(actor, today), actor, today).annotate(
        last_contact_sort=Coalesce(F("last_contact_on"), Value(NEVER), output_field=DateField())
    )
    return _list(
        request, kind="tenants", queryset=queryset, today=today,
        sorts={"nom": ("display_name",), "contact": ("last_contact_sort",)}, default_sort="contact",
        filterset_class=HousingHouseholdFilterSet, title=_("Locataires accompagnés"),
        empty=_("Aucun de vos locataires n'a de mesure d'accompagnement en cours."),
    )


@landlord_required
def awaiting(request):
    actor, today = access.actor_of(request), timezone.localdate()
    queryset = selectors.awaiting_attribution(actor, today).annotate(
        last_step_sort=Coalesce(F("last_step_on"), Value(NEVER), output_field=DateField())
    )
    return _list(
        request, kind="awaiting", queryset=queryset, today=today,
        sorts={"nom": ("display_name",), "etape": ("last_step_sort",), "projet": ("project__number",)}, default_sort="etape",
        filterset_class=HousingHouseholdFilterSet, title=_("Ménages en attente d'attribution"),
        empty=_("Aucun ménage de vos projets n'attend de logement."),
    )


@landlord_required
def slides(request):
    actor, today = access.actor_of(request), timezone.localdate()
    return _list(
        request, kind="slides", queryset=selectors.slides_due(actor, today), today=today,
        sorts={"date": ("planned_glissement_on",), "nom": ("occupant__display_name",)}, default_sort="date",
        filterset_class=LeaseFilterSet, title=_("Baux glissants à faire glisser"),
        empty=_("Aucun bail glissant n'arrive à sa date de glissement dans les 90 jours."),
    )


@landlord_required
def arrears(request):
    actor, today = access.actor_of(request), timezone.localdate()
    return _list(
        request, kind="arrears", queryset=selectors.arrears_cases(actor, today), today=today,
        sorts={
            "echeance": ("due_sort",), "montant": ("arrears_amount",), "ouverture": ("opened_on",),
            "nom": ("lease__occupant__display_name",),
        },
        default_sort="echeance", filterset_class=EvictionCaseFilterSet, title=_("Dossiers d'impayés en cours"),
        empty=_("Aucun dossier de prévention des expulsions n'est ouvert sur vos baux."),
    )

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
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import access, exports
from core.calendar import in_winter_truce, winter_truce_around
from core.lists import build_listing
from households.models import ContactKind, Phase
from partners.models import Organisation

from .. import selectors
from ..filtersets import EvictionCaseFilterSet, HousingHouseholdFilterSet, LeaseFilterSet
from ..models import AttributionDecision, AttributionStepKind, EvictionStepKind
from .common import LANDLORD_KINDS, household_url, landlord_required

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


def _spec(request, kind: str) -> dict:
    """Rows, sorts, filters and wording of one of the four lists (the page and its export share it)."""
    actor, today = access.actor_of(request), timezone.localdate()
    if kind == "tenants":
        queryset = selectors.with_tenant_details(selectors.tenants_under_support(actor, today), actor, today).annotate(
            last_contact_sort=Coalesce(F("last_contact_on"), Value(NEVER), output_field=DateField())
        )
        return dict(
            queryset=queryset, sorts={"nom": ("display_name",), "contact": ("last_contact_sort",)}, default_sort="contact",
            filterset_class=HousingHouseholdFilterSet, title=_("Locataires accompagnés"),
            empty=_("Aucun de vos locataires n'a de mesure d'accompagnement en cours."), today=today,
        )
    if kind == "awaiting":
        queryset = selectors.awaiting_attribution(actor, today).annotate(
            last_step_sort=Coalesce(F("last_step_on"), Value(NEVER), output_field=DateField())
        )
        return dict(
            queryset=queryset,
            sorts={"nom": ("display_name",), "etape": ("last_step_sort",), "projet": ("project__number",)}, default_sort="etape",
            filterset_class=HousingHouseholdFilterSet, title=_("Ménages en attente d'attribution"),
            empty=_("Aucun ménage de vos projets n'attend de logement."), today=today,
        )
    if kind == "slides":
        return dict(
            queryset=selectors.slides_due(actor, today),
            sorts={"date": ("planned_glissement_on",), "nom": ("occupant__display_name",)}, default_sort="date",
            filterset_class=LeaseFilterSet, title=_("Baux glissants à faire glisser"),
            empty=_("Aucun bail glissant n'arrive à sa date de glissement dans les 90 jours."), today=today,
        )
    return dict(
        queryset=selectors.arrears_cases(actor, today),
        sorts={
            "echeance": ("due_sort",), "montant": ("arrears_amount",), "ouverture": ("opened_on",),
            "nom": ("lease__occupant__display_name",),
        },
        default_sort="echeance", filterset_class=EvictionCaseFilterSet, title=_("Dossiers d'impayés en cours"),
        empty=_("Aucun dossier de prévention des expulsions n'est ouvert sur vos baux."), today=today,
    )


def _listing(request, spec: dict):
    return build_listing(
        request, spec["queryset"], sorts=spec["sorts"], default_sort=spec["default_sort"],
        filterset_class=spec["filterset_class"],
    )


def _list(request, kind: str):
    fmt = exports.requested_format(request)
    if fmt:
        return exports.respond(request, landlord_list_export, fmt, kind=kind)
    spec = _spec(request, kind)
    today = spec["today"]
    listing = _listing(request, spec)
    listing.page.object_list = _decorate(listing.page.object_list, today, kind)
    return render(request, "housing/list.html", {
        "listing": listing, "filters": listing.filterset.form if listing.filterset else None, "kind": kind,
        "title": spec["title"], "empty": spec["empty"], "today": today, "truce": _truce(today) if kind == "arrears" else None,
        "horizon": selectors.SLIDE_HORIZON_DAYS, "urgent_days": selectors.URGENT_DAYS,
    })


def _joined(items, text) -> str:
    return " ; ".join(filter(None, (text(item) for item in items)))


def _export_columns(kind: str, today: date) -> list[exports.Column]:
    """The columns of each list's file: what the page shows, one value per cell (no social note, no address)."""
    Column = exports.Column
    contact_kind, phase = exports.label_of(ContactKind.choices), exports.label_of(Phase.choices)
    attribution_kind, decision = exports.label_of(AttributionStepKind.choices), exports.label_of(AttributionDecision.choices)
    eviction_kind = exports.label_of(EvictionStepKind.choices)
    if kind == "tenants":
        return [
            Column(_("N° de dossier"), "reference", width=14),
            Column(_("Ménage"), "display_name", width=28),
            Column(_("Projet"), "project__number", width=10),
            Column(_("Bail"), lambda h: _joined(h.current_leases, lambda lease: lease.get_kind_display()), width=18),
            Column(_("N° de locataire"), lambda h: _joined(h.current_leases, lambda lease: lease.tenant_reference), width=16),
            Column(_("Phase d'accompagnement"), lambda h: _joined(h.open_measures, lambda m: phase(m.phase)), width=22),
            Column(_("Accompagné par"), lambda h: _joined(h.open_measures, lambda m: m.organisation.name), width=28),
            Column(_("Référent"), lambda h: _joined(h.open_measures, lambda m: m.referent.user.get_full_name() if m.referent else ""), width=22),
            Column(_("Dernier contact"), "last_contact_on", exports.DATE, width=14),
            Column(_("Type du dernier contact"), lambda h: contact_kind(h.last_contact_kind), width=22),
        ]
    if kind == "awaiting":
        return [
            Column(_("N° de dossier"), "reference", width=14),
            Column(_("Ménage"), "display_name", width=28),
            Column(_("Projet"), "project__number", width=10),
            Column(_("Dernière étape"), lambda h: attribution_kind(h.last_step_kind), width=26),
            Column(_("Décision"), lambda h: decision(h.last_step_decision), width=16),
            Column(_("Date de la dernière étape"), "last_step_on", exports.DATE, width=14),
        ]
    if kind == "slides":
        return [
            Column(_("N° de dossier"), "occupant__reference", width=14),
            Column(_("Ménage"), "occupant__display_name", width=28),
            Column(_("Association locataire"), "tenant_organisation__name", width=28),
            Column(_("Bail glissant depuis le"), "starts_on", exports.DATE, width=14),
            Column(_("Glissement prévu le"), "planned_glissement_on", exports.DATE, width=14),
            Column(_("En retard"), lambda lease: lease.planned_glissement_on < today),
            Column(_("Loyer mensuel"), "monthly_rent", exports.MONEY, width=14),
            Column(_("Charges mensuelles"), "monthly_charges", exports.MONEY, width=14),
        ]
    return [
        Column(_("N° de dossier"), "lease__occupant__reference", width=14),
        Column(_("Ménage"), "lease__occupant__display_name", width=28),
        Column(_("Bail"), lambda case: case.lease.get_kind_display(), width=18),
        Column(_("Locataire en titre"), lambda case: case.lease.tenant_organisation.name if case.lease.tenant_organisation else case.lease.occupant.display_name, width=28),
        Column(_("Loyer et charges mensuels"), lambda case: case.lease.monthly_rent + case.lease.monthly_charges, exports.MONEY, width=14),
        Column(_("Dette"), "arrears_amount", exports.MONEY, width=14),
        Column(_("Dossier ouvert le"), "opened_on", exports.DATE, width=14),
        Column(_("Dernière étape"), lambda case: eviction_kind(case.last_step_kind), width=28),
        Column(_("Date de la dernière étape"), "last_step_on", exports.DATE, width=14),
        Column(_("Prochaine échéance légale"), "due_label", width=36),
        Column(_("Date de l'échéance"), "due_on", exports.DATE, width=14),
        Column(_("Signalement CAF à faire"), selectors.must_report, width=12),
    ]


EXPORT_NAMES = {"tenants": "landlord_tenants", "awaiting": "landlord_awaiting", "slides": "landlord_slides", "arrears": "landlord_arrears"}


@exports.builder
def landlord_list_export(request, kind: str) -> exports.Table:
    """One of the four lists as a file (``core.exports``): same rows, filters and sort as the page."""
    actor = access.actor_of(request)
    # Same rule as ``landlord_required``, from the actor alone (a background job has no session).
    landlord = actor.role == access.LANDLORD_ADVISER or Organisation.objects.filter(
        pk=actor.organisation_id, kind__in=LANDLORD_KINDS
    ).exists()
    if kind not in EXPORT_NAMES or actor.aggregate_only or not actor.acts_for_an_organisation or not landlord:
        raise PermissionDenied
    spec = _spec(request, kind)
    listing = _listing(request, spec)
    return exports.Table(
        name=EXPORT_NAMES[kind], title=spec["title"], queryset=listing.page.paginator.object_list,
        columns=_export_columns(kind, spec["today"]), total=listing.total,
        parameters=exports.listing_parameters(request), household_rows=True,
    )


@landlord_required
def tenants(request):
    return _list(request, "tenants")


@landlord_required
def awaiting(request):
    return _list(request, "awaiting")


@landlord_required
def slides(request):
    return _list(request, "slides")


@landlord_required
def arrears(request):
    return _list(request, "arrears")

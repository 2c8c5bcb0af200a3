"""The household list, the household file and its edit screens.

Routes (joined in ``households/urls.py``):

- ``/menages/`` list (``households:list``);
- ``/menages/<pk>/`` the household file, audited on every opening
  (``households:detail``); ``/menages/<pk>/contacts/`` all its contacts;
- ``/menages/<pk>/modifier/``, ``/menages/<pk>/personnes/nouvelle/``,
  ``/menages/<pk>/consentements/nouveau/``, ``/consentements/<pk>/retrait/``;
- ``/mesures/<pk>/phase/``, ``/mesures/<pk>/mandats/nouveau/``,
  ``/mesures/<pk>/objectifs/nouveau/``, ``/objectifs/<pk>/bilans/nouveau/``.

Every object route resolves through ``scoped_object`` (404 for another
organisation, 403 for an action the role may not do); writes go through
``households.services``.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from core import access, audit, exports
from core.access import CHANGE, ORG_ADMIN, actor_of
from core.forms import CONFLICT_MESSAGE
from core.lists import build_listing
from core.services import VersionConflict
from core.views import edit_object, field_display, scoped_object
from partners.acting import acting_membership
from partners.models import Organisation, OrganisationKind

from .. import selectors, services
from ..filtersets import HouseholdFilterSet
from ..forms import (
    ConsentForm,
    ConsentWithdrawForm,
    GoalForm,
    HouseholdForm,
    MandateForm,
    PersonForm,
    PhaseForm,
    ReviewForm,
)
from ..models import ContactKind, ContactStatus, Household, Intensity, Outcome, Phase

LANDLORD_KINDS = (OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP)

LIST_SORTS = {
    "nom": ("search_key",),
    "reference": ("reference",),
    "phase": ("phase_rank",),
    "dernier-contact": ("last_contact_sort",),
    "prochain-contact": ("next_contact_sort",),
    "fin-mandat": ("mandate_sort",),
}


def _file_url(household_id: int, anchor: str = "") -> str:
    url = reverse("households:detail", args=[household_id])
    return f"{url}#{anchor}" if anchor else url


def _tenancy_side(request: HttpRequest) -> bool:
    """The acting organisation is a landlord: lists show the tenancy side only."""
    membership = acting_membership(request)
    return membership is not None and membership.organisation.kind in LANDLORD_KINDS


# --------------------------------------------------------------------------
# List and file
# --------------------------------------------------------------------------


def _household_listing(request: HttpRequest):
    actor = actor_of(request)
    households = selectors.household_list(actor)
    if not (actor.role == ORG_ADMIN and request.GET.get("archived") in ("on", "true", "1", "True")):
        households = households.filter(archived_at__isnull=True)
    return build_listing(
        request, households, sorts=LIST_SORTS, default_sort="nom", filterset_class=HouseholdFilterSet,
    )


@exports.builder
def household_export(request: HttpRequest) -> exports.Table:
    """The household list as a file: the list's rows, filters and sort; the tenancy side for a landlord."""
    actor = actor_of(request)
    listing = _household_listing(request)
    tenancy_side = Organisation.objects.filter(pk=actor.organisation_id, kind__in=LANDLORD_KINDS).exists()
    phase, intensity, outcome = (exports.label_of(c) for c in (Phase.choices, Intensity.choices, Outcome.choices))
    columns = [
        exports.Column(_("N° de dossier"), "reference", width=14),
        exports.Column(_("Ménage"), "display_name", width=28),
        exports.Column(_("Projet"), "project__number", width=10),
        exports.Column(_("Phase"), lambda h: phase(h.current_phase), width=22),
        exports.Column(_("Intensité"), lambda h: intensity(h.current_intensity), width=12),
        exports.Column(_("Issue"), lambda h: outcome(h.current_outcome), width=24),
    ]
    if not tenancy_side:
        columns.append(exports.Column(
            _("Référent"), lambda h: f"{h.referent_first_name or ''} {h.referent_last_name or ''}".strip(), width=22,
        ))
    columns += [
        exports.Column(_("Dernier contact"), "last_contact", exports.DATE, width=14),
        exports.Column(_("Prochain contact"), "next_contact", exports.DATE, width=14),
    ]
    if not tenancy_side:
        columns.append(exports.Column(_("Fin du mandat"), "mandate_ends_on", exports.DATE, width=14))
    if actor.role == ORG_ADMIN:
        columns.append(exports.Column(_("Archivé le"), "archived_at", exports.DATE, width=14))
    return exports.Table(
        name="households", title=_("Ménages"), queryset=listing.page.paginator.object_list.select_related("project"),
        columns=columns, total=listing.total, parameters=exports.listing_parameters(request), household_rows=True,
    )


@login_required
def household_list(request: HttpRequest) -> HttpResponse:
    fmt = exports.requested_format(request)
    if fmt:
        return exports.respond(request, household_export, fmt)
    listing = _household_listing(request)
    return render(request, "households/list.html", {
        "listing": listing,
        "filters": listing.filterset.form,
        "tenancy_side": _tenancy_side(request),
        "phases": Phase.choices,
    })


@scoped_object("households.Household")
def household_detail(request: HttpRequest, household) -> HttpResponse:
    actor = actor_of(request)
    audit.record_view(actor=actor, obj=household)
    file = selectors.household_file(actor, household)
    return render(request, "households/file/detail.html", {
        "household": household,
        "file": file,
        "contacts_cap": selectors.FILE_CONTACTS,
    })


CONTACT_SORTS = {"date": ("occurred_on",), "type": ("kind", "-occurred_on")}


@exports.builder
def contacts_export(request: HttpRequest, household_id: int) -> exports.Table:
    """A household's contacts as a file; the note only where the actor reads it (per measure, not per row)."""
    actor = actor_of(request)
    household = access.access(actor, Household, household_id)
    listing = build_listing(
        request, selectors.household_contacts(actor, household), sorts=CONTACT_SORTS, default_sort="-date",
    )
    rows = listing.page.paginator.object_list.select_related("author__user", "measure__organisation")
    measure_ids = rows.order_by().values_list("measure_id", flat=True).distinct()
    readable = selectors.contact_note_readability(actor, household, list(measure_ids))
    kind, status = exports.label_of(ContactKind.choices), exports.label_of(ContactStatus.choices)
    columns = [
        exports.Column(_("Date"), "occurred_on", exports.DATE, width=12),
        exports.Column(_("Type"), lambda c: kind(c.kind), width=24),
        exports.Column(_("Statut"), lambda c: status(c.status), width=12),
        exports.Column(_("Durée (minutes)"), "duration_minutes", exports.INTEGER, width=10),
        exports.Column(_("Organisation"), lambda c: c.measure.organisation.name, width=28),
        exports.Column(_("Auteur"), lambda c: c.author.user.get_full_name() if c.author else "", width=22),
    ]
    if any(readable.values()):  # protected: only the measure's team (or with consent)
        columns.append(exports.Column(_("Note"), lambda c: c.note if readable.get(c.measure_id) else "", width=60))
    return exports.Table(
        name="household_contacts", title=_("Contacts du dossier %(reference)s") % {"reference": household.reference},
        queryset=rows, columns=columns, total=listing.total, parameters=exports.listing_parameters(request),
        household_rows=True,
    )


@scoped_object("households.Household")
def household_contacts(request: HttpRequest, household) -> HttpResponse:
    """Every contact of a household, paginated (the file shows the last 20)."""
    actor = actor_of(request)
    fmt = exports.requested_format(request)
    if fmt:
        return exports.respond(request, contacts_export, fmt, household_id=household.pk)
    audit.record_view(actor=actor, obj=household)
    listing = build_listing(
        request, selectors.household_contacts(actor, household), sorts=CONTACT_SORTS, default_sort="-date",
    )
    readable = selectors.contact_note_readability(actor, household, [c.measure_id for c in listing.rows])
    for contact in listing.rows:
        contact.note_readable = readable.get(contact.measure_id, False)
    return render(request, "households/file/contacts.html", {"household": household, "listing": listing})


# --------------------------------------------------------------------------
# Edit screens
# --------------------------------------------------------------------------


@scoped_object("households.Household", action=CHANGE)
def household_edit(request: HttpRequest, household) -> HttpResponse:
    return edit_object(
        request, household, HouseholdForm,
        template="households/file/edit.html",
        success_url=_file_url(household.pk, "situation"),
        success_message=_("Le ménage a été mis à jour."),
        context={"household": household},
    )


def _apply_errors(form, error: ValidationError, aliases: dict[str, str] | None = None) -> None:
    """Put a service's ValidationError on the form: on the field it names, else at the top."""
    aliases = aliases or {}
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, messages_ in error.message_dict.items():
        target = aliases.get(name, name)
        visible = target in form.fields and not form.fields[target].widget.is_hidden
        form.add_error(target if visible else None, messages_)


def _service_screen(
    request: HttpRequest,
    form,
    save: Callable[[dict], object],
    *,
    template: str,
    context: dict,
    success_url: str,
    success_message: str,
    aliases: dict[str, str] | None = None,
    conflict_fields: dict[str, str] | None = None,
) -> HttpResponse:
    """GET shows ``form``; a valid POST calls ``save(cleaned_data)`` (a service).

    Bad input: 400 with the person's input and French messages. A
    concurrent change: 409, the values saved meanwhile under the fields.
    """
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                save(form.cleaned_data)
            except VersionConflict as conflict:
                status = 409
                form.data = form.data.copy()
                form.data["version"] = conflict.current.version
                mapping = conflict_fields or {}
                form.conflicts = {
                    mapping.get(name, name): field_display(form, name, conflict.current) for name in conflict.changed_fields
                }
                form.add_error(None, CONFLICT_MESSAGE)
            except access.FieldsNotWritable as refused:
                for name in refused.fields:
                    form.add_error(name if name in form.fields else None, _("Vous ne pouvez pas modifier ce champ."))
            except ValidationError as error:
                _apply_errors(form, error, aliases)
            else:
                messages.success(request, success_message)
                return redirect(success_url)
    return render(request, template, {"form": form, **context}, status=status)


@scoped_object("households.SupportMeasure", action=CHANGE)
def measure_phase(request: HttpRequest, measure) -> HttpResponse:
    """Move a measure to its next phase (or end it), with the dates that phase needs."""
    actor = actor_of(request)
    allowed = selectors.allowed_phases(measure)
    target = request.POST.get("target") or request.GET.get("vers") or (allowed[0] if allowed else "")
    if target not in Phase.values:
        target = allowed[0] if allowed else ""
    household = measure.household
    context = {
        "measure": measure, "household": household, "target": target, "target_label": Phase(target).label if target else "",
        "allowed": [(phase, Phase(phase).label) for phase in allowed], "steps": selectors.phase_steps(measure),
    }
    if not allowed:
        return render(request, "households/file/phase.html", {**context, "form": None})
    form = PhaseForm(request.POST or None, measure=measure, target=target, actor=actor)

    def save(data):
        return services.measure_change_phase(
            actor=actor, measure=measure, target=data["target"], version=data.get("version"),
            on=data.get("on"), intensity=data.get("intensity") or "", outcome=data.get("outcome") or "",
            end_meeting=data.get("end_meeting"), outcome_notes=data.get("outcome_notes"),
            diagnostic_notes=data.get("diagnostic_notes"), watch_until=data.get("watch_until"),
        )

    date_fields = {"diagnostic_on": "on", "contract_signed_on": "on", "ended_on": "on", "phase": "target"}
    return _service_screen(
        request, form, save, template="households/file/phase.html", context=context,
        success_url=_file_url(household.pk, "accompagnement"),
        success_message=_("La mesure est passée en phase « %(phase)s ».") % {"phase": Phase(target).label},
        aliases=date_fields, conflict_fields=date_fields,
    )


@scoped_object("households.SupportMeasure", action=CHANGE)
def mandate_new(request: HttpRequest, measure) -> HttpResponse:
    actor = actor_of(request)
    defaults = services.next_mandate_defaults(measure)
    initial = {"starts_on": defaults["starts_on"], "ends_on": defaults["ends_on"]}
    form = MandateForm(request.POST or None, initial=initial)

    def save(data):
        return services.mandate_renew(
            actor=actor, measure=measure, starts_on=data["starts_on"], ends_on=data["ends_on"], decided_on=data.get("decided_on"),
        )

    title = _("Renouveler le mandat") if defaults["last"] else _("Enregistrer le premier mandat")
    return _service_screen(
        request, form, save, template="households/file/form.html",
        context={
            "household": measure.household, "title": title, "measure": measure,
            "intro": _("Mandat n° %(n)s de la mesure %(kind)s (projet %(project)s).") % {
                "n": defaults["number"], "kind": measure.get_kind_display(), "project": measure.project.number},
            "last_mandate": defaults["last"], "submit_label": _("Enregistrer le mandat"), "anchor": "accompagnement",
        },
        success_url=_file_url(measure.household_id, "accompagnement"),
        success_message=_("Le mandat n° %(n)s a été enregistré.") % {"n": defaults["number"]},
    )


@scoped_object("households.SupportMeasure", action=CHANGE)
def goal_new(request: HttpRequest, measure) -> HttpResponse:
    actor = actor_of(request)
    form = GoalForm(request.POST or None, measure=measure, actor=actor)

    def save(data):
        return services.goal_add(
            actor=actor, measure=measure, domain=data["domain"], title=data["title"], set_on=data["set_on"],
            notes=data.get("notes") or "",
        )

    return _service_screen(
        request, form, save, template="households/file/form.html",
        context={
            "household": measure.household, "measure": measure, "title": _("Ajouter un objectif"),
            "intro": _("Les bilans à 2 mois et à 6 mois sont planifiés automatiquement."),
            "submit_label": _("Ajouter l'objectif"), "anchor": "objectifs",
        },
        success_url=_file_url(measure.household_id, "objectifs"),
        success_message=_("L'objectif a été ajouté, avec ses bilans à 2 et 6 mois."),
    )


@scoped_object("households.SupportGoal", action=CHANGE)
def review_new(request: HttpRequest, goal) -> HttpResponse:
    actor = actor_of(request)
    form = ReviewForm(request.POST or None, goal=goal, actor=actor)

    def save(data):
        return services.goal_review_record(
            actor=actor, goal=goal, milestone=data["milestone"], reviewed_on=data["reviewed_on"],
            progress=data.get("progress"), notes=data.get("notes") or "", goal_status=data["goal_status"],
        )

    household = goal.measure.household
    return _service_screen(
        request, form, save, template="households/file/form.html",
        context={
            "household": household, "title": _("Enregistrer un bilan"),
            "intro": _("Objectif : %(title)s") % {"title": goal.title},
            "submit_label": _("Enregistrer le bilan"), "anchor": "objectifs",
        },
        success_url=_file_url(household.pk, "objectifs"),
        success_message=_("Le bilan a été enregistré."),
    )


@scoped_object("households.Household", action=CHANGE)
def consent_new(request: HttpRequest, household) -> HttpResponse:
    actor = actor_of(request)
    form = ConsentForm(request.POST or None, actor=actor)

    def save(data):
        return services.consent_record(
            actor=actor, household=household, partner=data["partner"], purpose=data["purpose"], given_on=data["given_on"],
        )

    return _service_screen(
        request, form, save, template="households/file/form.html",
        context={
            "household": household, "title": _("Recueillir un consentement"),
            "intro": _("Le ménage accepte que votre organisation partage des informations avec un partenaire, "
                       "pour une finalité précise. Il peut retirer son consentement à tout moment."),
            "submit_label": _("Enregistrer le consentement"), "anchor": "consentements",
        },
        success_url=_file_url(household.pk, "consentements"),
        success_message=_("Le consentement a été enregistré."),
    )


@scoped_object("households.Consent", action=CHANGE)
def consent_withdraw(request: HttpRequest, consent) -> HttpResponse:
    actor = actor_of(request)
    form = ConsentWithdrawForm(request.POST or None, consent=consent)

    def save(data):
        return services.consent_withdraw(
            actor=actor, consent=consent, withdrawn_on=data["withdrawn_on"], version=data.get("version"),
        )

    household = consent.household
    return _service_screen(
        request, form, save, template="households/file/form.html",
        context={
            "household": household, "title": _("Retirer un consentement"),
            "intro": _("%(partner)s — %(purpose)s, recueilli le %(date)s. Le partage cesse dès l'enregistrement du retrait.") % {
                "partner": consent.partner.name, "purpose": consent.get_purpose_display(),
                "date": consent.given_on.strftime("%d/%m/%Y")},
            "submit_label": _("Enregistrer le retrait"), "submit_class": "button--danger", "anchor": "consentements",
        },
        success_url=_file_url(household.pk, "consentements"),
        success_message=_("Le retrait du consentement a été enregistré."),
    )


@scoped_object("households.Household", action=CHANGE)
def person_new(request: HttpRequest, household) -> HttpResponse:
    actor = actor_of(request)
    form = PersonForm(request.POST or None)

    def save(data):
        return services.person_add(
            actor=actor, household=household, role=data["role"], first_name=data["first_name"],
            last_name=data["last_name"], birth_date=data.get("birth_date"), employment=data.get("employment") or "",
        )

    return _service_screen(
        request, form, save, template="households/file/form.html",
        context={
            "household": household, "title": _("Ajouter une personne"),
            "submit_label": _("Ajouter la personne"), "anchor": "composition",
        },
        success_url=_file_url(household.pk, "composition"),
        success_message=_("La personne a été ajoutée au ménage."),
    )

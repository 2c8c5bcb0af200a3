"""The quick contact log (phone first) and the delivery of offline drafts.

- ``/contacts/nouveau/`` (``households:contact_new``): the form. With htmx it
  posts in place and swaps in a confirmation (the URL does not change, so
  Back returns to the page before the form); without JavaScript it posts
  normally and redirects to ``/contacts/<pk>/enregistre/`` (POST/redirect/GET).
- ``/contacts/nouveau/menage/`` (``households:contact_household``): the
  household block of the form (search, or the chosen household and its
  goals), swapped in by htmx.
- ``/menages/recherche/`` (``households:search``): search-as-you-type.
- ``/contacts/brouillons/`` (``households:contact_sync``): drafts kept on the
  phone while offline (``static/js/visit.js``) are posted here; 201 created,
  200 already received (same ``client_uuid``), 400 with field errors, 404
  household not visible, 403 not allowed, 401 signed out.
"""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import access
from core.access import ADD, Actor, actor_of
from core.forms import DateInput
from core.views import scoped_object

from .. import contacts
from ..models import Contact, ContactKind, Household

DURATION_PRESETS = (15, 30, 45, 60, 90)


class GoalIdsField(forms.Field):
    """Ids of goals ticked in the form (checked against the measure by the service)."""

    widget = forms.CheckboxSelectMultiple
    default_error_messages = {"invalid": gettext_lazy("Objectif invalide.")}

    def to_python(self, value):
        if not value:
            return []
        if not isinstance(value, (list, tuple)):
            value = [value]
        try:
            return sorted({int(item) for item in value if str(item).strip()})
        except (TypeError, ValueError):
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class ContactForm(forms.Form):
    """The quick log: the same fields for the form and for an offline draft."""

    household = forms.IntegerField(
        widget=forms.HiddenInput,
        error_messages={"required": gettext_lazy("Choisissez un ménage."), "invalid": gettext_lazy("Choisissez un ménage.")},
    )
    measure = forms.IntegerField(required=False, widget=forms.HiddenInput)
    kind = forms.ChoiceField(
        label=gettext_lazy("Type de contact"),
        choices=ContactKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": gettext_lazy("Choisissez le type de contact."),
            "invalid_choice": gettext_lazy("Choisissez le type de contact."),
        },
    )
    occurred_on = forms.DateField(
        label=gettext_lazy("Date"),
        widget=DateInput,
        error_messages={
            "required": gettext_lazy("Indiquez la date du contact."),
            "invalid": gettext_lazy("Date invalide : utilisez le format jj/mm/aaaa."),
        },
    )
    duration_preset = forms.TypedChoiceField(
        label=gettext_lazy("Durée"),
        choices=[(minutes, f"{minutes} min") for minutes in DURATION_PRESETS],
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": gettext_lazy("Choisissez une durée proposée ou saisissez-la.")},
    )
    duration_other = forms.IntegerField(
        label=gettext_lazy("Autre durée (minutes)"),
        required=False,
        min_value=1,
        max_value=24 * 60,
        error_messages={
            "invalid": gettext_lazy("Saisissez un nombre de minutes."),
            "min_value": gettext_lazy("La durée est d'au moins 1 minute."),
            "max_value": gettext_lazy("La durée ne dépasse pas 1 440 minutes (24 heures)."),
        },
    )
    note = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=contacts.MAX_NOTE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": gettext_lazy("La note est limitée à %(limit_value)d caractères.")},
    )
    goals = GoalIdsField(label=gettext_lazy("Objectifs travaillés"), required=False)
    client_uuid = forms.UUIDField(
        widget=forms.HiddenInput,
        error_messages={"required": gettext_lazy("Identifiant de saisie manquant : rechargez la page."),
                        "invalid": gettext_lazy("Identifiant de saisie invalide : rechargez la page.")},
    )

    def clean(self):
        data = super().clean()
        duration = data.get("duration_other") or data.get("duration_preset")
        if data.get("kind") == ContactKind.NO_SHOW:
            duration = None  # a missed appointment has no duration (the field is hidden then)
        data["duration_minutes"] = duration
        return data


#: Service error keys → form fields.
_FIELD_OF = {"duration_minutes": "duration_other", "measure": "household"}


def _add_errors(form: ContactForm, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            target = _FIELD_OF.get(name, name)
            for message in messages_:
                form.add_error(target if target in form.fields else None, message)
    else:
        for message in error.messages:
            form.add_error(None, message)


def _form_errors(form: ContactForm) -> dict[str, list[str]]:
    errors = {}
    for name, items in form.errors.items():
        errors["__all__" if name == "__all__" else name] = [str(message) for message in items]
    return errors


def _may_log(actor: Actor) -> bool:
    return actor.acts_for_an_organisation and not actor.aggregate_only and access.can(actor, ADD, Contact)


def _detail_url(household_pk: int) -> str:
    try:
        return reverse("households:detail", kwargs={"pk": household_pk})
    except NoReverseMatch:  # the household file lands with another part of the issue
        return ""


def _chosen(actor: Actor, household_pk) -> tuple[Household, list]:
    """The household (404 if invisible, audited) and the measures a contact may go to (403 if none)."""
    household = access.access(actor, Household, household_pk)
    measures = contacts.measures_for_contact(actor, household)
    if not measures:
        raise PermissionDenied(_("Votre organisation n'accompagne pas ce ménage : vous ne pouvez pas y saisir de contact."))
    return household, measures


def _household_context(actor: Actor, household: Household | None, measures=(), *, selected_measure=None,
                       selected_goals=(), query: str = "", results=None, error: str = "") -> dict:
    goal_groups = [(measure, contacts.open_goals(measure)) for measure in measures]
    if selected_measure is None and measures:
        selected_measure = measures[0].pk
    last = None
    if household is not None:
        last = household.contacts.filter(status="done").order_by("-occurred_on").values_list("occurred_on", flat=True).first()
    if household is None and results is None:
        results = contacts.search_households(actor, query) if query.strip() else contacts.recent_households(actor)
    return {
        "household": household,
        "household_last_contact": last,
        "measures": list(measures),
        "selected_measure": selected_measure,
        "goal_groups": goal_groups,
        "has_goals": any(goals for _measure, goals in goal_groups),
        "selected_goals": {int(goal) for goal in selected_goals},
        "query": query,
        "results": results,
        "recent": household is None and not query.strip(),
        "household_error": error,
    }


def _form_context(request, actor: Actor, form: ContactForm, *, household=None, measures=(), **extra) -> dict:
    data = form.data if form.is_bound else {}
    selected_goals = data.getlist("goals") if hasattr(data, "getlist") else form.initial.get("goals", [])
    selected_measure = None
    if hasattr(data, "get") and str(data.get("measure") or "").isdigit():
        selected_measure = int(data.get("measure"))
    try:
        selected_goals = [int(goal) for goal in selected_goals]
    except (TypeError, ValueError):
        selected_goals = []
    context = {
        "form": form,
        "today": timezone.localdate(),
        "duration_presets": DURATION_PRESETS,
        **_household_context(actor, household, measures, selected_measure=selected_measure,
                             selected_goals=selected_goals, **extra),
    }
    context["value"] = {name: form[name].value() for name in form.fields}
    return context


def _render_form(request, actor, form, *, status=200, **kwargs):
    context = _form_context(request, actor, form, **kwargs)
    template = "households/contact_form.html" if request.htmx else "households/contact_new.html"
    return render(request, template, context, status=status)


def _fresh_form(initial: dict | None = None) -> ContactForm:
    return ContactForm(initial={"occurred_on": timezone.localdate(), "client_uuid": uuid.uuid4(), **(initial or {})})


@login_required
def contact_new(request):
    """Log a contact: phone first, saved in place with htmx, POST/redirect/GET without JavaScript."""
    actor = actor_of(request)
    if not _may_log(actor):
        raise PermissionDenied
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "GET":
        household, measures = None, ()
        if request.GET.get("menage"):
            household, measures = _chosen(actor, request.GET["menage"])
        return _render_form(request, actor, _fresh_form(), household=household, measures=measures)

    form = ContactForm(request.POST)
    action = request.POST.get("action", "save")
    household, measures = None, ()
    household_error = ""
    # Household picker without JavaScript: the buttons of the picker post the form back.
    if request.POST.get("choisir"):
        form.data = form.data.copy()
        form.data["household"] = request.POST["choisir"]
    if action == "changer":
        form.data = form.data.copy()
        form.data["household"] = ""
    elif str(form.data.get("household") or "").isdigit():
        try:
            household, measures = _chosen(actor, form.data["household"])
        except Http404:
            household_error = _("Ce ménage est introuvable ou ne vous est pas accessible.")
        except PermissionDenied as refused:
            household_error = str(refused) or _("Vous ne pouvez pas saisir de contact pour ce ménage.")
    if action in ("chercher", "changer") or request.POST.get("choisir"):
        return _render_form(request, actor, form, household=household, measures=measures,
                            query=request.POST.get("q", ""), error=household_error)

    if not form.is_valid() or household is None:
        if household is None and not form.has_error("household"):
            form.add_error("household", household_error or _("Choisissez un ménage."))
        return _render_form(request, actor, form, status=400, household=household, measures=measures)
    measure = _measure_of(form, measures)
    if measure is None:
        return _render_form(request, actor, form, status=400, household=household, measures=measures)
    try:
        contact, created = contacts.contact_log(
            actor=actor,
            measure=measure,
            kind=form.cleaned_data["kind"],
            occurred_on=form.cleaned_data["occurred_on"],
            duration_minutes=form.cleaned_data["duration_minutes"],
            note=form.cleaned_data["note"],
            goals=form.cleaned_data["goals"],
            client_uuid=form.cleaned_data["client_uuid"],
        )
    except access.FieldsNotWritable:
        form.add_error("note", _("Vous n'êtes pas dans l'équipe qui accompagne ce ménage : vous ne pouvez pas écrire de note."))
        return _render_form(request, actor, form, status=400, household=household, measures=measures)
    except PermissionDenied as refused:
        form.add_error(None, str(refused) or _("Vous ne pouvez pas saisir de contact pour ce ménage."))
        return _render_form(request, actor, form, status=403, household=household, measures=measures)
    except ValidationError as error:
        _add_errors(form, error)
        return _render_form(request, actor, form, status=400, household=household, measures=measures)
    if request.htmx:
        return render(request, "households/contact_confirmation.html", _saved_context(contact, created))
    return redirect("households:contact_saved", pk=contact.pk)


def _measure_of(form: ContactForm, measures: list):
    """The measure chosen in the form (the only one, or the one ticked among several)."""
    wanted = form.cleaned_data.get("measure")
    if wanted is None:
        return measures[0]
    for measure in measures:
        if measure.pk == wanted:
            return measure
    form.add_error("household", _("Choisissez l'accompagnement concerné."))
    return None


def _saved_context(contact: Contact, created: bool) -> dict:
    household = contact.household
    return {
        "contact": contact,
        "created": created,
        "household": household,
        "detail_url": _detail_url(household.pk),
        "summary": _summary(contact),
    }


def _summary(contact: Contact) -> str:
    return _("Contact enregistré pour %(household)s — %(date)s, %(kind)s") % {
        "household": contact.household.display_name,
        "date": date_format(contact.occurred_on, "SHORT_DATE_FORMAT"),
        "kind": contact.get_kind_display().lower(),
    }


@scoped_object("households.Contact")
def contact_saved(request, contact):
    """The confirmation after a save without JavaScript (GET: reloading it saves nothing)."""
    return render(request, "households/contact_saved.html", _saved_context(contact, created=True))


@login_required
def contact_household(request):
    """The household block of the form: the picker, or the chosen household with its goals (htmx)."""
    actor = actor_of(request)
    if not _may_log(actor):
        raise PermissionDenied
    household, measures = None, ()
    if request.GET.get("menage"):
        household, measures = _chosen(actor, request.GET["menage"])
    context = _household_context(actor, household, measures, query=request.GET.get("q", ""))
    context["oob"] = True
    return render(request, "households/contact_household.html", context)


@login_required
def household_search(request):
    """Search-as-you-type: the actor's households matching every word, accents ignored."""
    actor = actor_of(request)
    if not _may_log(actor):
        raise PermissionDenied
    query = request.GET.get("q", "")[:100]
    if query.strip():
        results, recent = contacts.search_households(actor, query), False
    else:
        results, recent = contacts.recent_households(actor), True
    return render(request, "households/_search_results.html", {"results": results, "recent": recent, "query": query})


def _json_error(status: int, message: str, errors: dict | None = None) -> JsonResponse:
    body = {"status": "error", "message": message}
    if errors is not None:
        body["errors"] = errors
    return JsonResponse(body, status=status)


def contact_sync(request):
    """Receive one offline draft (form-encoded, the fields of the form); exactly once per ``client_uuid``."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not request.user.is_authenticated:
        return _json_error(401, _("Votre session a expiré : reconnectez-vous pour envoyer ce contact."))
    actor = actor_of(request)
    if not _may_log(actor):
        return _json_error(403, _("Vous ne pouvez pas saisir de contact."))
    form = ContactForm(request.POST)
    if not form.is_valid():
        return _json_error(400, _("Ce contact n'a pas pu être enregistré : corrigez la saisie."), _form_errors(form))
    try:
        existing = contacts.contact_logged(actor, form.cleaned_data["client_uuid"])
    except ValidationError as error:
        return _json_error(400, _("Ce contact n'a pas pu être enregistré : corrigez la saisie."), error.message_dict)
    if existing is not None:
        return _saved_json(existing, created=False)
    try:
        household, measures = _chosen(actor, form.cleaned_data["household"])
    except Http404:
        return _json_error(404, _("Ce ménage est introuvable ou ne vous est pas accessible."))
    except PermissionDenied as refused:
        return _json_error(403, str(refused))
    measure = _measure_of(form, measures)
    if measure is None:
        return _json_error(400, _("Ce contact n'a pas pu être enregistré : corrigez la saisie."), _form_errors(form))
    try:
        contact, created = contacts.contact_log(
            actor=actor,
            measure=measure,
            kind=form.cleaned_data["kind"],
            occurred_on=form.cleaned_data["occurred_on"],
            duration_minutes=form.cleaned_data["duration_minutes"],
            note=form.cleaned_data["note"],
            goals=form.cleaned_data["goals"],
            client_uuid=form.cleaned_data["client_uuid"],
        )
    except access.FieldsNotWritable:
        return _json_error(400, _("Ce contact n'a pas pu être enregistré : corrigez la saisie."), {
            "note": [_("Vous n'êtes pas dans l'équipe qui accompagne ce ménage : vous ne pouvez pas écrire de note.")]
        })
    except PermissionDenied as refused:
        return _json_error(403, str(refused) or _("Vous ne pouvez pas saisir de contact pour ce ménage."))
    except ValidationError as error:
        errors = {}
        for name, messages_ in error.message_dict.items():
            errors.setdefault(_FIELD_OF.get(name, name), []).extend(messages_)
        return _json_error(400, _("Ce contact n'a pas pu être enregistré : corrigez la saisie."), errors)
    return _saved_json(contact, created=created)


def _saved_json(contact: Contact, *, created: bool) -> JsonResponse:
    return JsonResponse(
        {
            "status": "created" if created else "exists",
            "id": contact.pk,
            "client_uuid": str(contact.client_uuid),
            "household": contact.household.display_name,
            "message": _summary(contact),
            "url": _detail_url(contact.household_id),
        },
        status=201 if created else 200,
    )

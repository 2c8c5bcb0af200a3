"""The lease path: attribution steps, the glissement of a bail glissant, lease changes."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access
from core.views import edit_object, scoped_object

from .. import selectors, services
from ..forms import AttributionStepForm, GlissementForm, LeaseForm
from ..models import AttributionStep, Glissement, LeaseKind
from .common import acts_for_a_landlord, add_service_errors, form_page, household_url


@scoped_object("households.Household", action=access.ADD)
def attribution_new(request, household):
    """A step of the access path. The supporting organisation records it for the household;
    the landlord records it on one of its units (the unit is then required)."""
    actor, today = access.actor_of(request), timezone.localdate()
    back = household_url(household.pk)
    supporting = access.can(actor, access.ADD, AttributionStep(household=household))
    # Only a landlord names a unit (its own): the unit and its address are its to write.
    units = selectors.attribution_units(actor, household, today) if acts_for_a_landlord(request) else None
    if not selectors.can_record_attribution(actor, household, today):
        raise PermissionDenied
    kwargs = {"units": units, "unit_required": units is not None and not supporting}
    status = 200
    if request.method == "POST":
        form = AttributionStepForm(request.POST, **kwargs)
        if form.is_valid():
            try:
                services.attribution_step_record(actor=actor, household=household, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            except access.FieldsNotWritable as refused:
                for name in refused.fields:
                    form.add_error(name if name in form.fields else None, _("Vous ne pouvez pas renseigner ce champ."))
            except PermissionDenied:
                form.add_error("unit" if "unit" in form.fields else None, _("Choisissez l'un de vos logements."))
            else:
                messages.success(request, _("Étape d'attribution enregistrée."))
                return redirect(back)
        status = 400
    else:
        form = AttributionStepForm(**kwargs)
    return form_page(
        request, form=form, title=_("Ajouter une étape d'attribution"),
        intro=_("Parcours d'accès au logement de %(household)s.") % {"household": household.display_name},
        back_url=back, submit=_("Enregistrer l'étape"), status=status,
    )


@scoped_object("housing.Lease", action=access.CHANGE)
def glissement_new(request, lease):
    """The CALEOL decided the glissement: the association's lease ends, the household's bail direct starts."""
    actor = access.actor_of(request)
    back = household_url(lease.occupant_id)
    blocked = ""
    if lease.kind != LeaseKind.SLIDING:
        blocked = _("Ce bail n'est pas un bail glissant : il n'y a pas de glissement à enregistrer.")
    elif Glissement.objects.filter(from_lease=lease).exists():
        blocked = _("Le glissement de ce bail est déjà enregistré.")
    status = 200
    if request.method == "POST" and not blocked:
        form = GlissementForm(request.POST, lease=lease)
        if form.is_valid():
            try:
                glissement = services.glissement_record(actor=actor, from_lease=lease, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _(
                    "Glissement enregistré : le bail de l'association prend fin le %(end)s, "
                    "le bail direct du ménage court à partir du %(start)s."
                ) % {"end": f"{glissement.from_lease.ends_on:%d/%m/%Y}", "start": f"{glissement.effective_on:%d/%m/%Y}"})
                return redirect(back)
        status = 400
    else:
        form = GlissementForm(lease=lease)
        status = 400 if request.method == "POST" else 200
    intro = _("%(household)s — %(lease)s, tenu par %(tenant)s.") % {
        "household": lease.occupant.display_name, "lease": lease, "tenant": lease.rent_debtor,
    }
    if lease.planned_glissement_on:
        intro += " " + _("Glissement prévu le %(date)s.") % {"date": f"{lease.planned_glissement_on:%d/%m/%Y}"}
    return form_page(request, form=form, title=_("Enregistrer le glissement du bail"), intro=intro, back_url=back,
                      submit=_("Enregistrer le glissement"), status=status, blocked=blocked)


@scoped_object("housing.Lease", action=access.CHANGE)
def lease_edit(request, lease):
    back = household_url(lease.occupant_id)
    return edit_object(
        request, lease, LeaseForm, template="housing/lease_form.html", success_url=back,
        success_message=_("Bail enregistré."), context={"back_url": back, "title": _("Modifier le bail")},
    )

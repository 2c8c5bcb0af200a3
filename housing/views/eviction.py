"""Eviction-prevention files: open one on a lease, record a step, close it.

Only the staff of the lease's landlord write these files (``housing.access``:
``LeaseChildPolicy``); the supporting association sees them and gets a 403
on these forms. Full-page forms that work without JavaScript; the step form
is also posted by htmx from the household file's panel, which it then
re-renders in place.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from core import access
from core.services import VersionConflict
from core.views import scoped_object

from .. import services
from ..forms import EvictionCaseCloseForm, EvictionCaseOpenForm, EvictionStepForm
from ..models import EvictionCaseStatus, EvictionStepKind
from .common import add_service_errors, form_page, household_url
from .panels import render_eviction


def step_message(step) -> str:
    """« Étape « Commandement de payer » enregistrée. Échéance légale : 06/01/2027 (6 semaines, loi …). »"""
    message = _("Étape « %(kind)s » enregistrée.") % {"kind": step.get_kind_display()}
    if step.deadline_on and step.deadline_rule:
        rule = step.deadline_rule
        message += " " + _("Échéance légale : %(date)s (%(delay)s %(unit)s, %(reference)s).") % {
            "date": f"{step.deadline_on:%d/%m/%Y}", "delay": rule.delay, "unit": rule.get_unit_display(),
            "reference": rule.legal_reference,
        }
    return message


@scoped_object("housing.Lease", action=access.CHANGE)
def case_open(request, lease):
    household = lease.occupant
    back = household_url(household.pk)
    title = _("Ouvrir un dossier de prévention des expulsions")
    intro = _("%(household)s — %(lease)s, bailleur %(lessor)s.") % {"household": household.display_name, "lease": lease, "lessor": lease.lessor}
    already = lease.eviction_cases.filter(status=EvictionCaseStatus.OPEN).exists()
    blocked = _("Un dossier de prévention est déjà ouvert sur ce bail : enregistrez-y les nouvelles étapes.") if already else ""
    status = 200
    if request.method == "POST" and not blocked:
        form = EvictionCaseOpenForm(request.POST)
        if form.is_valid():
            try:
                services.eviction_case_open(actor=access.actor_of(request), lease=lease, **form.cleaned_data)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Dossier de prévention ouvert. Enregistrez maintenant la première étape (impayé constaté)."))
                return redirect(back)
        status = 400
    else:
        form = EvictionCaseOpenForm()
        status = 400 if request.method == "POST" else 200
    return form_page(request, form=form, title=title, intro=intro, back_url=back, submit=_("Ouvrir le dossier"),
                      status=status, blocked=blocked)


@scoped_object("housing.EvictionCase", action=access.CHANGE)
def step_new(request, case):
    """Record a step; its legal deadline is computed by the service and told in the message."""
    household = case.lease.occupant
    back = household_url(household.pk)
    actor = access.actor_of(request)
    blocked = "" if case.status == EvictionCaseStatus.OPEN else _("Ce dossier est clos : ouvrez un nouveau dossier pour enregistrer une étape.")
    auto_id = f"id_case{case.pk}_%s" if request.htmx else "id_%s"
    if request.method != "POST" or blocked:
        form = EvictionStepForm(auto_id=auto_id)
        return _step_page(request, case, form, back, status=400 if request.method == "POST" else 200, blocked=blocked)
    form = EvictionStepForm(request.POST, auto_id=auto_id)
    if form.is_valid():
        try:
            step = services.eviction_step_record(actor=actor, case=case, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            if request.htmx:
                return render_eviction(request, household, notice=step_message(step))
            messages.success(request, step_message(step))
            return redirect(back)
    if request.htmx:
        # htmx swaps 2xx answers only: the panel comes back with the form and its errors.
        return render_eviction(request, household, bound_form=form, bound_case=case.pk)
    return _step_page(request, case, form, back, status=400)


def _step_page(request, case, form, back, *, status, blocked=""):
    household = case.lease.occupant
    return form_page(
        request, form=form, title=_("Enregistrer une étape"),
        intro=_("Dossier de prévention des expulsions de %(household)s, ouvert le %(date)s.") % {
            "household": household.display_name, "date": f"{case.opened_on:%d/%m/%Y}",
        },
        back_url=back, submit=_("Enregistrer l'étape"), status=status, blocked=blocked,
        extra={"step_form": True, "judgment": EvictionStepKind.JUDGMENT},
    )


@scoped_object("housing.EvictionCase", action=access.CHANGE)
def case_close(request, case):
    household = case.lease.occupant
    back = household_url(household.pk)
    title = _("Clore le dossier de prévention")
    intro = _("Dossier de %(household)s ouvert le %(date)s.") % {"household": household.display_name, "date": f"{case.opened_on:%d/%m/%Y}"}
    blocked = "" if case.status == EvictionCaseStatus.OPEN else _("Ce dossier est déjà clos.")
    if request.method == "POST" and not blocked:
        form = EvictionCaseCloseForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.eviction_case_close(
                    actor=access.actor_of(request), case=case, status=data["status"], closed_on=data["closed_on"],
                    arrears_amount=data["arrears_amount"], version=data["version"],
                )
            except VersionConflict:
                form.add_error(None, _("Ce dossier a été modifié entre-temps (nouvelle étape ou clôture) : vérifiez-le avant de le clore."))
                form.data = form.data.copy()
                form.data["version"] = case.__class__.objects.get(pk=case.pk).version
                return form_page(request, form=form, title=title, intro=intro, back_url=back, submit=_("Clore le dossier"), status=409)
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                messages.success(request, _("Dossier clos : %(status)s.") % {"status": EvictionCaseStatus(data["status"]).label})
                return redirect(back)
        status = 400
    else:
        form = EvictionCaseCloseForm(initial={"version": case.version, "arrears_amount": case.arrears_amount})
        status = 400 if request.method == "POST" else 200
    return form_page(request, form=form, title=title, intro=intro, back_url=back, submit=_("Clore le dossier"),
                      status=status, blocked=blocked)

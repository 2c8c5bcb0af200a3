"""The home page of each role, the aggregate pages of national staff and funders, and the report runs.

``reporting`` is the top of the dependency order, so the dispatcher that
sends each role to its home page lives here.
"""

from __future__ import annotations

import datetime
import os

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core import access
from core.access import ADD, PLATFORM_ADMIN, actor_of
from core.forms import DateInput
from core.lists import build_listing
from core.services import VersionConflict
from core.views import scoped_object
from households.views import home as household_homes
from housing.views import home as landlord_homes
from partners import acting
from partners.models import Organisation, OrganisationKind
from projects.models import Funding, FundingDecision, Project

from . import builders, dashboards, services
from .filtersets import DashboardFilterSet, ReportRunFilterSet
from .models import ReportKind, ReportRun, ReportScope, ReportStatus
from .render import CONTENT_TYPES

LANDLORD_KINDS = {OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP}


@login_required
def home(request):
    """Each role lands on its own home page (DESIGN.md §1)."""
    actor = actor_of(request)
    if not actor.acts_for_an_organisation:
        return redirect("partners:account")
    if actor.role == access.PLATFORM_ADMIN:
        return redirect("admin:index")
    if actor.aggregate_only:
        return programme_home(request)
    kind = acting.acting_membership(request).organisation.kind
    if kind in LANDLORD_KINDS or actor.role == access.LANDLORD_ADVISER:
        return landlord_homes.landlord_home(request)
    if actor.role == access.CASEWORKER:
        return household_homes.caseworker_home(request)
    return household_homes.team_home(request)


def programme_home(request):
    """National staff and funders land on the national dashboard."""
    return _dashboard(request, kind="national")


@login_required
def dashboard(request):
    """"Tableau de bord": national for national staff and funders, else the acting organisation's."""
    actor = actor_of(request)
    if not actor.acts_for_an_organisation:
        return redirect("partners:account")
    if actor.role == access.PLATFORM_ADMIN:
        raise Http404
    return _dashboard(request, kind="national" if actor.aggregate_only else "organisation")


@scoped_object("projects.Project")
def project_dashboard(request, project):
    """The dashboard of one project the actor may see (another organisation's project: 404)."""
    return _dashboard(request, kind="project", project=project)


def _dashboard(request, *, kind: str, project: Project | None = None):
    """Figures from the rollup tables (reporting.dashboards), filtered by DashboardFilterSet.

    National staff and funders see every household count through the
    small-count suppression; an organisation sees the households it works on
    as they are (DESIGN.md §3).
    """
    actor = actor_of(request)
    visible = access.visible_to(actor, Project)
    if project is not None:
        visible = visible.filter(pk=project.pk)
    years, default_year = dashboards.years_of(actor, visible)
    data = request.GET.copy()
    if not data.get("year"):
        data["year"] = str(default_year)
    filters = DashboardFilterSet(data, queryset=visible, request=request, years=years)
    status = 200
    if filters.is_valid():
        projects, year = filters.qs, int(filters.form.cleaned_data.get("year") or default_year)
    else:
        projects, year, status = visible, default_year, 400
    if project is not None:
        for name in ("session", "funder", "category"):
            filters.form.fields.pop(name, None)
    scope = dashboards.Scope(
        actor=actor, projects=projects, year=year, own_organisation_id=None if actor.aggregate_only else actor.organisation_id
    )
    figures = dashboards.build(scope)
    if project is not None:
        figures["targets"] = dashboards.target_progress(actor, project, own=figures["own_every_year"])
    if kind == "national":
        title = _("Programme 10 000 logements accompagnés")
    elif kind == "organisation":
        title = _("Tableau de bord — %(organisation)s") % {"organisation": acting.acting_membership(request).organisation}
    else:
        title = _("Tableau de bord du projet %(number)s") % {"number": project.number}
    context = {
        "kind": kind,
        "title": title,
        "project": project,
        "is_funder": actor.role == access.FUNDER,
        "filters": filters,
        "listing": {"is_filtered": any(request.GET.get(name) for name in ("session", "funder", "category", "year"))},
        "clear_url": request.path,
        "d": figures,
    }
    template = "reporting/programme_home.html" if kind == "national" else "reporting/dashboard.html"
    return render(request, template, context, status=status)


# --------------------------------------------------------------------------
# Report runs (issue 8, point 1): list, request form, detail, file, re-launch
# --------------------------------------------------------------------------

RUN_SORTS = {
    "demande": ("created_at",),
    "rapport": ("kind",),
    "perimetre": ("scope",),
    "periode": ("period_start", "period_end"),
    "etat": ("status",),
    "tentatives": ("attempts",),
}
STATUS_BADGES = {
    ReportStatus.PENDING: "badge--info",
    ReportStatus.RUNNING: "badge--warn",
    ReportStatus.SUCCEEDED: "badge--ok",
    ReportStatus.FAILED: "badge--danger",
}
FORMAT_CHOICES = [("pdf", gettext_lazy("PDF")), ("xlsx", gettext_lazy("Excel (XLSX)")), ("csv", gettext_lazy("CSV"))]
DEFAULT_FORMAT = "pdf"
#: Buttons of the request form that fill the period (no script: the form is posted and shown again).
PRESETS = {
    "last_month": gettext_lazy("Mois dernier"),
    "last_year": gettext_lazy("Année dernière"),
    "current_year": gettext_lazy("Année en cours"),
}
#: Polling of a run's status while it is pending or running (seconds).
POLL_SECONDS = 3
#: "Comptes rendus à venir" at the top of the list: how many.
UPCOMING_LIMIT = 8


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return _("%(s)s s") % {"s": seconds}
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return _("%(m)s min %(s)02d s") % {"m": minutes, "s": seconds}
    hours, minutes = divmod(minutes, 60)
    return _("%(h)s h %(m)02d min") % {"h": hours, "m": minutes}


def _decorate(run: ReportRun, now: datetime.datetime, cutoff: datetime.datetime) -> ReportRun:
    """What a person reads of a run: scope label, badge, duration, stale flag (no query)."""
    run.is_stale = run.status == ReportStatus.RUNNING and (run.started_at or run.updated_at) < cutoff
    run.badge = "badge--danger" if run.is_stale else STATUS_BADGES.get(run.status, "")
    run.status_label = _("Bloqué ?") if run.is_stale else run.get_status_display()
    if run.scope == ReportScope.PROJECT and run.project_id:
        run.scope_label = _("Projet %(number)s") % {"number": run.project.number}
        run.scope_detail = run.project.title
    elif run.scope == ReportScope.DEPARTEMENT:
        run.scope_label = _("Département %(code)s") % {"code": run.departement}
        run.scope_detail = ""
    elif run.organisation_id:
        run.scope_label = run.organisation.name
        run.scope_detail = run.get_scope_display()
    else:
        run.scope_label = run.get_scope_display()
        run.scope_detail = ""
    if run.started_at and run.finished_at:
        run.duration = _duration((run.finished_at - run.started_at).total_seconds())
    elif run.started_at and run.status == ReportStatus.RUNNING:
        run.duration = _("depuis %(d)s") % {"d": _duration((now - run.started_at).total_seconds())}
    else:
        run.duration = ""
    run.in_progress = run.status in (ReportStatus.PENDING, ReportStatus.RUNNING) and not run.is_stale
    run.file_name = os.path.basename(run.file.name) if run.file else ""
    run.file_format = os.path.splitext(run.file_name)[1].lstrip(".").upper() if run.file_name else ""
    formats = (run.parameters or {}).get("format")
    run.formats_label = ", ".join(formats) if isinstance(formats, list) else (formats or "")
    return run


def _stale_cutoff(now: datetime.datetime) -> datetime.datetime:
    from .tasks import stale_cutoff

    return stale_cutoff(now)


def upcoming_reports(actor, today: datetime.date) -> list[Funding]:
    """The next comptes rendus expected by a funder on the actor's projects (carriers only)."""
    if actor.aggregate_only:
        return []
    fundings = (
        access.visible_to(actor, Funding)
        .filter(decision=FundingDecision.GRANTED, report_due_on__gte=today)
        .select_related("project", "funder")
        .order_by("report_due_on", "pk")[:UPCOMING_LIMIT]
    )
    result = list(fundings)
    for funding in result:
        days = (funding.report_due_on - today).days
        funding.days_left = days
        funding.badge = "badge--danger" if days <= 1 else "badge--warn" if days <= 7 else "badge--info" if days <= 30 else ""
    return result


@login_required
def runs(request):
    """"Rapports": the runs the actor may see, filterable and sortable, with the comptes rendus to come."""
    actor = actor_of(request)
    if not actor.acts_for_an_organisation:
        return redirect("partners:account")
    queryset = access.visible_to(actor, ReportRun).select_related("project", "organisation")
    listing = build_listing(
        request, queryset, sorts=RUN_SORTS, default_sort="-demande", filterset_class=ReportRunFilterSet
    )
    now = timezone.now()
    cutoff = _stale_cutoff(now)
    listing.page.object_list = [_decorate(run, now, cutoff) for run in listing.page.object_list]
    context = {
        "listing": listing,
        "filters": listing.filterset,
        "can_request": access.can(actor, ADD, ReportRun),
        "upcoming": upcoming_reports(actor, timezone.localdate()),
    }
    status = 400 if listing.filterset.is_bound and not listing.filterset.is_valid() else 200
    return render(request, "reporting/runs.html", context, status=status)


# --------------------------------------------------------------------------
# The request form
# --------------------------------------------------------------------------

LANDLORD_KINDS_ALL = {OrganisationKind.LANDLORD, OrganisationKind.LANDLORD_GROUP}
ORGANISATION_SCOPES = (ReportScope.LANDLORD, ReportScope.ASSOCIATION, ReportScope.FUNDER)


def allowed_scopes(actor, organisation: Organisation | None) -> list[str]:
    """The scopes the actor may ask for (what ``services._check_scope`` accepts), in reading order."""
    if actor.role == PLATFORM_ADMIN:
        return list(ReportScope.values)
    scopes = []
    if actor.role in services.PROGRAMME_ROLES:
        scopes += [ReportScope.NATIONAL, ReportScope.DEPARTEMENT]
    scopes.append(ReportScope.PROJECT)
    if organisation is not None:
        if organisation.kind in LANDLORD_KINDS_ALL:
            scopes.append(ReportScope.LANDLORD)
        elif organisation.kind == OrganisationKind.ASSOCIATION:
            scopes.append(ReportScope.ASSOCIATION)
    return scopes


def period_preset(name: str, today: datetime.date) -> tuple[datetime.date, datetime.date] | None:
    if name == "last_month":
        return services.previous_period(services.MONTHLY, today)
    if name == "last_year":
        return services.previous_period(services.YEARLY, today)
    if name == "current_year":
        return datetime.date(today.year, 1, 1), today
    return None


class ReportRunRequestForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Rapport"))
    scope = forms.ChoiceField(label=gettext_lazy("Périmètre"))
    project = forms.ModelChoiceField(
        label=gettext_lazy("Projet"), queryset=Project.objects.none(), required=False,
        empty_label=gettext_lazy("— choisir un projet —"),
        help_text=gettext_lazy("Pour le périmètre « Projet »."),
    )
    organisation = forms.ModelChoiceField(
        label=gettext_lazy("Organisation"), queryset=Organisation.objects.none(), required=False,
        help_text=gettext_lazy("Pour les périmètres bailleur, association et financeur."),
    )
    departement = forms.CharField(
        label=gettext_lazy("Département"), max_length=3, required=False,
        help_text=gettext_lazy("Code INSEE, par exemple 69, 2A ou 971 ; pour le périmètre « Département »."),
    )
    period_start = forms.DateField(label=gettext_lazy("Début de période"), widget=DateInput)
    period_end = forms.DateField(label=gettext_lazy("Fin de période"), widget=DateInput)
    format = forms.ChoiceField(
        label=gettext_lazy("Format du fichier"), choices=FORMAT_CHOICES, widget=forms.RadioSelect,
        help_text=gettext_lazy("Les indicateurs agrégés sont toujours fournis en CSV."),
    )

    def __init__(self, *args, actor, organisation: Organisation | None, **kwargs):
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.acting_organisation = organisation
        labels = dict(ReportKind.choices)
        self.fields["kind"].choices = [(kind, labels[kind]) for kind in builders.available_kinds()]
        scope_labels = dict(ReportScope.choices)
        self.scopes = allowed_scopes(actor, organisation)
        self.fields["scope"].choices = [(scope, scope_labels[scope]) for scope in self.scopes]
        self.fields["project"].queryset = access.visible_to(actor, Project).order_by("number", "pk")
        if actor.role == PLATFORM_ADMIN:
            self.fields["organisation"].queryset = Organisation.objects.order_by("normalized_name", "pk")
        else:
            # The organisation scopes are the acting organisation's own: nothing to choose.
            del self.fields["organisation"]
        if ReportScope.DEPARTEMENT not in self.scopes:
            del self.fields["departement"]

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == ReportScope.PROJECT and not data.get("project") and "project" not in self.errors:
            self.add_error("project", _("Choisissez le projet du rapport."))
        if scope == ReportScope.DEPARTEMENT and not (data.get("departement") or "").strip():
            self.add_error("departement", _("Indiquez le code du département."))
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("La fin de période doit suivre son début."))
        return data

    def scope_organisation(self) -> Organisation | None:
        if "organisation" in self.fields:
            return self.cleaned_data.get("organisation")
        return self.acting_organisation


#: Service error keys → form fields.
SERVICE_FIELDS = {"parameters": "format", "requested_by": None, "__all__": None}


def _initial(request, actor, today: datetime.date) -> dict:
    start, end = services.previous_period(services.YEARLY, today)
    initial = {"period_start": start, "period_end": end, "format": DEFAULT_FORMAT, "scope": ReportScope.PROJECT}
    if actor.role in services.PROGRAMME_ROLES:
        initial["scope"] = ReportScope.NATIONAL
    kind = request.GET.get("kind")
    if kind in builders.available_kinds():
        initial["kind"] = kind
    project = request.GET.get("project")
    if project and project.isdigit():
        initial.update(scope=ReportScope.PROJECT, project=int(project))
    elif actor.role not in services.PROGRAMME_ROLES:
        only = list(access.visible_to(actor, Project).values_list("pk", flat=True)[:2])
        if len(only) == 1:  # the organisation carries one project: no need to look for it
            initial["project"] = only[0]
    return initial


@login_required
def run_new(request):
    """Request a report run (team leads, organisation admins, national staff, platform admins)."""
    actor = actor_of(request)
    if not access.can(actor, ADD, ReportRun):
        raise PermissionDenied
    organisation = acting.acting_membership(request).organisation
    today = timezone.localdate()
    status = 200
    if request.method == "POST":
        preset = period_preset(request.POST.get("preset", ""), today)
        if preset is not None:
            # A period button: the form comes back with the person's input and the new dates, unchecked.
            initial = {name: request.POST.get(name) for name in ReportRunRequestForm.base_fields}
            initial["period_start"], initial["period_end"] = preset
            form = ReportRunRequestForm(initial=initial, actor=actor, organisation=organisation)
        else:
            form = ReportRunRequestForm(request.POST, actor=actor, organisation=organisation)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    run = services.report_run_request(
                        actor=actor, kind=data["kind"], scope=data["scope"],
                        period_start=data["period_start"], period_end=data["period_end"],
                        organisation=form.scope_organisation(), project=data.get("project"),
                        departement=data.get("departement", ""), parameters={"format": data["format"]},
                    )
                except ValidationError as error:
                    _add_service_errors(form, error)
                else:
                    messages.success(request, _("Rapport demandé : il sera généré dans quelques instants."))
                    return redirect("reporting:run", pk=run.pk)
            status = 400
    else:
        form = ReportRunRequestForm(initial=_initial(request, actor, today), actor=actor, organisation=organisation)
    context = {"form": form, "presets": PRESETS, "organisation": organisation, "shows_organisation": "organisation" in form.fields}
    return render(request, "reporting/run_new.html", context, status=status)


def _add_service_errors(form: forms.Form, error: ValidationError) -> None:
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, messages_ in error.message_dict.items():
        name = SERVICE_FIELDS.get(key, key)
        form.add_error(name if name in form.fields else None, messages_)


# --------------------------------------------------------------------------
# One run: detail, status (htmx), file, re-launch
# --------------------------------------------------------------------------


def _run_context(request, run: ReportRun, **extra) -> dict:
    actor = actor_of(request)
    now = timezone.now()
    _decorate(run, now, _stale_cutoff(now))
    return {
        "run": run,
        "can_relaunch": access.can(actor, ADD, run),
        "poll_seconds": POLL_SECONDS,
        **extra,
    }


@scoped_object("reporting.ReportRun")
def run_detail(request, run):
    """One run: parameters, timings, error, attempts, file; re-launch for a lead."""
    run = ReportRun.objects.select_related("project", "organisation", "requested_by").get(pk=run.pk)
    return render(request, "reporting/run_detail.html", _run_context(request, run))


@scoped_object("reporting.ReportRun")
def run_status(request, run):
    """The status block of a run, polled by htmx while it is pending or running."""
    return render(request, "reporting/run_status.html", _run_context(request, run))


@scoped_object("reporting.ReportRun")
def run_file(request, run):
    """The run's file (access checked by ``scoped_object``), with its content type and name."""
    if not run.file:
        messages.info(request, _("Ce rapport n'a pas encore de fichier."))
        return redirect("reporting:run", pk=run.pk)
    name = os.path.basename(run.file.name)
    extension = os.path.splitext(name)[1].lstrip(".").lower()
    try:
        handle = run.file.open("rb")
    except OSError:
        messages.error(request, _("Le fichier de ce rapport est introuvable : relancez sa génération."))
        return redirect("reporting:run", pk=run.pk)
    return FileResponse(
        handle, as_attachment=True, filename=name, content_type=CONTENT_TYPES.get(extension, "application/octet-stream")
    )


@scoped_object("reporting.ReportRun", action=ADD)
def run_relaunch(request, run):
    """POST: back to pending and enqueued again, if the run did not change since the page was read."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    actor = actor_of(request)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    error = None
    if version is None:
        error = _("Formulaire incomplet : rechargez la page puis relancez le rapport.")
        status = 400
    else:
        try:
            services.report_run_relaunch(actor=actor, run=run, version=version)
        except VersionConflict:
            error = _(
                "Ce rapport a changé entre-temps (sa génération a avancé ou quelqu'un l'a déjà relancé). "
                "Vérifiez son état ci-dessous, puis relancez-le si besoin."
            )
            status = 409
        except ValidationError as refused:
            error = " ".join(refused.messages)
            status = 409
        else:
            messages.success(request, _("Rapport relancé : il sera généré de nouveau dans quelques instants."))
            return redirect("reporting:run", pk=run.pk)
    run = ReportRun.objects.select_related("project", "organisation", "requested_by").get(pk=run.pk)
    template = "reporting/run_status.html" if request.htmx else "reporting/run_detail.html"
    return render(request, template, _run_context(request, run, relaunch_error=error), status=status)

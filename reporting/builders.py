"""Builders of report files, keyed by report kind.

``reporting.tasks.build_report`` looks the run's kind up in :data:`BUILDERS`
and stores what the builder returns. A builder reads the rollup tables only
(``reporting.models``), never the raw visit log. The ``indicators`` kind
writes a CSV of the rollup figures of the run's scope and period; the
``funding`` and ``outcome`` kinds (issue 8, points 2 and 3) are described
in ``reporting.reports`` and rendered to CSV, XLSX or PDF by
``reporting.render`` (end of this module).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, Max, Q, Sum
from django.utils.translation import gettext as _

from core import privacy
from households.models import ContactKind, Outcome
from partners.models import Organisation
from projects.models import BudgetKind, CarrierRole, FunderProgramme, PaymentKind, Project

from .models import (
    HouseholdMonth,
    MeasureFact,
    ProjectTargetProgress,
    ProjectYearBudget,
    ProjectYearFunding,
    ProjectYearPayment,
    ReportKind,
    ReportRun,
    ReportScope,
)


@dataclass(frozen=True)
class BuiltFile:
    name: str
    content: bytes


Builder = Callable[[ReportRun], BuiltFile]

BUILDERS: dict[str, Builder] = {}


def register(kind: str) -> Callable[[Builder], Builder]:
    def decorator(builder: Builder) -> Builder:
        BUILDERS[kind] = builder
        return builder

    return decorator


def builder_for(kind: str) -> Builder:
    try:
        return BUILDERS[kind]
    except KeyError:
        raise LookupError(kind) from None


def available_kinds() -> list[str]:
    return [kind for kind in ReportKind.values if kind in BUILDERS]


# --------------------------------------------------------------------------
# Scope of a run
# --------------------------------------------------------------------------

#: Scopes read outside the organisations that work on the households: small counts suppressed.
SUPPRESSED_SCOPES = {ReportScope.NATIONAL, ReportScope.DEPARTEMENT, ReportScope.FUNDER}


def scope_projects(run: ReportRun):
    """Projects covered by the run's scope."""
    projects = Project.objects.all()
    org = run.organisation_id
    if run.scope == ReportScope.PROJECT:
        return projects.filter(pk=run.project_id)
    if run.scope == ReportScope.LANDLORD:
        return projects.filter(
            Q(lead_landlord_id=org)
            | Q(project_carriers__organisation_id=org, project_carriers__role__in=[CarrierRole.LEAD, CarrierRole.CO_LEAD])
        ).distinct()
    if run.scope == ReportScope.ASSOCIATION:
        return projects.filter(Q(project_carriers__organisation_id=org) | Q(actions__partner_id=org) | Q(measures__organisation_id=org)).distinct()
    if run.scope == ReportScope.FUNDER:
        return projects.filter(fundings__funder_id=org).distinct()
    if run.scope == ReportScope.DEPARTEMENT:
        return projects.filter(departements__contains=[run.departement])
    return projects


def scope_facts(run: ReportRun):
    """Measure facts of the scope: an association's own measures, a département's by the unit's département."""
    facts = MeasureFact.objects.filter(project__in=scope_projects(run).values("pk"))
    if run.scope == ReportScope.ASSOCIATION:
        facts = facts.filter(organisation_id=run.organisation_id)
    elif run.scope == ReportScope.DEPARTEMENT:
        facts = MeasureFact.objects.filter(departement=run.departement)
    return facts


def _years(run: ReportRun) -> list[int]:
    return list(range(run.period_start.year, run.period_end.year + 1))


# --------------------------------------------------------------------------
# The indicators CSV
# --------------------------------------------------------------------------


def _money(value) -> str:
    value = Decimal(value or 0).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",")


def _ratio(numerator, denominator, places: str = "0.01") -> str:
    if not denominator:
        return ""
    value = (Decimal(numerator or 0) / Decimal(denominator)).quantize(Decimal(places), rounding=ROUND_HALF_UP)
    return f"{value}".replace(".", ",")


class _Sheet:
    """Rows of the CSV: section; indicator; detail; value."""

    def __init__(self, suppress: bool):
        self.suppress = suppress
        self.rows: list[list[str]] = []

    def row(self, section: str, label: str, detail: str, value) -> None:
        self.rows.append([section, label, detail, str(value)])

    def count(self, section: str, label: str, value: int, detail: str = "") -> None:
        self.row(section, label, detail, privacy.cell(value, suppress=self.suppress))

    def counts(self, section: str, label: str, items: list[tuple[str, int]]) -> None:
        """A row of household counts with its total: complementary suppression (DESIGN.md §3)."""
        cells, total = privacy.suppress_row([n for _label, n in items], suppress=self.suppress)
        for (detail, _n), cell in zip(items, cells):
            self.row(section, label, detail, cell)
        self.row(section, label, _("Total"), total)

    def render(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
        writer.writerow([_("Rubrique"), _("Indicateur"), _("Détail"), _("Valeur")])
        writer.writerows(self.rows)
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")  # BOM: opens as UTF-8 in a French spreadsheet


def _scope_label(run: ReportRun) -> str:
    if run.scope == ReportScope.PROJECT:
        return str(run.project)
    if run.scope == ReportScope.DEPARTEMENT:
        return run.departement
    if run.organisation_id:
        return str(run.organisation)
    return run.get_scope_display()


@register(ReportKind.INDICATORS)
def indicators_csv(run: ReportRun) -> BuiltFile:
    start, end = run.period_start, run.period_end
    sheet = _Sheet(suppress=run.scope in SUPPRESSED_SCOPES)
    projects = scope_projects(run)
    facts = scope_facts(run)
    years = _years(run)
    general = _("Généralités")
    sheet.row(general, _("Rapport"), "", ReportKind(run.kind).label)
    sheet.row(general, _("Périmètre"), run.get_scope_display(), _scope_label(run))
    sheet.row(general, _("Période"), "", f"{start:%d/%m/%Y} → {end:%d/%m/%Y}")
    computed = facts.aggregate(at=Max("computed_at"))["at"]
    sheet.row(general, _("Agrégats calculés le"), "", f"{computed:%d/%m/%Y %H:%M}" if computed else "—")
    sheet.row(general, _("Projets"), "", projects.count())  # projects are never suppressed

    # Households: supported (active in the period), entered, exited.
    section = _("Ménages")
    active = facts.filter(identified_on__lte=end).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    exited = facts.filter(ended_on__gte=start, ended_on__lte=end)
    figures = active.aggregate(
        supported=Count("household", distinct=True),
        entered=Count("household", distinct=True, filter=Q(identified_on__gte=start)),
        evictions_avoided=Count("household", distinct=True, filter=Q(eviction_avoided=True)),
        evicted=Count("household", distinct=True, filter=Q(evicted=True)),
        with_eviction_case=Count("household", distinct=True, filter=Q(eviction_cases__gt=0)),
    )
    sheet.count(section, _("Ménages accompagnés"), figures["supported"])
    sheet.count(section, _("Ménages entrés"), figures["entered"])
    sheet.count(section, _("Ménages sortis"), exited.aggregate(n=Count("household", distinct=True))["n"])
    sheet.count(section, _("Ménages avec un dossier de prévention des expulsions"), figures["with_eviction_case"])
    sheet.count(section, _("Expulsions évitées"), figures["evictions_avoided"])
    sheet.count(section, _("Expulsions réalisées"), figures["evicted"])

    # Outcomes at exit.
    by_outcome = dict(exited.values_list("outcome").annotate(n=Count("household", distinct=True)))
    sheet.counts(_("Sorties"), _("Issue"), [(label, by_outcome.get(code, 0)) for code, label in Outcome.choices])

    # Durations (days) of the intervals that close in the period.
    section = _("Durées moyennes (jours)")
    for label, field_name, closing in (
        (_("Orientation → diagnostic"), "days_to_diagnostic", "diagnostic_on"),
        (_("Diagnostic → contrat"), "days_to_contract", "contract_signed_on"),
        (_("Contrat → entrée dans les lieux"), "days_to_move_in", "moved_in_on"),
        (_("Entrée dans les lieux → fin"), "days_to_end", "ended_on"),
        (_("Orientation → contrat"), "days_oriented_to_contract", "contract_signed_on"),
        (_("Orientation → entrée dans les lieux"), "days_oriented_to_move_in", "moved_in_on"),
        (_("Orientation → fin"), "days_total", "ended_on"),
    ):
        closed = facts.filter(**{f"{closing}__gte": start, f"{closing}__lte": end, f"{field_name}__isnull": False})
        stats = closed.aggregate(n=Count("id"), avg=Avg(field_name))
        hidden = sheet.suppress and privacy.is_small(stats["n"])
        sheet.row(section, label, _("moyenne"), privacy.SMALL if hidden else _ratio(stats["avg"] or 0, 1, "0.1") if stats["n"] else "—")

    # Situation at entry and at exit (measures ended in the period).
    section = _("Situation à l'entrée et à la sortie")
    rights = exited.aggregate(
        entry_arrears=Avg("entry_arrears"), exit_arrears=Avg("exit_arrears"),
        **{f"{moment}_{right}": Count("household", distinct=True, filter=Q(**{f"{moment}_{right}": True}))
           for moment in ("entry", "exit") for right in ("housing_benefit", "minimum_income", "health_cover", "employed")},
        still_housed=Count("household", distinct=True, filter=Q(still_housed_12m=True)),
        followed_up=Count("household", distinct=True, filter=Q(still_housed_12m__isnull=False)),
    )
    sheet.row(section, _("Dette locative moyenne (€)"), _("à l'entrée"), _money(rights["entry_arrears"]))
    sheet.row(section, _("Dette locative moyenne (€)"), _("à la sortie"), _money(rights["exit_arrears"]))
    for right, label in (
        ("housing_benefit", _("Aide au logement ouverte")), ("minimum_income", _("Minimum social ouvert")),
        ("health_cover", _("Couverture santé ouverte")), ("employed", _("En emploi ou formation")),
    ):
        sheet.count(section, label, rights[f"entry_{right}"], _("à l'entrée"))
        sheet.count(section, label, rights[f"exit_{right}"], _("à la sortie"))
    sheet.count(section, _("Toujours logés 12 mois après la fin"), rights["still_housed"])
    sheet.count(section, _("Ménages revus 12 mois après la fin"), rights["followed_up"])

    # Contacts per household-month, by kind (months of the period).
    section = _("Contacts")
    months = HouseholdMonth.objects.filter(measure__in=facts.values("measure"), month__gte=start.replace(day=1), month__lte=end)
    kinds = list(ContactKind.values)
    totals = months.aggregate(
        household_months=Count("id", filter=Q(supported=True)), contacts=Sum("contacts"), minutes=Sum("minutes"),
        **{kind: Sum(kind) for kind in kinds},
    )
    household_months = totals["household_months"] or 0
    sheet.count(section, _("Mois-ménages d'accompagnement"), household_months)
    sheet.row(section, _("Contacts réalisés"), "", totals["contacts"] or 0)
    sheet.row(section, _("Contacts par mois-ménage"), _("tous types"), _ratio(totals["contacts"], household_months))
    for kind, label in ContactKind.choices:
        sheet.row(section, _("Contacts par mois-ménage"), label, _ratio(totals[kind], household_months))

    # Targets of the project years that overlap the period.
    section = _("Objectifs annuels")
    progress = ProjectTargetProgress.objects.filter(project__in=projects.values("pk"), period_start__lte=end, period_end__gte=start)
    for row in progress.values("project_year").annotate(target=Sum("target_households"), supported=Sum("households_supported")).order_by("project_year"):
        detail = _("année %(n)s du projet") % {"n": row["project_year"]}
        sheet.row(section, _("Objectif (ménages)"), detail, row["target"])
        sheet.count(section, _("Ménages accompagnés"), row["supported"], detail)
        hidden = sheet.suppress and privacy.is_small(row["supported"])
        sheet.row(section, _("Part de l'objectif atteinte (%)"), detail, privacy.SMALL if hidden else _ratio(100 * row["supported"], row["target"], "0.1"))

    # Money: never suppressed (DESIGN.md §3).
    section = _("Budget (années civiles de la période)")
    budget = {
        row["kind"]: row
        for row in ProjectYearBudget.objects.filter(project__in=projects.values("pk"), year__in=years)
        .values("kind").annotate(planned=Sum("planned"), spent=Sum("spent"))
    }
    planned_total = spent_total = Decimal(0)
    for kind, label in BudgetKind.choices:
        planned, spent = budget.get(kind, {}).get("planned") or 0, budget.get(kind, {}).get("spent") or 0
        planned_total += planned
        spent_total += spent
        sheet.row(section, _("Prévu (€)"), label, _money(planned))
        sheet.row(section, _("Dépensé (€)"), label, _money(spent))
    sheet.row(section, _("Prévu (€)"), _("Total"), _money(planned_total))
    sheet.row(section, _("Dépensé (€)"), _("Total"), _money(spent_total))
    sheet.row(section, _("Consommation du budget (%)"), _("Total"), _ratio(100 * spent_total, planned_total, "0.1"))
    if figures["supported"] and not (sheet.suppress and privacy.is_small(figures["supported"])):
        sheet.row(section, _("Coût par ménage accompagné (€)"), _("dépensé"), _money(spent_total / figures["supported"]))

    section = _("Financements (années civiles de la période)")
    fundings = ProjectYearFunding.objects.filter(project__in=projects.values("pk"), year__in=years)
    if run.scope == ReportScope.FUNDER:
        fundings = fundings.filter(funder_id=run.organisation_id)
    rows = list(fundings.values("funder", "programme").annotate(awarded=Sum("awarded"), received=Sum("received")).order_by("funder", "programme"))
    names = dict(Organisation.objects.filter(pk__in=[row["funder"] for row in rows]).values_list("pk", "name"))
    programmes = dict(FunderProgramme.choices)
    for row in rows:
        detail = f"{names.get(row['funder'], '')} — {programmes.get(row['programme'], row['programme'])}"
        sheet.row(section, _("Accordé (€)"), detail, _money(row["awarded"]))
        sheet.row(section, _("Reçu (€)"), detail, _money(row["received"]))

    section = _("Reversements du porteur aux partenaires")
    payments = (
        ProjectYearPayment.objects.filter(project__in=projects.values("pk"), year__in=years, kind=PaymentKind.PARTNER_TRANSFER)
        .values("payee").annotate(amount=Sum("amount"), count=Sum("payments")).order_by("payee")
    )
    payees = dict(Organisation.objects.filter(pk__in=[row["payee"] for row in payments]).values_list("pk", "name"))
    for row in payments:
        sheet.row(section, _("Reversé (€)"), payees.get(row["payee"], ""), _money(row["amount"]))

    name = f"indicateurs-{run.scope}-{start:%Y%m%d}-{end:%Y%m%d}-{run.pk}.csv"
    return BuiltFile(name=name, content=sheet.render())


# --------------------------------------------------------------------------
# The funding and outcome reports (issue 8, points 2 and 3)
# --------------------------------------------------------------------------
# Each describes its report once (``reporting.render.Report``: sections of
# typed cells) in ``reporting.reports``; the run's ``parameters["format"]``
# ("xlsx" by default, "csv", "pdf", or several: one ZIP holding one file
# per format) chooses the renderers.

from . import render as _render  # noqa: E402  (the report modules import the scope helpers above)
from .reports import funding as _funding, outcome as _outcome  # noqa: E402


def _report_builder(describe: Callable[[ReportRun], _render.Report]) -> Builder:
    def build(run: ReportRun) -> BuiltFile:
        formats = _render.requested_formats(run.parameters)  # an unknown format fails before any query
        name, content = _render.render_files(describe(run), formats)
        return BuiltFile(name=name, content=content)

    build.__name__ = build.__qualname__ = f"{describe.__module__.rsplit('.', 1)[-1]}_report"
    build.__doc__ = describe.__doc__
    return build


funding_report = register(ReportKind.FUNDING)(_report_builder(_funding.build_report))
outcome_report = register(ReportKind.OUTCOME)(_report_builder(_outcome.build_report))

from . import catalogue as _catalogue  # noqa: E402,F401  (registers the catalogue builder)

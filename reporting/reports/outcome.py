"""The outcome report (issue 8, point 3): who was oriented, supported and exited, how long it took, what came of it.

Reads the rollups only: ``MeasureFact`` (one row per support measure: its
dimensions, phase dates, durations, situation at entry and exit, eviction
steps; filtered by the run's scope like the indicators CSV), the
orientation rows of ``ProjectYearBreakdown`` (orientations refused or
pending have no measure), ``ProjectTargetProgress`` (targets per project
year) and ``HouseholdMonth`` (contacts per household-month).

Periods: the measure figures use the run's exact period (a measure is
"supported" when it was open on one day of it, "exited" when it ended in
it, a delay counts in the period where it closes); orientations and
targets follow their rollups (calendar years, project years that overlap
the period). Household counts are suppressed for the national,
département and funder scopes (DESIGN.md §3), with complementary cells
wherever a total is shown.
"""

from __future__ import annotations

import datetime
import statistics
from collections import defaultdict
from decimal import Decimal

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from households.models import ContactKind, Outcome, PriorSituation, ReferralSource
from housing.models import EvictionStepKind
from projects.models import Category

from .. import render
from ..models import HouseholdMonth, ProjectTargetProgress, ProjectYearBreakdown
from ..render import blank, money, number, percent, text
from .common import Context, context, new_report, number_key, project_label, suppress_table

FACT_FIELDS = [
    "measure_id", "household_id", "project_id", "category", "referral_source", "referral_decision", "prior_situation", "outcome",
    "oriented_on", "identified_on", "diagnostic_on", "contract_signed_on", "moved_in_on", "ended_on",
    "days_to_diagnostic", "days_to_contract", "days_to_move_in", "days_to_end", "days_total",
    "days_oriented_to_contract", "days_oriented_to_move_in",
    "entry_arrears", "exit_arrears", "entry_housing_benefit", "exit_housing_benefit", "entry_minimum_income", "exit_minimum_income",
    "entry_health_cover", "exit_health_cover", "entry_employed", "exit_employed", "still_housed_12m",
    "eviction_steps", "eviction_cases", "eviction_avoided", "evicted",
]

RIGHTS = ("housing_benefit", "minimum_income", "health_cover", "employed")


def _one_year_before(day: datetime.date) -> datetime.date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def _households(facts) -> int:
    return len({fact["household_id"] for fact in facts})


def build_report(run) -> render.Report:
    from ..builders import scope_facts

    ctx = context(run)
    report = new_report(run, ctx)
    start, end = run.period_start, run.period_end
    follow_up_start, follow_up_end = _one_year_before(start), _one_year_before(end)
    facts = list(
        scope_facts(run).filter(identified_on__lte=end).filter(Q(ended_on__isnull=True) | Q(ended_on__gte=follow_up_start)).values(*FACT_FIELDS)
    )
    active = [f for f in facts if f["ended_on"] is None or f["ended_on"] >= start]
    exited = [f for f in active if f["ended_on"] is not None and f["ended_on"] <= end]
    entered = [f for f in active if f["identified_on"] >= start]
    followed = [f for f in facts if f["ended_on"] is not None and follow_up_start <= f["ended_on"] <= follow_up_end]
    orientations = list(
        ProjectYearBreakdown.objects.filter(project_id__in=ctx.project_ids, year__in=ctx.years, dimension__startswith="oriented_")
        .values("project_id", "dimension", "value").annotate(households=Sum("households"), measures=Sum("measures"))
    )

    _summary(report, ctx, orientations, active, entered, exited)
    _by_source(report, ctx, orientations, active, exited)
    _by_prior_situation(report, ctx, orientations, active, entered, exited)
    _by_category(report, ctx, orientations, active, entered, exited)
    _durations(report, ctx, active, start, end)
    _outcomes(report, ctx, exited)
    _situation(report, ctx, exited)
    _evictions(report, ctx, active)
    _still_housed(report, ctx, followed, follow_up_start, follow_up_end)
    _targets(report, ctx)
    _contacts(report, ctx, run)
    return report


def _oriented(orientations, dimension: str, key=None) -> dict[str, int]:
    """Households oriented per value of ``dimension`` (or per ``key(row)``), summed over the projects and years."""
    sums: dict[str, int] = defaultdict(int)
    for row in orientations:
        if row["dimension"] == dimension:
            sums[key(row) if key else row["value"]] += row["households"]
    return dict(sums)


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------


def _summary(report, ctx: Context, orientations, active, entered, exited) -> None:
    section = report.section(_("Synthèse"), [_("Indicateur"), _("Valeur")], sheet=_("Synthèse"),
                             note=_("Orientations : années civiles de la période ; ménages : période exacte."))
    decisions = [
        (_("dont acceptées"), sum(_oriented(orientations, "oriented_accepted_by").values())),
        (_("dont refusées"), sum(_oriented(orientations, "oriented_refused_by").values())),
        (_("dont en attente de décision"), sum(_oriented(orientations, "oriented_pending_by").values())),
    ]
    cells, total = ctx.project_level().column([n for _label, n in decisions])
    section.add(text(_("Ménages orientés"), bold=True), total)
    for (label, _n), cell in zip(decisions, cells):
        section.add(text(label), cell)
    section.add(text(_("Ménages accompagnés sur la période"), bold=True), ctx.cell(_households(active)))
    section.add(text(_("dont entrés sur la période")), ctx.cell(_households(entered)))
    section.add(text(_("Ménages sortis sur la période")), ctx.cell(_households(exited)))
    section.add(text(_("Projets du périmètre")), render.count(len(ctx.projects)))  # projects are never suppressed


def _by_source(report, ctx: Context, orientations, active, exited) -> None:
    section = report.section(
        _("Ménages par source d'orientation"),
        [_("Orienté par"), _("Acceptés"), _("Refusés"), _("En attente"), _("Orientés"), _("Accompagnés sur la période"), _("Sortis sur la période")],
        sheet=_("Par source"),
    )
    accepted, refused, pending = (_oriented(orientations, f"oriented_{d}_by") for d in ("accepted", "refused", "pending"))
    supported = _group(active, "referral_source")
    out = _group(exited, "referral_source")
    labels = dict(ReferralSource.choices)
    keys = [key for key in ReferralSource.values if any(key in d for d in (accepted, refused, pending, supported, out))]
    if any("" in d for d in (supported, out)):
        keys.append("")
    labels[""] = _("Non renseigné")
    matrix = [[accepted.get(k, 0), refused.get(k, 0), pending.get(k, 0)] for k in keys]
    cells, row_totals, col_totals, grand = suppress_table(matrix, suppress=ctx.project_level().suppress) if keys else ([], [], [], None)
    supported_cells, supported_total = ctx.column([supported.get(k, 0) for k in keys])
    exited_cells, exited_total = ctx.column([out.get(k, 0) for k in keys])
    for i, key in enumerate(keys):
        section.add(text(labels.get(key, key)), *[render.count(c) for c in cells[i]], render.count(row_totals[i]), supported_cells[i], exited_cells[i])
    if keys:
        section.add(
            text(_("Total"), bold=True), *[render.count(c, bold=True) for c in col_totals], render.count(grand, bold=True),
            supported_total, exited_total,
        )


def _group(facts, key: str) -> dict[str, int]:
    households: dict[str, set] = defaultdict(set)
    for fact in facts:
        households[fact[key] or ""].add(fact["household_id"])
    return {value: len(ids) for value, ids in households.items()}


def _columns_section(section, ctx: Context, keys, labels, columns: list[dict[str, int]], extra=None, contexts=None) -> None:
    """Rows of independent household-count columns, each with its total (complementary suppression per column)."""
    contexts = contexts or [ctx] * len(columns)
    suppressed = [c.column([column.get(key, 0) for key in keys]) for c, column in zip(contexts, columns)]
    for i, key in enumerate(keys):
        section.add(text(labels.get(key, key)), *(extra(key) if extra else []), *[cells[i] for cells, _total in suppressed])
    section.add(text(_("Total"), bold=True), *(extra(None) if extra else []), *[total for _cells, total in suppressed])


def _by_prior_situation(report, ctx: Context, orientations, active, entered, exited) -> None:
    section = report.section(
        _("Ménages par situation avant l'entrée"),
        [_("Situation avant l'entrée"), _("Orientés"), _("Accompagnés sur la période"), _("Entrés sur la période"), _("Sortis sur la période")],
        sheet=_("Par situation"),
    )
    columns = [_oriented(orientations, "oriented_prior_situation"), _group(active, "prior_situation"), _group(entered, "prior_situation"),
               _group(exited, "prior_situation")]
    labels = {**dict(PriorSituation.choices), "": _("Non renseignée")}
    keys = [key for key in [*PriorSituation.values, ""] if any(column.get(key) for column in columns)]
    _columns_section(section, ctx, keys, labels, columns, contexts=[ctx.project_level(), ctx, ctx, ctx])


def _by_category(report, ctx: Context, orientations, active, entered, exited) -> None:
    section = report.section(
        _("Ménages par catégorie de projet"),
        [_("Catégorie"), _("Projets"), _("Orientés"), _("Orientations acceptées"), _("Accompagnés sur la période"), _("Entrés sur la période"),
         _("Sortis sur la période")],
        sheet=_("Par catégorie"),
    )
    projects = defaultdict(int)
    category_of = {project.pk: project.category for project in ctx.projects}
    for project in ctx.projects:
        projects[project.category] += 1

    def category(row) -> str:
        return category_of.get(row["project_id"], "")

    columns = [_oriented(orientations, "oriented_by", category), _oriented(orientations, "oriented_accepted_by", category),
               _group(active, "category"), _group(entered, "category"), _group(exited, "category")]
    keys = [key for key in Category.values if projects.get(key) or any(column.get(key) for column in columns)]

    def project_count(key):
        return [render.count(projects.get(key, 0) if key else sum(projects[k] for k in keys), bold=key is None)]

    project_level = ctx.project_level()
    _columns_section(section, ctx, keys, dict(Category.choices), columns, extra=project_count,
                     contexts=[project_level, project_level, ctx, ctx, ctx])


DURATIONS = [
    (gettext_lazy("Orientation → diagnostic"), "days_to_diagnostic", "diagnostic_on"),
    (gettext_lazy("Orientation → contrat d'accompagnement"), "days_oriented_to_contract", "contract_signed_on"),
    (gettext_lazy("Orientation → entrée dans les lieux"), "days_oriented_to_move_in", "moved_in_on"),
    (gettext_lazy("Orientation → fin de l'accompagnement"), "days_total", "ended_on"),
    (gettext_lazy("Diagnostic → contrat"), "days_to_contract", "contract_signed_on"),
    (gettext_lazy("Contrat → entrée dans les lieux"), "days_to_move_in", "moved_in_on"),
    (gettext_lazy("Entrée dans les lieux → fin"), "days_to_end", "ended_on"),
]


def _durations(report, ctx: Context, active, start, end) -> None:
    section = report.section(
        _("Délais du parcours (jours)"), [_("Étape"), _("Mesures"), _("Médiane (jours)"), _("Moyenne (jours)")], sheet=_("Délais"),
        note=_("Délais dont l'étape d'arrivée tombe dans la période ; l'orientation est la date d'orientation, à défaut le repérage."),
    )
    for label, field_name, closing in DURATIONS:
        days = [f[field_name] for f in active if f[field_name] is not None and f[closing] and start <= f[closing] <= end]
        measures = ctx.cell(len(days))
        if measures.hidden:
            section.add(text(str(label)), measures, render.hidden(), render.hidden())
        elif not days:
            section.add(text(str(label)), measures, number(None), number(None))
        else:
            section.add(text(str(label)), measures, number(statistics.median(days)), number(Decimal(sum(days)) / len(days)))


def _outcomes(report, ctx: Context, exited) -> None:
    section = report.section(
        _("Issues à la sortie"), [_("Issue"), _("Ménages sortis"), _("Part (%)")], sheet=_("Issues"),
        note=_("Mesures terminées sur la période."),
    )
    by_outcome = _group(exited, "outcome")
    labels = {**dict(Outcome.choices), "": _("Non renseignée")}
    keys = [*Outcome.values, *([""] if by_outcome.get("") else [])]
    values = [by_outcome.get(key, 0) for key in keys]
    cells, total_cell = ctx.column(values)
    total = sum(values)
    for key, value, shown in zip(keys, values, cells):
        section.add(text(labels[key]), shown, render.hidden(render.PERCENT) if shown.hidden else percent(value, total))
    section.add(text(_("Total"), bold=True), total_cell, render.hidden(render.PERCENT) if total_cell.hidden else percent(total, total, bold=True))


def _situation(report, ctx: Context, exited) -> None:
    section = report.section(
        _("Dette locative et accès aux droits : entrée et sortie"), [_("Indicateur"), _("À l'entrée"), _("À la sortie"), _("Évolution")],
        sheet=_("Entrée et sortie"),
        note=_("Ménages sortis sur la période, d'après les bilans de situation à l'entrée et à la sortie."),
    )
    labels = {
        "housing_benefit": _("Ménages avec une aide au logement"), "minimum_income": _("Ménages avec un minimum social"),
        "health_cover": _("Ménages avec une couverture santé"), "employed": _("Ménages en emploi ou en formation"),
    }

    def households(predicate) -> int:
        return len({f["household_id"] for f in exited if predicate(f)})

    def row(label, entry: int, exit_: int) -> None:
        a, b = ctx.cell(entry), ctx.cell(exit_)
        evolution = render.hidden(render.COUNT) if a.hidden or b.hidden else render.Value(render.COUNT, exit_ - entry)
        section.add(text(label), a, b, evolution)

    row(_("Ménages avec un bilan de situation"), households(lambda f: f["entry_arrears"] is not None), households(lambda f: f["exit_arrears"] is not None))
    row(_("Ménages en dette locative"), households(lambda f: (f["entry_arrears"] or 0) > 0), households(lambda f: (f["exit_arrears"] or 0) > 0))
    entry = [f["entry_arrears"] for f in exited if f["entry_arrears"] is not None]
    exit_ = [f["exit_arrears"] for f in exited if f["exit_arrears"] is not None]
    entry_total, exit_total = sum(entry, Decimal(0)), sum(exit_, Decimal(0))
    section.add(text(_("Dette locative totale (€)")), money(entry_total), money(exit_total), money(exit_total - entry_total))
    entry_avg = entry_total / len(entry) if entry else None
    exit_avg = exit_total / len(exit_) if exit_ else None
    section.add(
        text(_("Dette locative moyenne (€)")), money(entry_avg), money(exit_avg),
        money(exit_avg - entry_avg) if entry_avg is not None and exit_avg is not None else money(None),
    )
    for right in RIGHTS:
        row(labels[right], households(lambda f, r=right: f[f"entry_{r}"] is True), households(lambda f, r=right: f[f"exit_{r}"] is True))


def _evictions(report, ctx: Context, active) -> None:
    section = report.section(
        _("Prévention des expulsions"),
        [_("Étape atteinte pendant l'accompagnement"), _("Ménages"), _("dont expulsion évitée"), _("dont expulsion réalisée")],
        sheet=_("Expulsions"),
        note=_("Mesures ouvertes sur la période ; étapes des dossiers de prévention des baux du ménage pendant l'accompagnement."),
    )

    def households(facts) -> list[render.Value]:
        return [
            ctx.cell(_households(facts)),
            ctx.cell(_households([f for f in facts if f["eviction_avoided"]])),
            ctx.cell(_households([f for f in facts if f["evicted"]])),
        ]

    section.add(text(_("Ménages avec un dossier de prévention"), bold=True), *households([f for f in active if f["eviction_cases"]]))
    for kind, label in EvictionStepKind.choices:
        reached = [f for f in active if kind in (f["eviction_steps"] or [])]
        if reached:
            section.add(text(label), *households(reached))


def _still_housed(report, ctx: Context, followed, since, until) -> None:
    section = report.section(
        _("Toujours dans un logement 12 mois après la fin"), [_("Situation 12 mois après la fin"), _("Ménages"), _("Part des situations connues (%)")],
        sheet=_("Maintien à 12 mois"),
        note=_("Accompagnements terminés du %(start)s au %(end)s (leur douzième mois tombe dans la période).")
        % {"start": f"{since:%d/%m/%Y}", "end": f"{until:%d/%m/%Y}"},
    )
    groups = [
        (_("Toujours logés"), [f for f in followed if f["still_housed_12m"] is True]),
        (_("Plus logés"), [f for f in followed if f["still_housed_12m"] is False]),
        (_("Situation inconnue"), [f for f in followed if f["still_housed_12m"] is None]),
    ]
    values = [_households(facts) for _label, facts in groups]
    cells, total = ctx.column(values)
    known = values[0] + values[1]
    for i, ((label, _facts), cell) in enumerate(zip(groups, cells)):
        if i == 2:
            share = blank()
        elif cells[0].hidden or cells[1].hidden:
            share = render.hidden(render.PERCENT)
        else:
            share = percent(values[i], known)
        section.add(text(label), cell, share)
    section.add(text(_("Total"), bold=True), total, blank())


def _targets(report, ctx: Context) -> None:
    run = ctx.run
    section = report.section(
        _("Atteinte des objectifs annuels"),
        [_("Projet"), _("Année du projet"), _("Du"), _("Au"), _("Objectif (ménages)"), _("Ménages accompagnés"), _("Part de l'objectif (%)"),
         _("Lecture")],
        sheet=_("Objectifs"),
        note=_("Années de projet (à compter du démarrage du projet) qui chevauchent la période ; objectifs jamais masqués."),
    )
    ctx = ctx.project_level()
    rows = list(
        ProjectTargetProgress.objects.filter(project_id__in=ctx.project_ids, period_start__lte=run.period_end, period_end__gte=run.period_start)
        .values("project_id", "project_year", "period_start", "period_end", "target_households", "households_supported")
    )
    projects = {project.pk: project for project in ctx.projects}
    by_year = defaultdict(list)
    for row in rows:
        by_year[row["project_year"]].append(row)
    for year in sorted(by_year):
        group = sorted(by_year[year], key=lambda r: number_key(projects[r["project_id"]]))
        cells, total_cell = ctx.column([row["households_supported"] for row in group])
        for row, cell in zip(group, cells):
            section.add(
                text(project_label(projects[row["project_id"]])), render.year(year), text(f"{row['period_start']:%d/%m/%Y}"),
                text(f"{row['period_end']:%d/%m/%Y}"), render.count(row["target_households"]), cell,
                *_share(row["households_supported"], row["target_households"], year, cell),
            )
        target = sum(row["target_households"] for row in group)
        supported = sum(row["households_supported"] for row in group)
        section.add(
            text(_("Ensemble des projets"), bold=True), render.year(year, bold=True), blank(), blank(), render.count(target, bold=True), total_cell,
            *_share(supported, target, year, total_cell, bold=True),
        )


def _share(supported: int, target: int, year: int, shown: render.Value, *, bold: bool = False) -> list[render.Value]:
    if shown.hidden and supported:
        return [render.hidden(render.PERCENT), text("")]
    value = percent(supported, target, bold=bold)
    if value.hidden:
        return [value, text("")]
    share = f"{value.value.quantize(Decimal(1))}\u00a0%"
    reading = _("%(share)s de l'objectif de l'année %(n)s") % {"share": share, "n": year}
    return [value, text(reading, bold=bold)]


def _contacts(report, ctx: Context, run) -> None:
    from ..builders import scope_facts

    section = report.section(
        _("Contacts par mois-ménage d'accompagnement"), [_("Type de contact"), _("Contacts"), _("Contacts par mois-ménage")],
        sheet=_("Contacts"),
        note=_("Mois de la période ; les rendez-vous non honorés ne comptent pas dans les contacts réalisés."),
    )
    kinds = list(ContactKind.values)
    totals = HouseholdMonth.objects.filter(
        measure_id__in=scope_facts(run).values("measure_id"), month__gte=run.period_start.replace(day=1), month__lte=run.period_end
    ).aggregate(household_months=Count("id", filter=Q(supported=True)), contacts=Sum("contacts"), **{kind: Sum(kind) for kind in kinds})
    months = totals["household_months"] or 0
    months_cell = ctx.cell(months)

    def ratio(value) -> render.Value:
        if months_cell.hidden:
            return render.hidden()
        return number(Decimal(value or 0) / months, "0.01") if months else number(None)

    section.add(text(_("Mois-ménages d'accompagnement"), bold=True), months_cell, blank())
    section.add(text(_("Tous contacts réalisés"), bold=True), render.count(totals["contacts"] or 0, bold=True), ratio(totals["contacts"]))
    for kind, label in ContactKind.choices:
        section.add(text(label), render.count(totals[kind] or 0), ratio(totals[kind]))

"""The funding report (issue 8, point 2): awarded, received and spent, per project, funder and year.

Reads the rollups only: ``ProjectYear`` (money and households per project
and calendar year), ``ProjectYearBudget`` (planned and spent per budget
line kind), ``ProjectYearFunding`` (requested, awarded and received per
funder), ``ProjectYearPayment`` (lead landlord → partner transfers) and
``ProjectYearBreakdown`` (household-months by support intensity, the key
that shares a year's spending between intensities).

The years are the calendar years the run's period touches (the rollups
are per calendar year). Money is never suppressed; household counts are,
for the national, département and funder scopes, and so is a cost per
household whose household count is hidden.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import Organisation, OrganisationKind
from projects.models import BudgetKind, FunderProgramme, PaymentKind

from .. import render
from ..models import ProjectYear, ProjectYearBreakdown, ProjectYearBudget, ProjectYearFunding, ProjectYearPayment, ReportScope
from ..render import blank, count, money, percent, text
from .common import Context, context, new_report, number_key, project_label

ZERO = Decimal(0)

#: Products of the Cerfa 15059 compte rendu financier, by funder kind (line 74 "Subventions d'exploitation").
CERFA_PRODUCT_LINES = {
    OrganisationKind.STATE: gettext_lazy("74 – État"),
    OrganisationKind.DEPARTMENT: gettext_lazy("74 – Département(s)"),
    OrganisationKind.MUNICIPALITY: gettext_lazy("74 – Commune(s), intercommunalité(s)"),
    OrganisationKind.CAF: gettext_lazy("74 – Organismes sociaux"),
    OrganisationKind.CGLLS: gettext_lazy("74 – Autres établissements publics"),
    OrganisationKind.ACTION_LOGEMENT: gettext_lazy("74 – Autres établissements publics"),
}


def _intensity_labels() -> dict[str, str]:
    from households.models import Intensity

    return {**dict(Intensity.choices), "none": _("Non renseignée")}


def build_report(run) -> render.Report:
    ctx = context(run)
    report = new_report(run, ctx)
    ids, years = ctx.project_ids, ctx.years
    projects = {project.pk: project for project in ctx.projects}

    project_years = list(
        ProjectYear.objects.filter(project_id__in=ids, year__in=years).values(
            "project_id", "year", "planned", "spent", "awarded", "received", "paid_to_partners", "households_supported", "household_months"
        )
    )
    # From the start of the projects to the end of the period: the grants awarded before the period and the
    # cumulative figures of the compte rendu financier; the period's rows are those of ``years``.
    budgets_to_date = list(
        ProjectYearBudget.objects.filter(project_id__in=ids, year__lte=years[-1]).values("project_id", "year", "kind", "planned", "spent")
    )
    budgets = [row for row in budgets_to_date if row["year"] in years]
    fundings = list(
        ProjectYearFunding.objects.filter(project_id__in=ids, year__lte=years[-1]).values(
            "project_id", "year", "funder_id", "programme", "requested", "awarded", "received"
        )
    )
    payments = list(
        ProjectYearPayment.objects.filter(project_id__in=ids, year__in=years, kind=PaymentKind.PARTNER_TRANSFER).values(
            "project_id", "year", "payer_id", "payee_id", "amount", "payments"
        )
    )
    intensity_months = list(
        ProjectYearBreakdown.objects.filter(project_id__in=ids, year__in=years, dimension="intensity_months").values(
            "project_id", "year", "value", "households", "value_count"
        )
    )
    org_ids = {row["funder_id"] for row in fundings} | {row["payer_id"] for row in payments} | {row["payee_id"] for row in payments}
    organisations = {org.pk: org for org in Organisation.objects.filter(pk__in=org_ids).only("pk", "name", "kind")}

    def org_name(pk: int) -> str:
        return organisations[pk].name if pk in organisations else "—"

    _summary(report, ctx.project_level(), projects, project_years)
    _year_budget(report, years, project_years)
    _budget_by_kind(report, years, budgets)
    _budget_by_project(report, projects, budgets)
    _fundings(report, ctx, projects, fundings, org_name)
    _co_financing(report, ctx, fundings, organisations, org_name)
    _partner_payments(report, projects, payments, org_name)
    _cost_per_household(report, ctx.project_level(), years, project_years, intensity_months)
    _cerfa(report, ctx, projects, budgets_to_date, fundings, organisations)
    return report


# --------------------------------------------------------------------------
# Sections
# --------------------------------------------------------------------------


def _summary(report, ctx: Context, projects, project_years) -> None:
    section = report.section(
        _("Synthèse par projet et par année"),
        [_("Projet"), _("Année"), _("Budget prévu"), _("Dépensé"), _("Consommation du budget (%)"), _("Accordé (année de décision)"),
         _("Reçu des financeurs"), _("Reversé aux partenaires"), _("Ménages accompagnés"), _("Coût par ménage accompagné")],
        sheet=_("Synthèse"),
        note=_("Le montant accordé compte dans l'année de la décision de financement ; le coût par ménage rapporte les dépenses "
               "de l'année aux ménages accompagnés cette année-là."),
    )
    by_year = defaultdict(list)
    for row in project_years:
        by_year[row["year"]].append(row)
    for year in sorted(by_year):
        rows = sorted(by_year[year], key=lambda r: (number_key(projects[r["project_id"]])))
        cells, total_cell = ctx.column([row["households_supported"] for row in rows])
        for row, households in zip(rows, cells):
            section.add(
                text(project_label(projects[row["project_id"]])), render.year(year), money(row["planned"]), money(row["spent"]),
                percent(row["spent"], row["planned"]), money(row["awarded"]), money(row["received"]), money(row["paid_to_partners"]),
                households, _cost(row["spent"], row["households_supported"], households),
            )
        totals = {key: sum((row[key] for row in rows), ZERO) for key in ("planned", "spent", "awarded", "received", "paid_to_partners")}
        supported = sum(row["households_supported"] for row in rows)
        section.add(
            text(_("Total %(year)s") % {"year": year}, bold=True), render.year(year, bold=True), money(totals["planned"], bold=True),
            money(totals["spent"], bold=True), percent(totals["spent"], totals["planned"], bold=True), money(totals["awarded"], bold=True),
            money(totals["received"], bold=True), money(totals["paid_to_partners"], bold=True), total_cell,
            _cost(totals["spent"], supported, total_cell, bold=True),
        )


def _cost(spent, households: int, shown: render.Value, *, bold: bool = False) -> render.Value:
    """Spending per household; withheld when the household count is (spent / cost would give it back)."""
    if shown.hidden and households:
        return render.hidden(render.MONEY)
    if not households:
        return render.Value(render.MONEY, None, render.MISSING, bold=bold)
    return money(Decimal(spent) / households, bold=bold)


def _year_budget(report, years, project_years) -> None:
    section = report.section(
        _("Consommation du budget de l'année"), [_("Année"), _("Budget prévu"), _("Dépensé"), _("Reste à consommer"), _("Consommation (%)")],
        sheet=_("Consommation"),
    )
    for year in years:
        rows = [row for row in project_years if row["year"] == year]
        planned = sum((row["planned"] for row in rows), ZERO)
        spent = sum((row["spent"] for row in rows), ZERO)
        section.add(render.year(year), money(planned), money(spent), money(planned - spent), percent(spent, planned))


def _kinds() -> list[tuple[str, str]]:
    return list(BudgetKind.choices)


def _budget_by_kind(report, years, budgets) -> None:
    section = report.section(
        _("Prévu et dépensé par poste budgétaire"),
        [_("Année"), _("Poste"), _("Prévu"), _("Dépensé"), _("Consommation (%)"), _("Part des dépenses de l'année (%)")],
        sheet=_("Par poste"),
        note=_("Les financements ne sont pas affectés poste par poste : l'accordé et le reçu figurent par financeur."),
    )
    for year in years:
        rows = [row for row in budgets if row["year"] == year]
        if not rows:
            continue
        planned_total = sum((row["planned"] for row in rows), ZERO)
        spent_total = sum((row["spent"] for row in rows), ZERO)
        for kind, label in _kinds():
            planned = sum((row["planned"] for row in rows if row["kind"] == kind), ZERO)
            spent = sum((row["spent"] for row in rows if row["kind"] == kind), ZERO)
            if kind == BudgetKind.OTHER and not (planned or spent):
                continue
            section.add(render.year(year), text(label), money(planned), money(spent), percent(spent, planned), percent(spent, spent_total))
        section.add(
            render.year(year, bold=True), text(_("Total"), bold=True), money(planned_total, bold=True), money(spent_total, bold=True),
            percent(spent_total, planned_total, bold=True), percent(spent_total, spent_total, bold=True),
        )


def _budget_by_project(report, projects, budgets) -> None:
    section = report.section(
        _("Budget par projet, année et poste"), [_("Projet"), _("Année"), _("Poste"), _("Prévu"), _("Dépensé"), _("Consommation (%)")],
        sheet=_("Budget par projet"),
    )
    labels = dict(BudgetKind.choices)
    order = {kind: i for i, kind in enumerate(BudgetKind.values)}
    for row in sorted(budgets, key=lambda r: (number_key(projects[r["project_id"]]), r["year"], order.get(r["kind"], 99))):
        if not (row["planned"] or row["spent"]):
            continue
        section.add(
            text(project_label(projects[row["project_id"]])), render.year(row["year"]), text(labels.get(row["kind"], row["kind"])),
            money(row["planned"]), money(row["spent"]), percent(row["spent"], row["planned"]),
        )


def _visible_fundings(ctx: Context, fundings):
    """A funder's run lists its own grants (the shares are still computed against every funder of the project)."""
    if ctx.run.scope == ReportScope.FUNDER:
        return [row for row in fundings if row["funder_id"] == ctx.run.organisation_id]
    return fundings


def _sums(rows, key, years=None) -> dict:
    """Awarded and received per ``key(row)``, in ``years`` (the period) or to date."""
    sums: dict = defaultdict(lambda: {"awarded": ZERO, "received": ZERO})
    for row in rows:
        if years is None or row["year"] in years:
            item = sums[key(row)]
            item["awarded"] += row["awarded"]
            item["received"] += row["received"]
    return sums


def _fundings(report, ctx: Context, projects, fundings, org_name) -> None:
    section = report.section(
        _("Financements par projet, financeur et année"),
        [_("Projet"), _("Année"), _("Financeur"), _("Dispositif"), _("Accordé dans l'année"), _("Reçu dans l'année"), _("Accordé (cumul)"),
         _("Reçu (cumul)"), _("Reçu / accordé (%)"), _("Part du cofinancement du projet (%)")],
        sheet=_("Financements"),
        note=_("Cumul : du début du projet à la fin de l'année. L'accordé compte dans l'année de la décision. La part du "
               "cofinancement rapporte l'accordé cumulé du financeur à celui de tous les financeurs du projet."),
    )
    programmes = dict(FunderProgramme.choices)

    def key(row):
        return (row["project_id"], row["funder_id"], row["programme"])

    visible = sorted({key(row) for row in _visible_fundings(ctx, fundings)}, key=lambda k: (number_key(projects[k[0]]), org_name(k[1]), k[2]))
    for year in ctx.years:
        in_year = _sums(fundings, key, [year])
        to_date = _sums([row for row in fundings if row["year"] <= year], key)
        awarded_by_project = defaultdict(Decimal)
        for (project_id, _funder, _programme), item in to_date.items():
            awarded_by_project[project_id] += item["awarded"]
        for grant in visible:
            cumul = to_date.get(grant)
            if cumul is None or not (cumul["awarded"] or cumul["received"]):  # requested or refused only, or not yet
                continue
            project_id, funder_id, programme = grant
            now = in_year.get(grant, {"awarded": ZERO, "received": ZERO})
            section.add(
                text(project_label(projects[project_id])), render.year(year), text(org_name(funder_id)),
                text(programmes.get(programme, programme)), money(now["awarded"]), money(now["received"]), money(cumul["awarded"]),
                money(cumul["received"]), percent(cumul["received"], cumul["awarded"]), percent(cumul["awarded"], awarded_by_project[project_id]),
            )


def _co_financing(report, ctx: Context, fundings, organisations, org_name) -> None:
    section = report.section(
        _("Part de cofinancement par financeur"),
        [_("Financeur"), _("Type"), _("Reçu sur la période"), _("Accordé (cumul)"), _("Reçu (cumul)"), _("Reçu / accordé (%)"),
         _("Part du cofinancement (%)")],
        sheet=_("Cofinancement"),
        note=_("Part de chaque financeur dans l'accordé cumulé de tous les financeurs des projets du périmètre."),
    )
    period = _sums(fundings, lambda row: row["funder_id"], ctx.years)
    to_date = _sums(fundings, lambda row: row["funder_id"])
    total_awarded = sum((item["awarded"] for item in to_date.values()), ZERO)
    total_received = sum((item["received"] for item in to_date.values()), ZERO)
    total_period = sum((item["received"] for item in period.values()), ZERO)
    visible = {row["funder_id"] for row in _visible_fundings(ctx, fundings) if to_date[row["funder_id"]]["awarded"] or to_date[row["funder_id"]]["received"]}
    for funder_id in sorted(visible, key=lambda pk: (-to_date[pk]["awarded"], org_name(pk))):
        item = to_date[funder_id]
        org = organisations.get(funder_id)
        section.add(
            text(org_name(funder_id)), text(org.get_kind_display() if org else ""), money(period[funder_id]["received"]),
            money(item["awarded"]), money(item["received"]), percent(item["received"], item["awarded"]),
            percent(item["awarded"], total_awarded),
        )
    section.add(
        text(_("Tous les financeurs"), bold=True), blank(), money(total_period, bold=True), money(total_awarded, bold=True),
        money(total_received, bold=True), percent(total_received, total_awarded, bold=True), percent(total_awarded, total_awarded, bold=True),
    )


def _partner_payments(report, projects, payments, org_name) -> None:
    section = report.section(
        _("Reversements du bailleur porteur aux partenaires"),
        [_("Projet"), _("Année"), _("Porteur (payeur)"), _("Partenaire (bénéficiaire)"), _("Paiements"), _("Montant reversé")],
        sheet=_("Reversements"),
    )
    total, n = ZERO, 0
    for row in sorted(payments, key=lambda r: (number_key(projects[r["project_id"]]), r["year"], org_name(r["payee_id"]))):
        section.add(
            text(project_label(projects[row["project_id"]])), render.year(row["year"]), text(org_name(row["payer_id"])),
            text(org_name(row["payee_id"])), count(row["payments"]), money(row["amount"]),
        )
        total += row["amount"]
        n += row["payments"]
    section.add(text(_("Total"), bold=True), blank(), blank(), blank(), count(n, bold=True), money(total, bold=True))


def _cost_per_household(report, ctx: Context, years, project_years, intensity_months) -> None:
    """Cost per household and year, overall and by support intensity.

    The year's spending is shared between intensities in proportion to the
    household-months of support of each intensity; the share is divided by
    the households supported at that intensity.
    """
    section = report.section(
        _("Coût par ménage accompagné et par an"),
        [_("Année"), _("Intensité de l'accompagnement"), _("Ménages accompagnés"), _("Mois-ménages d'accompagnement"),
         _("Dépenses affectées"), _("Coût par ménage")],
        sheet=_("Coût par ménage"),
        note=_("Dépenses de l'année réparties entre intensités au prorata des mois-ménages d'accompagnement."),
    )
    labels = _intensity_labels()
    order = ["light", "medium", "intensive", "none"]
    for year in years:
        rows = [row for row in project_years if row["year"] == year]
        spent = sum((row["spent"] for row in rows), ZERO)
        supported = sum(row["households_supported"] for row in rows)
        by_intensity = {key: {"households": 0, "months": 0} for key in order}
        for row in intensity_months:
            if row["year"] == year:
                item = by_intensity.setdefault(row["value"], {"households": 0, "months": 0})
                item["households"] += row["households"]
                item["months"] += row["value_count"]
        months_total = sum(item["months"] for item in by_intensity.values())
        keys = [key for key in order if by_intensity[key]["households"] or key != "none"]
        household_cells, _sum = ctx.column([by_intensity[key]["households"] for key in keys])
        for key, households in zip(keys, household_cells):
            item = by_intensity[key]
            share = spent * item["months"] / months_total if months_total else ZERO
            section.add(
                render.year(year), text(labels.get(key, key)), households, ctx.cell(item["months"]), money(share),
                _cost(share, item["households"], households),
            )
        total_cell = ctx.cell(supported)
        section.add(
            render.year(year, bold=True), text(_("Ensemble"), bold=True), render.Value(total_cell.kind, total_cell.value, total_cell.display, bold=True),
            ctx.cell(months_total), money(spent, bold=True), _cost(spent, supported, total_cell, bold=True),
        )


def _cerfa(report, ctx: Context, projects, budgets, fundings, organisations) -> None:
    """Compte rendu financier of each grant, laid out like Cerfa n° 15059: planned and achieved charges and products.

    From the start of the project to the end of the period (a grant is
    usually decided before the years it pays for). Charges: the project's
    budget lines (planned / spent). Products: every funder's grant to the
    project (awarded / received); the grant reported on is named in the
    block's heading. Listed: the grants awarded by then on which money was
    received or spent in the period. The gaps are computed; their
    explanation is left for the grantee to write.
    """
    section = report.section(
        _("Compte rendu financier de subvention (Cerfa n° 15059)"),
        [_("Rubrique"), _("Intitulé"), _("Prévision"), _("Réalisation"), _("Écart"), _("Écart (%)"), _("Explication des écarts")],
        sheet=_("Compte rendu financier"),
        note=_("Du début du projet à la fin de la période. Prévision : budget prévu et montants accordés ; réalisation : dépenses "
               "et versements reçus. La colonne « Explication des écarts » est à compléter par le bénéficiaire."),
    )
    programmes = dict(FunderProgramme.choices)
    kinds = dict(BudgetKind.choices)
    active = {row["project_id"] for row in budgets if row["year"] in ctx.years and row["spent"]}
    active |= {row["project_id"] for row in fundings if row["year"] in ctx.years and row["received"]}
    awarded = _sums(fundings, lambda row: (row["project_id"], row["funder_id"], row["programme"]))
    grants = sorted(
        {(row["project_id"], row["funder_id"], row["programme"]) for row in _visible_fundings(ctx, fundings)
         if row["project_id"] in active and row["programme"] != FunderProgramme.OWN_FUNDS  # the landlord's own money is no grant
         and awarded[(row["project_id"], row["funder_id"], row["programme"])]["awarded"]},
        key=lambda k: (number_key(projects[k[0]]), organisations[k[1]].name if k[1] in organisations else "", k[2]),
    )
    for project_id, funder_id, programme in grants:
        funder = organisations.get(funder_id)
        section.add(
            text(_("Subvention"), bold=True),
            text(f"{project_label(projects[project_id])} — {funder.name if funder else '—'} ({programmes.get(programme, programme)})", bold=True),
            blank(), blank(), blank(), blank(), blank(),
        )
        charges = defaultdict(lambda: [ZERO, ZERO])
        for row in budgets:
            if row["project_id"] == project_id:
                charges[row["kind"]][0] += row["planned"]
                charges[row["kind"]][1] += row["spent"]
        for kind in BudgetKind.values:
            if kind in charges:
                planned, spent = charges[kind]
                section.add(text(_("Charges directes de l'action")), text(kinds[kind]), *_gap(planned, spent))
        charges_planned = sum((v[0] for v in charges.values()), ZERO)
        charges_spent = sum((v[1] for v in charges.values()), ZERO)
        section.add(text(_("Total des charges"), bold=True), blank(), *_gap(charges_planned, charges_spent, bold=True))
        products = defaultdict(lambda: [ZERO, ZERO])
        for row in fundings:
            if row["project_id"] == project_id:
                products[(row["funder_id"], row["programme"])][0] += row["awarded"]
                products[(row["funder_id"], row["programme"])][1] += row["received"]
        for (other_id, other_programme), (awarded, received) in sorted(
            products.items(), key=lambda item: (organisations[item[0][0]].name if item[0][0] in organisations else "", item[0][1])
        ):
            if not (awarded or received):  # requested or refused: not a product
                continue
            other = organisations.get(other_id)
            if other_programme == FunderProgramme.OWN_FUNDS:
                line = _("Ressources propres affectées à l'action")
            else:
                line = CERFA_PRODUCT_LINES.get(other.kind if other else "", _("74 – Autres subventions et aides"))
            section.add(text(line), text(f"{other.name if other else '—'} ({programmes.get(other_programme, other_programme)})"), *_gap(awarded, received))
        products_planned = sum((v[0] for v in products.values()), ZERO)
        products_received = sum((v[1] for v in products.values()), ZERO)
        section.add(text(_("Total des produits"), bold=True), blank(), *_gap(products_planned, products_received, bold=True))
        section.add(
            text(_("Résultat (produits - charges)")), blank(),
            money(products_planned - charges_planned), money(products_received - charges_spent), blank(), blank(), blank(),
        )
        awarded, received = products[(funder_id, programme)]
        section.add(
            text(_("Part de la subvention dans les produits (%)")), blank(),
            percent(awarded, products_planned), percent(received, products_received), blank(), blank(), blank(),
        )


def _gap(planned, achieved, *, bold: bool = False) -> list[render.Value]:
    """Prévision, réalisation, écart (€), écart (%) and the explanation left blank."""
    return [
        money(planned, bold=bold), money(achieved, bold=bold), money(achieved - planned, bold=bold),
        percent(achieved - planned, planned, bold=bold), text(""),
    ]

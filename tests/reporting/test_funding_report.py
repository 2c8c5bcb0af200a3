"""The funding report (issue 8, point 2): every figure against hand-computed expectations, in CSV, XLSX and PDF.

Fixture (rollup rows written by hand, calendar year 2024 unless said):

- P1 "2.1.2" (lead landlord L1, partner A1): budget 2024 support 20 000 €
  planned / 2 000 € spent, GLA 5 000 / 1 000; 2023 support 10 000 / 8 000
  (outside the period, inside the Cerfa's cumulative figures). Year 2024:
  planned 25 000, spent 3 000, awarded 60 000 + 20 000, received 35 000,
  15 000 € reversed L1 → A1, 32 households supported (light 12 over 30
  household-months, medium 20 over 90). Funders: the State S (FNAVDL,
  awarded 60 000, received 30 000) and the commune C (awarded 20 000,
  received 5 000): co-financing 75 % / 25 %.
- P2 "2.1.11": coordination 10 000 planned / 5 000 spent, 5 households
  (intensity not set, 10 household-months), no funding.

National 2024: households [32, 5] → "masqué", "< 11", total 37; budget
35 000, spent 8 000 (22,9 %); cost per household 8 000 / 37 = 216,22 €.
"""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from core import privacy
from reporting import builders, render
from reporting.models import ReportKind, ReportRun, ReportScope, ReportStatus
from reporting.reports import funding
from reporting.tasks import build_report
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
NBSP = "\u00a0"


@pytest.fixture
def money_world(db):
    state = f.OrganisationFactory(state=True, name="DDETS du Rhône")
    commune = f.OrganisationFactory(kind="municipality", name="Ville de Lyon")
    l1 = f.OrganisationFactory(landlord=True, name="Bailleur Un")
    a1 = f.OrganisationFactory(association=True, name="Association Une")
    p1 = f.ProjectFactory(number="2.1.2", title="Accès un", lead_landlord=l1, category="2.1")
    p2 = f.ProjectFactory(number="2.1.11", title="Accès deux", category="2.1")
    f.FundingFactory(project=p1, funder=state, granted=True)  # the funder scope is read from the projects' fundings
    for kind, year, planned, spent in (("support", 2024, "20000", "2000"), ("gla", 2024, "5000", "1000"), ("support", 2023, "10000", "8000")):
        f.ProjectYearBudgetFactory(project=p1, year=year, kind=kind, planned=Decimal(planned), spent=Decimal(spent))
    f.ProjectYearBudgetFactory(project=p2, year=2024, kind="coordination", planned=Decimal("10000"), spent=Decimal("5000"))
    f.ProjectYearFactory(
        project=p1, year=2024, planned=Decimal("25000"), spent=Decimal("3000"), awarded=Decimal("80000"), received=Decimal("35000"),
        paid_to_partners=Decimal("15000"), households_supported=32, household_months=120,
    )
    f.ProjectYearFactory(project=p1, year=2023, planned=Decimal("10000"), spent=Decimal("8000"), households_supported=9)
    f.ProjectYearFactory(project=p2, year=2024, planned=Decimal("10000"), spent=Decimal("5000"), households_supported=5, household_months=10)
    f.ProjectYearFundingFactory(project=p1, year=2024, funder=state, programme="fnavdl", awarded=Decimal("60000"), received=Decimal("30000"))
    f.ProjectYearFundingFactory(
        project=p1, year=2024, funder=commune, programme="local_authority", requested=Decimal("20000"), awarded=Decimal("20000"),
        received=Decimal("5000"),
    )
    f.ProjectYearPaymentFactory(project=p1, year=2024, payer=l1, payee=a1, amount=Decimal("15000"), payments=1)
    f.ProjectYearPaymentFactory(project=p1, year=2024, kind="grant_instalment", payer=state, payee=l1, amount=Decimal("30000"))
    for project, value, households, months in ((p1, "light", 12, 30), (p1, "medium", 20, 90), (p2, "none", 5, 10)):
        f.ProjectYearBreakdownFactory(project=project, year=2024, dimension="intensity_months", value=value, households=households, value_count=months)
    return {"state": state, "commune": commune, "l1": l1, "a1": a1, "p1": p1, "p2": p2}


def run_of(scope=ReportScope.NATIONAL, fmt="xlsx", **kwargs) -> ReportRun:
    return f.ReportRunFactory(kind=ReportKind.FUNDING, scope=scope, period_start=D(2024, 1, 1), period_end=D(2024, 12, 31),
                              parameters={"format": fmt}, **kwargs)


def sections(report) -> dict[str, list[list[str]]]:
    """Each section's rows as the CSV shows them."""
    return {section.title: [[render.csv_value(cell) for cell in row] for row in section.rows] for section in report.sections}


def find(rows: list[list[str]], *prefix: str) -> list[str]:
    matches = [row for row in rows if row[: len(prefix)] == list(prefix)]
    assert len(matches) == 1, (prefix, rows)
    return matches[0]


def read_csv(content: bytes) -> dict[str, list[list[str]]]:
    """CSV blocks: a title row, a header row, the rows, an empty row."""
    assert content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))
    blocks, i = {}, 0
    while i < len(rows) and rows[i]:  # the heading lines
        i += 1
    while i < len(rows):
        if not rows[i]:
            i += 1
            continue
        title, header, i = rows[i][0], rows[i + 1], i + 2
        body = []
        while i < len(rows) and rows[i]:
            body.append(rows[i])
            i += 1
        blocks[title] = [header, *body]
    return blocks


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def test_national_summary_hides_small_household_counts_with_a_complementary_cell_but_never_money(money_world):
    rows = sections(funding.build_report(run_of()))["Synthèse par projet et par année"]
    # 2.1.2 comes before 2.1.11 (numbers compared as numbers)
    assert [row[0] for row in rows] == ["2.1.2 — Accès un", "2.1.11 — Accès deux", "Total 2024"]
    assert rows[0] == ["2.1.2 — Accès un", "2024", "25000,00", "3000,00", "12,0", "80000,00", "35000,00", "15000,00", "masqué", "masqué"]
    assert rows[1] == ["2.1.11 — Accès deux", "2024", "10000,00", "5000,00", "50,0", "0,00", "0,00", "0,00", "< 11", "masqué"]
    # 8 000 / 35 000 = 22,857 %; 8 000 / 37 = 216,216 €
    assert rows[2] == ["Total 2024", "2024", "35000,00", "8000,00", "22,9", "80000,00", "35000,00", "15000,00", "37", "216,22"]


def test_a_project_report_shows_every_count_and_the_cost_per_household(money_world):
    rows = sections(funding.build_report(run_of(ReportScope.PROJECT, project=money_world["p1"])))["Synthèse par projet et par année"]
    assert rows[0][8:] == ["32", "93,75"]  # 3 000 / 32
    assert rows[-1][8:] == ["32", "93,75"]


def test_budget_by_line_kind_and_the_year_consumption(money_world):
    report = sections(funding.build_report(run_of()))
    by_kind = report["Prévu et dépensé par poste budgétaire"]
    assert find(by_kind, "2024", "Accompagnement") == ["2024", "Accompagnement", "20000,00", "2000,00", "10,0", "25,0"]
    assert find(by_kind, "2024", "Gestion locative adaptée") == ["2024", "Gestion locative adaptée", "5000,00", "1000,00", "20,0", "12,5"]
    assert find(by_kind, "2024", "Coordination et pilotage") == ["2024", "Coordination et pilotage", "10000,00", "5000,00", "50,0", "62,5"]
    assert find(by_kind, "2024", "Évaluation") == ["2024", "Évaluation", "0,00", "0,00", "—", "0,0"]
    assert find(by_kind, "2024", "Total") == ["2024", "Total", "35000,00", "8000,00", "22,9", "100,0"]
    assert [row[1] for row in by_kind] == [
        "Accompagnement", "Gestion locative adaptée", "Coordination et pilotage", "Évaluation", "Minoration de loyer", "Investissement", "Total"]
    assert report["Consommation du budget de l'année"] == [["2024", "35000,00", "8000,00", "27000,00", "22,9"]]
    by_project = report["Budget par projet, année et poste"]
    assert [row[:3] for row in by_project] == [
        ["2.1.2 — Accès un", "2024", "Accompagnement"], ["2.1.2 — Accès un", "2024", "Gestion locative adaptée"],
        ["2.1.11 — Accès deux", "2024", "Coordination et pilotage"]]


def test_awarded_received_and_co_financing_shares(money_world):
    report = sections(funding.build_report(run_of()))
    grants = report["Financements par projet, financeur et année"]
    assert find(grants, "2.1.2 — Accès un", "2024", "DDETS du Rhône") == [
        "2.1.2 — Accès un", "2024", "DDETS du Rhône", "FNAVDL / AVDL", "60000,00", "30000,00", "60000,00", "30000,00", "50,0", "75,0"]
    assert find(grants, "2.1.2 — Accès un", "2024", "Ville de Lyon") == [
        "2.1.2 — Accès un", "2024", "Ville de Lyon", "Collectivité territoriale", "20000,00", "5000,00", "20000,00", "5000,00", "25,0", "25,0"]
    shares = report["Part de cofinancement par financeur"]
    assert [row[0] for row in shares] == ["DDETS du Rhône", "Ville de Lyon", "Tous les financeurs"]
    assert shares[0][2:] == ["30000,00", "60000,00", "30000,00", "50,0", "75,0"]
    assert shares[-1][2:] == ["35000,00", "80000,00", "35000,00", "43,8", "100,0"]  # 35 000 / 80 000 = 43,75 %


def test_lead_landlord_to_partner_payments(money_world):
    rows = sections(funding.build_report(run_of()))["Reversements du bailleur porteur aux partenaires"]
    assert rows == [["2.1.2 — Accès un", "2024", "Bailleur Un", "Association Une", "1", "15000,00"], ["Total", "", "", "", "1", "15000,00"]]


def test_cost_per_household_by_support_intensity(money_world):
    # Project P1: 3 000 € shared by household-months: light 30/120 → 750 € / 12 = 62,50; medium 2 250 € / 20 = 112,50.
    rows = sections(funding.build_report(run_of(ReportScope.PROJECT, project=money_world["p1"])))["Coût par ménage accompagné et par an"]
    assert rows == [
        ["2024", "Léger", "12", "30", "750,00", "62,50"],
        ["2024", "Moyen", "20", "90", "2250,00", "112,50"],
        ["2024", "Renforcé", "0", "0", "0,00", "—"],
        ["2024", "Ensemble", "32", "120", "3000,00", "93,75"],
    ]
    # National: 8 000 € over 130 months; P2's 5 households (intensity not set) are small, so the smallest other (12) is masked too.
    rows = sections(funding.build_report(run_of()))["Coût par ménage accompagné et par an"]
    assert rows == [
        ["2024", "Léger", "masqué", "30", "1846,15", "masqué"],
        ["2024", "Moyen", "20", "90", "5538,46", "276,92"],  # 8 000 × 90 / 130 / 20
        ["2024", "Renforcé", "0", "0", "0,00", "—"],
        ["2024", "Non renseignée", "< 11", "< 11", "615,38", "masqué"],
        ["2024", "Ensemble", "37", "130", "8000,00", "216,22"],
    ]


def test_the_compte_rendu_financier_of_each_grant_is_cumulative_to_the_end_of_the_period(money_world):
    rows = sections(funding.build_report(run_of()))["Compte rendu financier de subvention (Cerfa n° 15059)"]
    headings = [row[1] for row in rows if row[0] == "Subvention"]
    assert headings == ["2.1.2 — Accès un — DDETS du Rhône (FNAVDL / AVDL)", "2.1.2 — Accès un — Ville de Lyon (Collectivité territoriale)"]
    block = rows[: rows.index(find(rows, "Subvention", headings[1]))]
    # Charges since the start of the project: support 20 000 + 10 000 planned, 2 000 + 8 000 spent.
    assert find(block, "Charges directes de l'action", "Accompagnement") == [
        "Charges directes de l'action", "Accompagnement", "30000,00", "10000,00", "-20000,00", "-66,7", ""]
    assert find(block, "Total des charges") == ["Total des charges", "", "35000,00", "11000,00", "-24000,00", "-68,6", ""]
    assert find(block, "74 – État") == ["74 – État", "DDETS du Rhône (FNAVDL / AVDL)", "60000,00", "30000,00", "-30000,00", "-50,0", ""]
    assert find(block, "74 – Commune(s), intercommunalité(s)")[2:4] == ["20000,00", "5000,00"]
    assert find(block, "Total des produits")[2:4] == ["80000,00", "35000,00"]
    assert find(block, "Résultat (produits - charges)")[2:4] == ["45000,00", "24000,00"]
    assert find(block, "Part de la subvention dans les produits (%)")[2:4] == ["75,0", "85,7"]
    # The explanation of the gaps is left blank for the grantee.
    assert all(row[6] == "" for row in block)


def test_a_funder_sees_its_own_grants_with_its_share_of_the_whole_and_suppressed_counts(money_world):
    report = sections(funding.build_report(run_of(ReportScope.FUNDER, organisation=money_world["state"])))
    assert [row[2] for row in report["Financements par projet, financeur et année"]] == ["DDETS du Rhône"]
    assert report["Financements par projet, financeur et année"][0][-1] == "75,0"
    assert [row[1] for row in report["Compte rendu financier de subvention (Cerfa n° 15059)"] if row[0] == "Subvention"] == [
        "2.1.2 — Accès un — DDETS du Rhône (FNAVDL / AVDL)"]
    # Only P1 is funded by the State: its 32 households are shown (more than 10).
    assert [row[0] for row in report["Synthèse par projet et par année"]] == ["2.1.2 — Accès un", "Total 2024"]
    assert report["Synthèse par projet et par année"][0][8] == "32"


def test_the_period_years_only(money_world):
    run = f.ReportRunFactory(kind=ReportKind.FUNDING, scope=ReportScope.NATIONAL, period_start=D(2023, 1, 1), period_end=D(2023, 12, 31))
    report = sections(funding.build_report(run))
    assert report["Synthèse par projet et par année"][0] == [
        "2.1.2 — Accès un", "2023", "10000,00", "8000,00", "80,0", "0,00", "0,00", "0,00", "< 11", "masqué"]
    assert report["Financements par projet, financeur et année"] == []  # the grants were decided in 2024


# --------------------------------------------------------------------------
# Files, through the Celery task
# --------------------------------------------------------------------------


def stored(run: ReportRun) -> bytes:
    run.refresh_from_db()
    assert run.status == ReportStatus.SUCCEEDED, run.error
    with run.file.open("rb") as handle:
        return handle.read()


def test_xlsx_through_the_task_one_sheet_per_section_with_number_formats(money_world, media):
    run = run_of(fmt="xlsx")
    assert build_report.apply(args=[run.pk]).get().endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(stored(run)))
    assert workbook.sheetnames[:4] == ["Rapport", "Synthèse", "Consommation", "Par poste"]
    assert "Compte rendu financier" in workbook.sheetnames
    cover = workbook["Rapport"]
    assert (cover["A1"].value, cover["B3"].value, cover["B4"].value) == ("Rapport financier", "National (tout le programme)", "du 01/01/2024 au 31/12/2024")
    sheet = workbook["Synthèse"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].value == "Projet" and sheet["A1"].font.b
    assert (sheet["C2"].value, sheet["C2"].number_format) == (25000, '#,##0.00\\ "€"')
    assert (sheet["E2"].value, sheet["E2"].number_format) == (pytest.approx(0.12), "0.0\\ %")
    assert (sheet["I2"].value, sheet["I3"].value, sheet["I4"].value) == ("masqué", "< 11", 37)
    assert sheet["J4"].value == pytest.approx(216.22) and sheet["J4"].font.b
    shares = workbook["Cofinancement"]
    assert (shares["A2"].value, shares["G2"].value) == ("DDETS du Rhône", pytest.approx(0.75))


def test_pdf_through_the_task_has_title_scope_figures_and_page_numbers(money_world, media):
    run = run_of(fmt="pdf")
    assert build_report.apply(args=[run.pk]).get().endswith(".pdf")
    reader = PdfReader(io.BytesIO(stored(run)))
    first = reader.pages[0].extract_text().replace(NBSP, " ").replace("\u202f", " ")
    assert "Rapport financier" in first
    assert "National (tout le programme)" in first and "du 01/01/2024 au 31/12/2024" in first
    assert "216,22 €" in first and "22,9 %" in first
    assert f"Page 1 / {len(reader.pages)}" in first
    text = "".join(page.extract_text() for page in reader.pages)
    assert "Compte rendu financier de subvention (Cerfa n° 15059)" in text
    box = reader.pages[0].mediabox
    assert sorted([round(box.width), round(box.height)]) == [595, 842]  # A4 (landscape when a table is too wide for portrait)


def test_csv_and_several_formats_in_one_zip(money_world, media):
    run = run_of(fmt="csv,xlsx,pdf")
    name = build_report.apply(args=[run.pk]).get()
    assert name.endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(stored(run)))
    names = archive.namelist()
    assert sorted(n.rsplit(".", 1)[1] for n in names) == ["csv", "pdf", "xlsx"]
    blocks = read_csv(archive.read(next(n for n in names if n.endswith(".csv"))))
    summary = blocks["Synthèse par projet et par année"]
    assert summary[0][:3] == ["Projet", "Année", "Budget prévu"]
    assert summary[-2][-2:] == ["37", "216,22"]
    assert summary[-1][0].startswith("Le montant accordé compte dans l'année de la décision")  # the section's note


def test_an_unknown_format_fails_with_a_french_error(money_world, media, settings):
    run = run_of(fmt="docx")
    with pytest.raises(ValueError, match="Format de fichier inconnu"):
        builders.builder_for(ReportKind.FUNDING)(run)


def test_requested_formats():
    assert render.requested_formats({}) == ["xlsx"]
    assert render.requested_formats({"format": "PDF"}) == ["pdf"]
    assert render.requested_formats({"format": ["csv", "pdf", "csv"]}) == ["csv", "pdf"]
    assert render.requested_formats({"format": "csv, xlsx"}) == ["csv", "xlsx"]


def test_funding_and_outcome_kinds_are_available_to_requests():
    assert {ReportKind.FUNDING, ReportKind.OUTCOME} <= set(builders.available_kinds())


def test_hidden_counts_stay_hidden_in_every_renderer():
    report = render.Report(title="T", scope="S", period="P", generated_at=datetime.datetime(2024, 1, 1, 12, 0))
    section = report.section("Ménages", ["Libellé", "Ménages"])
    section.add(render.text("a"), render.count(privacy.Cell(value=None, display=privacy.SMALL, suppressed=True)))
    section.add(render.text("b"), render.count(1234))
    assert read_csv(render.render_csv(report))["Ménages"] == [["Libellé", "Ménages"], ["a", "< 11"], ["b", "1234"]]
    sheet = load_workbook(io.BytesIO(render.render_xlsx(report)))["Ménages"]
    assert (sheet["B2"].value, sheet["B3"].value) == ("< 11", 1234)
    text = PdfReader(io.BytesIO(render.render_pdf(report))).pages[0].extract_text().replace(NBSP, " ")
    assert "< 11" in text and "1 234" in text and "Page 1 / 1" in text


def test_the_query_count_does_not_grow_with_the_rows(money_world, django_assert_num_queries):
    run = run_of()
    # projects, project-years, budgets, fundings, partner payments, household-months by intensity, organisation names
    with django_assert_num_queries(7):
        funding.build_report(run)


def test_a_two_year_period_shows_each_year_with_the_cumulative_grant(money_world):
    f.ProjectYearFundingFactory(project=money_world["p1"], year=2025, funder=money_world["state"], programme="fnavdl",
                                requested=0, awarded=0, received=Decimal("10000"))
    run = f.ReportRunFactory(kind=ReportKind.FUNDING, scope=ReportScope.NATIONAL, period_start=D(2024, 1, 1), period_end=D(2025, 12, 31))
    rows = [row for row in sections(funding.build_report(run))["Financements par projet, financeur et année"] if row[2] == "DDETS du Rhône"]
    assert [row[1:] for row in rows] == [
        ["2024", "DDETS du Rhône", "FNAVDL / AVDL", "60000,00", "30000,00", "60000,00", "30000,00", "50,0", "75,0"],
        ["2025", "DDETS du Rhône", "FNAVDL / AVDL", "0,00", "10000,00", "60000,00", "40000,00", "66,7", "75,0"],
    ]


def test_the_landlord_own_funds_are_a_product_of_the_compte_rendu_not_a_grant(money_world):
    f.ProjectYearFundingFactory(project=money_world["p1"], year=2024, funder=money_world["l1"], programme="own_funds",
                                requested=0, awarded=Decimal("10000"), received=0)
    rows = sections(funding.build_report(run_of()))["Compte rendu financier de subvention (Cerfa n° 15059)"]
    assert [row[1] for row in rows if row[0] == "Subvention"] == [
        "2.1.2 — Accès un — DDETS du Rhône (FNAVDL / AVDL)", "2.1.2 — Accès un — Ville de Lyon (Collectivité territoriale)"]
    own = [row for row in rows if row[0] == "Ressources propres affectées à l'action"]
    assert own[0][1:4] == ["Bailleur Un (Fonds propres du bailleur)", "10000,00", "0,00"]
    assert find(rows[: len(rows) // 2], "Part de la subvention dans les produits (%)")[2:4] == ["66,7", "85,7"]  # 60 000 / 90 000


def test_a_long_table_splits_across_pages_and_repeats_its_header():
    report = render.Report(title="Rapport long", scope="National", period="2024", generated_at=datetime.datetime(2024, 1, 1, 12, 0))
    section = report.section("Beaucoup de lignes", ["Libellé de la ligne", "Montant"])
    for i in range(150):
        section.add(render.text(f"Ligne {i}"), render.money(Decimal(i) * 1000))
    reader = PdfReader(io.BytesIO(render.render_pdf(report)))
    assert len(reader.pages) >= 3
    for n, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "Libellé de la ligne" in text  # the header row, repeated on every page
        assert f"Page {n} / {len(reader.pages)}" in text
    assert "149 000,00 €" in reader.pages[-1].extract_text().replace(NBSP, " ")

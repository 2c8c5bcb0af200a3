"""The outcome report (issue 8, point 3): every figure against hand-computed expectations, in CSV, XLSX and PDF.

Two fixtures:

- ``caseload`` (tests/reporting/conftest.py), rollups rebuilt from the raw
  rows, read at the project's scope (no suppression) over 01/12/2023 –
  31/12/2024: H1 oriented by the SIAO on 05/12/2023, supported all 2024,
  ended "maintenu" on 16/12/2024 (H2 starts in 2025: outside);
- ``programme``: measure facts written by hand, read nationally over 2024
  (small counts suppressed, with complementary cells): project 2.1.1 with
  15 households oriented by the SIAO, all ended in 2024 (12 "relogé en
  bail direct", 3 "maintenu"), diagnostic 10 days after the orientation
  for 12 of them and 40 days for 3 (median 10, mean 16); project 2.1.5
  (category 2.2) with 4 households oriented by the CCAPEX, still open;
  orientations 2024: SIAO 15 accepted and 3 refused, CCAPEX 4 accepted;
  year-1 targets 20 (19 supported) and 10 (5 supported).
"""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from reporting import rollups, services
from reporting.models import MeasureFact, ReportKind, ReportRun, ReportScope
from reporting.reports import outcome
from reporting.reports.common import suppress_table
from reporting.tasks import build_report
from tests import factories as f
from tests.reporting.conftest import NOW
from tests.reporting.test_funding_report import NBSP, find, read_csv, sections, stored

pytestmark = pytest.mark.django_db

D = datetime.date
ARROW = "→"


def caseload_run(caseload, fmt="csv") -> ReportRun:
    rollups.rebuild(now=NOW)
    return f.ReportRunFactory(
        kind=ReportKind.OUTCOME, scope=ReportScope.PROJECT, project=caseload["project"], period_start=D(2023, 12, 1),
        period_end=D(2024, 12, 31), parameters={"format": fmt},
    )


# --------------------------------------------------------------------------
# One household, every figure (project scope, rollups rebuilt from raw rows)
# --------------------------------------------------------------------------


def test_the_csv_of_a_project_holds_every_figure_of_the_caseload(caseload, media):
    run = caseload_run(caseload)
    assert build_report.apply(args=[run.pk]).get().endswith(".csv")
    blocks = read_csv(stored(run))
    summary = blocks["Synthèse"][1:]
    assert summary[:8] == [
        ["Ménages orientés", "1"], ["dont acceptées", "1"], ["dont refusées", "0"], ["dont en attente de décision", "0"],
        ["Ménages accompagnés sur la période", "1"], ["dont entrés sur la période", "1"], ["Ménages sortis sur la période", "1"],
        ["Projets du périmètre", "1"],
    ]
    assert find(blocks["Ménages par source d'orientation"], "SIAO") == ["SIAO", "1", "0", "0", "1", "1", "1"]
    assert find(blocks["Ménages par situation avant l'entrée"], "Hébergé chez un tiers")[2:] == ["1", "1", "1"]
    assert find(blocks["Ménages par catégorie de projet"], "2.3 — Accès et maintien") == ["2.3 — Accès et maintien", "1", "1", "1", "1", "1", "1"]
    # 05/12/2023 → 01/02/2024 → 15/02/2024 → 01/03/2024 → 16/12/2024
    durations = blocks["Délais du parcours (jours)"]
    assert find(durations, f"Orientation {ARROW} diagnostic") == [f"Orientation {ARROW} diagnostic", "1", "58,0", "58,0"]
    assert find(durations, f"Orientation {ARROW} contrat d'accompagnement")[2:] == ["72,0", "72,0"]
    assert find(durations, f"Orientation {ARROW} entrée dans les lieux")[2:] == ["87,0", "87,0"]
    assert find(durations, f"Orientation {ARROW} fin de l'accompagnement")[2:] == ["377,0", "377,0"]
    assert find(durations, f"Diagnostic {ARROW} contrat")[2:] == ["14,0", "14,0"]
    assert find(durations, f"Contrat {ARROW} entrée dans les lieux")[2:] == ["15,0", "15,0"]
    assert find(durations, f"Entrée dans les lieux {ARROW} fin")[2:] == ["290,0", "290,0"]
    outcomes = blocks["Issues à la sortie"]
    assert find(outcomes, "Maintenu dans le logement") == ["Maintenu dans le logement", "1", "100,0"]
    assert find(outcomes, "Relogé en bail direct") == ["Relogé en bail direct", "0", "0,0"]
    assert find(outcomes, "Total") == ["Total", "1", "100,0"]
    situation = blocks["Dette locative et accès aux droits : entrée et sortie"]
    assert find(situation, "Ménages en dette locative") == ["Ménages en dette locative", "1", "0", "-1"]
    assert find(situation, "Dette locative totale (€)") == ["Dette locative totale (€)", "640,00", "0,00", "-640,00"]
    assert find(situation, "Dette locative moyenne (€)") == ["Dette locative moyenne (€)", "640,00", "0,00", "-640,00"]
    assert find(situation, "Ménages avec une aide au logement") == ["Ménages avec une aide au logement", "0", "1", "1"]
    # The judgment of 18/03/2025 came after the end of the support: not reached during it.
    evictions = blocks["Prévention des expulsions"]
    assert [row[0] for row in evictions[1:-1]] == ["Ménages avec un dossier de prévention", "Impayé de loyer constaté", "Commandement de payer"]
    assert find(evictions, "Commandement de payer") == ["Commandement de payer", "1", "1", "0"]
    # Year 1 of the project: 01/01/2024 – 31/12/2024, target 10, one household supported.
    targets = blocks["Atteinte des objectifs annuels"]
    assert targets[1] == [f"{caseload['project'].number} — {caseload['project'].title}", "1", "01/01/2024", "31/12/2024", "10", "1", "10,0",
                          f"10{NBSP}% de l'objectif de l'année 1"]
    # Twelve months of support in 2024; two contacts done (home visit, call) and a no-show.
    contacts = blocks["Contacts par mois-ménage d'accompagnement"]
    assert find(contacts, "Mois-ménages d'accompagnement") == ["Mois-ménages d'accompagnement", "12", ""]
    assert find(contacts, "Tous contacts réalisés") == ["Tous contacts réalisés", "2", "0,17"]
    assert find(contacts, "Visite à domicile") == ["Visite à domicile", "1", "0,08"]
    assert find(contacts, "Entretien au bureau") == ["Entretien au bureau", "0", "0,00"]
    assert find(contacts, "Rendez-vous non honoré") == ["Rendez-vous non honoré", "1", "0,08"]


def test_the_households_still_housed_12_months_after_an_end_in_the_year_before(caseload):
    rollups.rebuild(now=NOW)
    MeasureFact.objects.filter(measure=caseload["m1"]).update(still_housed_12m=True)
    run = f.ReportRunFactory(kind=ReportKind.OUTCOME, scope=ReportScope.PROJECT, project=caseload["project"],
                             period_start=D(2025, 1, 1), period_end=D(2025, 12, 31))
    rows = sections(outcome.build_report(run))["Toujours dans un logement 12 mois après la fin"]
    assert rows == [["Toujours logés", "1", "100,0"], ["Plus logés", "0", "0,0"], ["Situation inconnue", "0", ""], ["Total", "1", ""]]


def test_xlsx_and_pdf_through_the_task(caseload, media):
    run = caseload_run(caseload, fmt="xlsx")
    build_report.apply(args=[run.pk])
    workbook = load_workbook(io.BytesIO(stored(run)))
    sheet = workbook["Délais"]
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b
    assert (sheet["A2"].value, sheet["B2"].value, sheet["C2"].value, sheet["C2"].number_format) == (
        f"Orientation {ARROW} diagnostic", 1, 58, "#,##0.0")
    targets = workbook["Objectifs"]
    assert (targets["G2"].value, targets["G2"].number_format) == (pytest.approx(0.1), "0.0\\ %")

    run = caseload_run(caseload, fmt="pdf")
    build_report.apply(args=[run.pk])
    reader = PdfReader(io.BytesIO(stored(run)))
    text = " ".join("\n".join(page.extract_text() for page in reader.pages).replace(NBSP, " ").split())  # cells wrap
    assert text.startswith("Rapport de résultats")
    assert "Période : du 01/12/2023 au 31/12/2024" in text
    assert "10 % de l'objectif de l'année 1" in text
    assert "640,00 €" in text
    assert "Page 1 / " in text
    assert reader.pages[0].mediabox.width == pytest.approx(595, abs=1)  # A4 portrait


# --------------------------------------------------------------------------
# National: small counts hidden, complementary cells
# --------------------------------------------------------------------------


@pytest.fixture
def programme(db):
    association = f.OrganisationFactory(association=True)
    p1 = f.ProjectFactory(number="2.1.1", title="Accès", category="2.1")
    p2 = f.ProjectFactory(number="2.1.5", title="Maintien", category="2.2")

    def fact(project, **values):
        household = f.HouseholdFactory(organisation=association, project=project)
        measure = f.SupportMeasureFactory(household=household)
        return f.MeasureFactFactory(measure=measure, contract_signed_on=None, **values)

    for i in range(15):
        days = 10 if i < 12 else 40
        fact(p1, referral_source="siao", prior_situation="hotel", oriented_on=D(2024, 2, 1), identified_on=D(2024, 2, 1),
             diagnostic_on=D(2024, 2, 1) + datetime.timedelta(days=days), days_to_diagnostic=days,
             ended_on=D(2024, 10, 1), outcome="rehoused_direct" if i < 12 else "maintained")
    for _i in range(4):
        fact(p2, referral_source="ccapex", prior_situation="street", oriented_on=D(2024, 5, 1), identified_on=D(2024, 5, 1), diagnostic_on=None)
    for project, dimension, value, households in (
        (p1, "oriented_by", "siao", 18), (p1, "oriented_accepted_by", "siao", 15), (p1, "oriented_refused_by", "siao", 3),
        (p2, "oriented_by", "ccapex", 4), (p2, "oriented_accepted_by", "ccapex", 4),
    ):
        f.ProjectYearBreakdownFactory(project=project, year=2024, dimension=dimension, value=value, households=households, measures=households)
    for project, target, supported in ((p1, 20, 19), (p2, 10, 5)):
        f.ProjectTargetProgressFactory(project=project, project_year=1, period_start=D(2024, 1, 1), period_end=D(2024, 12, 31),
                                       target_households=target, households_supported=supported)
    return {"p1": p1, "p2": p2}


def national(**kwargs) -> dict[str, list[list[str]]]:
    run = f.ReportRunFactory(kind=ReportKind.OUTCOME, scope=ReportScope.NATIONAL, period_start=D(2024, 1, 1), period_end=D(2024, 12, 31), **kwargs)
    return sections(outcome.build_report(run))


def test_national_orientations_hide_small_counts_so_that_no_total_gives_them_back(programme):
    report = national()
    # Decisions 15 + 4 accepted, 3 refused: the 3 is hidden, and so is the 19 that would give it back (22 − 19).
    assert report["Synthèse"][:4] == [["Ménages orientés", "22"], ["dont acceptées", "masqué"], ["dont refusées", "< 11"],
                                      ["dont en attente de décision", "0"]]
    assert report["Synthèse"][4:7] == [["Ménages accompagnés sur la période", "19"], ["dont entrés sur la période", "19"],
                                       ["Ménages sortis sur la période", "15"]]
    # Sources × decisions with row and column totals: every line with one hidden cell gets a second one.
    assert report["Ménages par source d'orientation"] == [
        ["SIAO", "masqué", "< 11", "0", "masqué", "masqué", "15"],
        ["CCAPEX", "< 11", "0", "0", "< 11", "< 11", "0"],
        ["Total", "masqué", "< 11", "0", "22", "19", "15"],
    ]
    # Oriented 18 (2.1) and 4 (2.2), accepted 15 and 4: each column with its total.
    assert report["Ménages par catégorie de projet"] == [
        ["2.1 — Accès au logement", "1", "masqué", "masqué", "masqué", "masqué", "15"],
        ["2.2 — Maintien dans le logement", "1", "< 11", "< 11", "< 11", "< 11", "0"],
        ["Total", "2", "22", "19", "19", "19", "15"],
    ]


def test_national_outcomes_and_durations(programme):
    report = national()
    outcomes = report["Issues à la sortie"]
    assert find(outcomes, "Relogé en bail direct") == ["Relogé en bail direct", "masqué", "masqué"]
    assert find(outcomes, "Maintenu dans le logement") == ["Maintenu dans le logement", "< 11", "masqué"]
    assert find(outcomes, "Départ") == ["Départ", "0", "0,0"]
    assert find(outcomes, "Total") == ["Total", "15", "100,0"]
    # 12 × 10 days and 3 × 40 days: median 10, mean 240 / 15 = 16.
    durations = report["Délais du parcours (jours)"]
    assert find(durations, f"Orientation {ARROW} diagnostic") == [f"Orientation {ARROW} diagnostic", "15", "10,0", "16,0"]
    assert find(durations, f"Diagnostic {ARROW} contrat") == [f"Diagnostic {ARROW} contrat", "0", "—", "—"]


def test_national_year_targets_never_hide_the_target(programme):
    rows = national()["Atteinte des objectifs annuels"]
    assert [row[4:] for row in rows] == [
        ["20", "masqué", "masqué", ""],
        ["10", "< 11", "masqué", ""],
        ["30", "24", "80,0", f"80{NBSP}% de l'objectif de l'année 1"],  # 24 / 30
    ]


def test_a_project_run_shows_the_small_counts(programme):
    run = f.ReportRunFactory(kind=ReportKind.OUTCOME, scope=ReportScope.PROJECT, project=programme["p1"],
                             period_start=D(2024, 1, 1), period_end=D(2024, 12, 31))
    report = sections(outcome.build_report(run))
    assert find(report["Issues à la sortie"], "Maintenu dans le logement") == ["Maintenu dans le logement", "3", "20,0"]
    assert report["Atteinte des objectifs annuels"][0][4:] == ["20", "19", "95,0", f"95{NBSP}% de l'objectif de l'année 1"]


def test_suppress_table_leaves_no_line_with_a_single_hidden_cell():
    cells, rows, columns, grand = suppress_table([[15, 3, 0], [4, 0, 0]], suppress=True)
    shown = [[c.display for c in row] for row in cells]
    assert shown == [["masqué", "< 11", "0"], ["< 11", "0", "0"]]
    assert [c.display for c in rows] == ["masqué", "< 11"]
    assert [c.display for c in columns] == ["masqué", "< 11", "0"] and grand.display == "22"
    cells, rows, columns, grand = suppress_table([[15, 3]], suppress=False)
    assert [c.value for c in cells[0]] == [15, 3] and grand.value == 18


# --------------------------------------------------------------------------
# Every scope, the schedule, the query count
# --------------------------------------------------------------------------

SCOPES = {
    ReportScope.NATIONAL: lambda c: {},
    ReportScope.PROJECT: lambda c: {"project": c["project"]},
    ReportScope.LANDLORD: lambda c: {"organisation": c["landlord"]},
    ReportScope.ASSOCIATION: lambda c: {"organisation": c["association"]},
    ReportScope.DEPARTEMENT: lambda c: {"departement": "69"},
    ReportScope.FUNDER: lambda c: {"organisation": c["state"]},
}


@pytest.mark.parametrize("kind", [ReportKind.FUNDING, ReportKind.OUTCOME])
@pytest.mark.parametrize("scope", list(SCOPES))
def test_both_reports_build_for_every_scope(caseload, media, kind, scope):
    rollups.rebuild(now=NOW)
    run = f.ReportRunFactory(kind=kind, scope=scope, period_start=D(2024, 1, 1), period_end=D(2024, 12, 31), parameters={"format": "csv"},
                             **SCOPES[scope](caseload))
    build_report.apply(args=[run.pk])
    blocks = read_csv(stored(run))
    assert blocks
    if kind == ReportKind.OUTCOME:
        supported = find(blocks["Synthèse"], "Ménages accompagnés sur la période")[1]
        # One household: "1" for the organisations that work with it, "< 11" for programme-wide and funder readers.
        assert supported == ("< 11" if scope in (ReportScope.NATIONAL, ReportScope.DEPARTEMENT, ReportScope.FUNDER) else "1")
    else:
        assert find(blocks["Reversements du bailleur porteur aux partenaires"], "Total")[-1] == "15000,00"


def test_the_yearly_schedule_creates_funding_and_outcome_runs(caseload, django_capture_on_commit_callbacks):
    rollups.rebuild(now=NOW)
    with django_capture_on_commit_callbacks(execute=False):
        created = services.report_runs_schedule(frequency="yearly", scope=ReportScope.PROJECT, today=D(2025, 1, 2))
    assert sorted(run.kind for run in created) == [ReportKind.FUNDING, ReportKind.INDICATORS, ReportKind.OUTCOME]


def test_the_query_count_does_not_grow_with_the_rows(programme, django_assert_num_queries):
    run = f.ReportRunFactory(kind=ReportKind.OUTCOME, scope=ReportScope.NATIONAL, period_start=D(2024, 1, 1), period_end=D(2024, 12, 31))
    # projects of the scope, measure facts, orientation breakdown, target progress, household-months aggregate
    with django_assert_num_queries(5):
        outcome.build_report(run)


def test_an_association_sees_its_own_households_but_not_small_project_wide_counts(caseload):
    rollups.rebuild(now=NOW)
    run = f.ReportRunFactory(kind=ReportKind.OUTCOME, scope=ReportScope.ASSOCIATION, organisation=caseload["association"],
                             period_start=D(2023, 12, 1), period_end=D(2024, 12, 31))
    report = sections(outcome.build_report(run))
    summary = dict(report["Synthèse"])
    # Orientations and targets are project-wide rollups (other partners' households too): suppressed.
    assert (summary["Ménages orientés"], summary["Ménages accompagnés sur la période"]) == ("< 11", "1")
    assert report["Atteinte des objectifs annuels"][0][4:7] == ["10", "< 11", "masqué"]
    assert find(report["Issues à la sortie"], "Maintenu dans le logement")[1] == "1"


@pytest.mark.parametrize("kind", [ReportKind.FUNDING, ReportKind.OUTCOME])
def test_an_empty_period_still_gives_readable_files(db, media, kind):
    run = f.ReportRunFactory(kind=kind, scope=ReportScope.NATIONAL, period_start=D(2030, 1, 1), period_end=D(2030, 12, 31),
                             parameters={"format": ["pdf", "xlsx", "csv"]})
    assert build_report.apply(args=[run.pk]).get().endswith(".zip")
    archive = zipfile.ZipFile(io.BytesIO(stored(run)))
    pdf = next(name for name in archive.namelist() if name.endswith(".pdf"))
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(archive.read(pdf))).pages)
    assert "Aucune donnée pour ce périmètre et cette période." in " ".join(text.split())

"""The programme catalogue PDF (issue 8, point 7), read back with pypdf.

A small world of four projects in three categories of the guide:

- 1.1 (target 40): 15 households supported;
- 2.3.2 (target 30): 12 households; 2.3.19 (target 23): 3 households;
  numbered so that a text sort would put 2.3.19 first;
- 3.2.1 (target 7): no household.

National run: 2.3.19's 3 households read "< 11" and 2.3.2's 12 are hidden
as well ("masqué"), otherwise the 2.3 row (15) minus 12 would give the 3
back. A landlord's run (the organisations involved) shows everything.
"""

from __future__ import annotations

import datetime
import io
import re
from decimal import Decimal

import pypdf
import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from core.models import User
from partners.models import Membership, Role
from projects.models import Category, Project
from reporting import builders, rollups
from reporting import catalogue as cat
from reporting.models import MeasureFact, ReportKind, ReportRun, ReportScope
from tests import factories as f

AS_OF = datetime.date(2026, 6, 30)
CONTACT_NAME = "Gaspard Vérificateur"


def _run(scope=ReportScope.NATIONAL, **kwargs) -> ReportRun:
    return ReportRun(kind=ReportKind.CATALOGUE, scope=scope, period_start=datetime.date(2014, 1, 1), period_end=AS_OF, **kwargs)


@pytest.fixture
def world(db):
    call = f.CallForProjectsFactory()
    landlord = f.OrganisationFactory(landlord=True, name="Habitat Témoin")
    association = f.OrganisationFactory(association=True, name="Association Témoin")
    caseworker = f.MembershipFactory(organisation=association, role=Role.CASEWORKER, user__first_name="Gaspard", user__last_name="Vérificateur")
    f.MembershipFactory(landlord_adviser=True, organisation=landlord, user__first_name="Solène", user__last_name="Contrôleuse")

    def project(number, category, target, **extra):
        p = f.ProjectFactory(
            call=call, number=number, category=category, title=f"Projet témoin {number}", lead_landlord=landlord,
            target_households=target, departements=["69"], territory_text="Lyon, Rhône", **extra,
        )
        f.ProjectCarrierFactory(project=p, organisation=landlord, role="lead")
        f.ProjectCarrierFactory(project=p, organisation=association, role="partner")
        return p

    projects = {
        "1.1": project("1.1", Category.COORDINATION, 40),
        "2.3.19": project(
            "2.3.19", Category.ACCESS_MAINTAIN, 23,
            means=f"Comité de pilotage mensuel. Contact : {CONTACT_NAME} - g.verificateur@exemple.test 04 72 00 00 00",
            support_description=f"Accompagnement renforcé assuré avec {CONTACT_NAME} et l'équipe.",
        ),
        "2.3.2": project("2.3.2", Category.ACCESS_MAINTAIN, 30),
        "3.2.1": project("3.2.1", Category.DOMESTIC_VIOLENCE, 7),
    }
    for number, households in (("1.1", 15), ("2.3.2", 12), ("2.3.19", 3)):
        for _i in range(households):
            household = f.HouseholdFactory(organisation=association, project=projects[number])
            f.SupportMeasureFactory(household=household, referent=caseworker)
    f.SupportMeasureFactory(household=f.HouseholdFactory(organisation=association, project=projects["1.1"]))  # a referent with a random name
    f.BudgetLineFactory(project=projects["2.3.2"], kind="support", year=2024, planned=Decimal("24000"), unit_cost=None, quantity=None)
    rollups.rebuild()
    return {"projects": projects, "landlord": landlord, "association": association, "call": call}


def _pdf(run: ReportRun, **kwargs) -> tuple[pypdf.PdfReader, str]:
    content, pages = cat.build_catalogue(run, **kwargs)
    reader = pypdf.PdfReader(io.BytesIO(content))
    assert len(reader.pages) == pages
    text = "\n".join(page.extract_text() for page in reader.pages)
    return reader, text


def _typology_page(reader: pypdf.PdfReader) -> list[str]:
    """The lines of the typology table page (not the table of contents that names it)."""
    for page in reader.pages:
        text = page.extract_text()
        if "Typologie des projets" in text and "Part de l'objectif" in text:
            return [line.strip() for line in text.splitlines() if line.strip()]
    raise AssertionError("no typology page")


def _row(lines: list[str], label: str, width: int = 4) -> list[str]:
    """The cells printed after a row's label (pypdf gives one cell per line)."""
    i = next(i for i, line in enumerate(lines) if line.startswith(label[:25]))
    cell = re.compile(r"^(?:[\d\u00a0 ]+(?:,\d+)?(?:[\u00a0 ]?%)?|< 11|masqué|—)$")
    cells = [line.replace("\u00a0", " ") for line in lines[i + 1 :] if cell.match(line)]
    return cells[:width]


def _items(outline) -> list:
    items = []
    for item in outline:
        items.extend(_items(item) if isinstance(item, list) else [item])
    return items


def _flatten(outline) -> list[str]:
    return [item.title for item in _items(outline)]


def _french(n: int) -> str:
    return f"{n:,}".replace(",", " ")


# --------------------------------------------------------------------- figures


def test_typology_rows_equal_the_raw_rows(world):
    """Each category row: projects, target households (Project rows) and households supported (measure facts)."""
    reader, _text = _pdf(_run(ReportScope.LANDLORD, organisation=world["landlord"]))
    lines = _typology_page(reader)
    projects = {row["category"]: row for row in Project.objects.values("category").annotate(n=Count("id"), target=Sum("target_households"))}
    supported = dict(
        MeasureFact.objects.values_list("project__category").annotate(n=Count("household", distinct=True)).order_by()
    )
    labels = dict(Category.choices)
    for code in Category.values:
        expected_projects = projects.get(code, {}).get("n", 0)
        expected_target = projects.get(code, {}).get("target") or 0
        cells = _row(lines, str(labels[code]))
        assert cells[:3] == [_french(expected_projects), _french(expected_target), _french(supported.get(code, 0))], code
    assert _row(lines, "Total")[:3] == ["4", "100", "31"]
    assert supported == {"1": 16, "2.3": 15}  # the fixture, counted from the raw rows


def test_one_monograph_per_project_in_the_guide_order(world):
    reader, text = _pdf(_run())
    titles = _flatten(reader.outline)
    monographs = [t for t in titles if t.startswith("Projet") is False and " — Projet témoin" in t]
    assert monographs == [
        "1.1 — Projet témoin 1.1",
        "2.3.2 — Projet témoin 2.3.2",  # 2.3.2 before 2.3.19: numbers compared as numbers
        "2.3.19 — Projet témoin 2.3.19",
        "3.2.1 — Projet témoin 3.2.1",
    ]
    assert titles[0] == "Typologie des projets"
    assert [t for t in titles if t.startswith("Projets de la catégorie")] == [
        "Projets de la catégorie 1 — Coordination partenariale",
        "Projets de la catégorie 2.3 — Accès et maintien",
        "Projets de la catégorie 3.2 — Femmes victimes de violences conjugales",
    ]
    # The table of contents gives page numbers, every page is numbered "Page n / N".
    pages = len(reader.pages)
    for n, page in enumerate(reader.pages[1:], start=2):
        assert f"Page {n} / {pages}" in page.extract_text()
    assert "2.3.19 — Projet témoin 2.3.19" in reader.pages[1].extract_text()  # the table of contents
    # Its outline entries lead to the fiche's page (the table of contents uses the same destinations).
    entry = next(item for item in _items(reader.outline) if item.title == "2.3.19 — Projet témoin 2.3.19")
    target = reader.pages[reader.get_destination_page_number(entry)].extract_text()
    assert "2.3.19 — Projet témoin 2.3.19\nPorteurs" in target
    # Each fiche: carriers (organisations), territory, target, duration, budget.
    assert "Association Témoin" in text and "Habitat Témoin" in text
    assert "Lyon, Rhône" in text
    assert "24\u00a0000,00\u00a0€" in text or "24 000,00 €" in text  # the 2.3.2 budget (rollup)


def test_no_person_name_in_the_catalogue(world):
    _reader, text = _pdf(_run(ReportScope.LANDLORD, organisation=world["landlord"]))
    folded = " ".join(text.split()).lower()
    people = User.objects.filter(memberships__in=Membership.objects.all()).values_list("first_name", "last_name").distinct()
    assert len(people) >= 3
    for first, last in people:
        assert f"{first} {last}".lower() not in folded
        assert f"{last} {first}".lower() not in folded
    assert CONTACT_NAME.lower() not in folded
    assert "@" not in text and "04 72" not in text and "contact :" not in folded
    assert "Comité de pilotage mensuel" in text  # the rest of the field is kept


def test_small_counts_are_suppressed_for_a_national_run(world):
    reader, text = _pdf(_run())
    lines = _typology_page(reader)
    assert _row(lines, "2.3 — Accès et maintien") == ["2", "53", "15", "28,3 %"]  # 15 shown; projects and targets never hidden
    assert _row(lines, "1 — Coordination partenariale") == ["1", "40", "16", "40,0 %"]
    assert _row(lines, "Total")[:3] == ["4", "100", "31"]
    # In the fiches: 2.3.19 (3 households) reads "< 11", 2.3.2 (12) is hidden with it.
    fiche_19 = text[text.index("2.3.19 — Projet témoin 2.3.19\nPorteurs"):]
    fiche_2 = text[text.index("2.3.2 — Projet témoin 2.3.2\nPorteurs"):]
    assert re.search(r"\n\s*23\n\s*< 11\n\s*masqué\n", fiche_19[:600])
    assert re.search(r"\n\s*30\n\s*masqué\n\s*masqué\n", fiche_2[:600])  # target 30; count and share hidden
    # Its cost per household would give the count back: withheld.
    assert "dépensé, par ménage accompagné : masqué" in fiche_2
    assert "Secret statistique" in text


def test_organisations_involved_see_every_count(world):
    reader, text = _pdf(_run(ReportScope.LANDLORD, organisation=world["landlord"]))
    assert "< 11" not in text and "masqué" not in text
    fiche_19 = text[text.index("2.3.19 — Projet témoin 2.3.19\nPorteurs"):]
    assert re.search(r"\n\s*23\n\s*3\n\s*13,0\s%", fiche_19[:600])  # target, its 3 households, share of the target


def test_nested_suppression_protects_every_total():
    """Projects → category → total: no line (parent and children) is left with a single hidden count."""
    values = {"t": 40, "c1": 25, "c2": 15, "p1": 20, "p2": 5, "p3": 15}
    children = {"t": ["c1", "c2"], "c1": ["p1", "p2"], "c2": ["p3"]}
    cells = cat.suppress_nested(values, children, suppress=True)
    hidden = {k for k, c in cells.items() if c.value is None}
    assert cells["p2"].display == "< 11"
    assert {"p1", "p2"} <= hidden  # 25 − 20 would give the 5
    for parent, kids in children.items():
        assert sum(1 for k in [parent, *kids] if k in hidden) != 1
    assert cat.suppress_nested(values, children, suppress=False)["p2"].value == 5


# --------------------------------------------------------------------- registry, command, queries


def test_a_catalogue_run_is_built_by_the_report_task(world, media):
    from reporting.models import ReportStatus
    from reporting.tasks import build_report

    assert builders.BUILDERS[ReportKind.CATALOGUE] is cat.catalogue_pdf
    run = _run()
    run.save()
    build_report.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == ReportStatus.SUCCEEDED, run.error
    assert run.file.name.endswith(".pdf") and "guide-de-valorisation-national" in run.file.name
    with run.file.open("rb") as stored:
        assert len(pypdf.PdfReader(stored).pages) >= 6


def test_free_texts_lose_names_mails_and_phones_but_keep_the_rest():
    redact = cat.Redactor([("Gaspard", "Vérificateur"), ("", "Seul")])
    assert redact("Suivi par GASPARD VÉRIFICATEUR et par Vérificateur Gaspard.") == "Suivi par [nom retiré] et par [nom retiré]."
    assert redact("Premier contact : visite à domicile.") == "Premier contact : visite à domicile."
    assert redact("Comité mensuel. Contact : Corinne BERTRAND - cbertrand@exemple.test") == "Comité mensuel."
    assert redact("Écrire à accueil@exemple.test ou appeler le 01 40 75 78 41.") == "Écrire à ou appeler le ."
    assert redact("Le Seul bailleur du quartier") == "Le Seul bailleur du quartier"  # a last name alone is not a person


def test_the_query_count_does_not_grow_with_the_projects(world, django_assert_max_num_queries):
    # projects, carriers, measure facts, budgets, fundings, user names: 6 queries whatever the number of projects.
    with django_assert_max_num_queries(6):
        catalogue = cat.collect(_run())
    assert len(catalogue.sheets) == 4


def test_the_command_writes_the_pdf(world, tmp_path):
    out = io.StringIO()
    path = tmp_path / "guide.pdf"
    call_command("catalogue_pdf", "--output", str(path), "--date", "2026-06-30", stdout=out)
    reader = pypdf.PdfReader(str(path))
    assert f"{len(reader.pages)} pages" in out.getvalue()
    assert "< 11" in "\n".join(page.extract_text() for page in reader.pages)  # national by default


def test_the_command_refuses_a_bad_date(world, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Date invalide"):
        call_command("catalogue_pdf", "--output", str(tmp_path / "x.pdf"), "--date", "30/06/2026")


# --------------------------------------------------------------------- the real catalogue


def test_the_imported_guide_gives_back_the_guides_typology_table(db, tmp_path):
    """``import_ush_guide`` then the catalogue: the guide's table (p. 6), 92 projects / 4 568 households, 92 fiches."""
    from projects.catalogue.importer import typology_table

    call_command("import_ush_guide", stdout=io.StringIO())
    expected = {code: (projects, households) for code, _label, projects, households in typology_table()}
    assert sum(p for p, _h in expected.values()) == 92 and sum(h for _p, h in expected.values()) == 4568
    reader, text = _pdf(_run())
    lines = _typology_page(reader)
    labels = dict(Category.choices)
    for code, (projects, households) in expected.items():
        assert _row(lines, str(labels[code]))[:2] == [_french(projects), _french(households)], code
    assert _row(lines, "2 — Logements accompagnés")[:2] == ["49", "2 322"]
    assert _row(lines, "3 — Logements accompagnés")[:2] == ["35", "1 726"]
    assert _row(lines, "Total")[:3] == ["92", "4 568", "0"]
    fiches = [t for t in _flatten(reader.outline) if not t.startswith(("Typologie", "Projets de la catégorie"))]
    assert len(fiches) == 92
    numbers = [t.split(" — ")[0] for t in fiches]
    assert numbers.index("2.3.2") < numbers.index("2.3.19") and numbers[0] == "1.1" and numbers[-1] == "3.6.2"
    assert "@" not in text  # the guide's contact lines are not in the database, nor in the catalogue

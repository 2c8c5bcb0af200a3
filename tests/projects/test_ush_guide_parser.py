"""Tests of the USH guide parser (pure Python: no Django, no database).

Run with:
    .venv/bin/python -m pytest -p no:django -p no:cacheprovider --rootdir=/tmp/x \
        tests/projects/test_ush_guide_parser.py -q
"""

from __future__ import annotations

import dataclasses
import os
import re
import types
from pathlib import Path

import pytest

from projects.catalogue.ush_guide import (
    CarrierEntry,
    Guide,
    GuideParseError,
    ProjectEntry,
    parse_guide,
)

_GUIDE_NAME = "ush-guide-10000-logements-accompagnes-2015.txt"
_CANDIDATES = [
    os.environ.get("USH_GUIDE_PATH", ""),
    f"/work/shared/seeds/{_GUIDE_NAME}",
    str(Path(__file__).resolve().parents[2] / "seeds" / _GUIDE_NAME),
]
GUIDE_PATH = next((Path(p) for p in _CANDIDATES if p and Path(p).is_file()), None)

pytestmark = pytest.mark.skipif(GUIDE_PATH is None, reason=f"{_GUIDE_NAME} not found")

# The guide's own "Répartition des projets par thématique" table.
EXPECTED_TABLE = {
    "1": (8, 520),
    "2.1": (19, 908),
    "2.2": (11, 560),
    "2.3": (19, 854),
    "3.1": (13, 620),
    "3.2": (7, 115),
    "3.3": (8, 518),
    "3.4": (3, 316),
    "3.5": (2, 82),
    "3.6": (2, 75),
}

EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE_RE = re.compile(r"(?:\+33\s?|\b0)[1-9](?:[\s.-]?\d{2}){4}\b")


@pytest.fixture
def settings() -> types.SimpleNamespace:
    """Stand-in for pytest-django's ``settings`` fixture.

    tests/conftest.py has an autouse fixture writing ``settings.LANGUAGE_CODE``.
    These tests are pure Python and also run with ``-p no:django``, where that
    fixture does not exist; a throwaway namespace keeps them independent of
    Django either way.
    """
    return types.SimpleNamespace()


@pytest.fixture(scope="module")
def text() -> str:
    assert GUIDE_PATH is not None
    return GUIDE_PATH.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def guide(text: str) -> Guide:
    return parse_guide(text)


def _strings(guide: Guide) -> list[tuple[str, str, str]]:
    """(fiche number, field, value) for every string of the output."""
    out = []
    for project in guide.projects:
        for f in dataclasses.fields(project):
            value = getattr(project, f.name)
            if isinstance(value, str):
                out.append((project.number, f.name, value))
            elif isinstance(value, tuple):
                for item in value:
                    if isinstance(item, CarrierEntry):
                        out.extend(
                            (project.number, "carriers", getattr(item, g.name))
                            for g in dataclasses.fields(item)
                        )
                    else:
                        out.append((project.number, f.name, str(item)))
    return out


def _contact_values(text: str) -> list[str]:
    """Values of the "Contact" rows, in the tab and one-per-line layouts."""
    lines = text.splitlines()
    values = []
    for i, line in enumerate(lines):
        cells = [c.strip() for c in line.split("\t")]
        if cells[0] in ("Contact", "Contacts"):
            value = " ".join(c for c in cells[1:] if c)
            j = i + 1
            while not value and j < len(lines):
                value = lines[j].strip()
                j += 1
            values.append(value)
        elif "@" in line:  # contacts that ran into another cell
            values.append(line)
    return values


def _contact_names(text: str) -> set[str]:
    """Person names of the Contact rows and of the guide's first-page credits."""
    names = set()
    person = re.compile(
        r"\b([A-ZÉ][a-zéèëï]+(?:[- ][A-ZÉ][a-zéèëï]+)?)\s+([A-ZÉÈ][A-ZÉÈ'-]+(?:\s[A-ZÉÈ][A-ZÉÈ'-]+)*)\b"
    )
    sources = _contact_values(text) + text.splitlines()[:60]  # credits / CONTACTS
    for value in sources:
        for match in person.finditer(value):
            first, last = match.group(1), match.group(2)
            if len(last) >= 3 and last not in {"USH", "CONTACTS"}:
                names.add(f"{first} {last}")
    # Names printed fully in capitals in the first-page CONTACTS block.
    names.update({"MARYSE SYLVESTRE", "AMEL TEBESSI"} & set(text.splitlines()[:60]))
    return names


# ---------------------------------------------------------------------------
# Whole-guide properties
# ---------------------------------------------------------------------------


def test_typology_table_as_printed(guide: Guide) -> None:
    assert guide.typology_table == EXPECTED_TABLE


def test_92_projects(guide: Guide) -> None:
    assert len(guide.projects) == 92
    assert all(isinstance(p, ProjectEntry) for p in guide.projects)


def test_category_counts_and_households_equal_the_table(guide: Guide) -> None:
    counts: dict[str, int] = {}
    households: dict[str, int] = {}
    for project in guide.projects:
        counts[project.category] = counts.get(project.category, 0) + 1
        households[project.category] = households.get(project.category, 0) + project.households_target
    assert {k: (counts[k], households[k]) for k in counts} == EXPECTED_TABLE
    assert sum(p.households_target for p in guide.projects) == 4568


def test_renumbered_fiches(guide: Guide) -> None:
    numbers = {p.number for p in guide.projects}
    assert {"2.3.19", "3.1.13"} <= numbers
    assert not {"6.7", "3.1.14"} & numbers
    assert guide.project("2.3.19").printed_number == "6.7."
    assert guide.project("2.3.19").category == "2.3"
    assert guide.project("3.1.13").printed_number == "3.1.14."
    assert "TOIT ET JOIE" in guide.project("3.1.13").carriers_text


def test_numbers_unique_well_formed_and_consecutive(guide: Guide) -> None:
    numbers = [p.number for p in guide.projects]
    assert len(numbers) == len(set(numbers))
    by_category: dict[str, list[int]] = {}
    for project in guide.projects:
        pattern = re.escape(project.category) + r"\.(\d+)"
        match = re.fullmatch(pattern, project.number)
        assert match, project.number
        by_category.setdefault(project.category, []).append(int(match.group(1)))
    for category, indexes in by_category.items():
        assert sorted(indexes) == list(range(1, len(indexes) + 1)), category


def test_value_domains(guide: Guide) -> None:
    for p in guide.projects:
        assert p.households_basis in {"total", "per_year", "active_file"}
        assert p.households_figure > 0 and p.households_target >= p.households_figure
        assert p.title and p.carriers_text and p.territory_text and p.access_or_maintain
        assert p.nature and p.objectives and p.cost_text and p.duration_text
        assert p.duration_years is not None and p.duration_years > 0
        assert any(c.role == "lead" for c in p.carriers), p.number
        for c in p.carriers:
            assert c.kind in {"landlord", "association", "landlord_group", "other"}
            assert c.role in {"lead", "partner"}
            assert c.role == "partner" or c.kind in {"landlord", "landlord_group"}
        for code in p.departements:
            assert re.fullmatch(r"\d{2}|2[AB]|97\d", code), code
        for value in (p.title, p.nature, p.means, p.support, p.territory_text):
            assert "<" not in value and "**" not in value and "\t" not in value
    lines = [p.line for p in guide.projects]
    assert lines == sorted(lines)


def test_no_personal_data_in_output(guide: Guide, text: str) -> None:
    names = _contact_names(text)
    assert len(names) > 50  # sanity: the extraction does find the contacts
    assert "Etienne FABRIS" in names and "Maryse SYLVESTRE" in names
    for number, field, value in _strings(guide):
        assert not EMAIL_RE.search(value), (number, field, value)
        assert not PHONE_RE.search(value), (number, field, value)
        folded = value.casefold()
        for name in names:
            assert name.casefold() not in folded, (number, field, name)
            surname = name.split(" ", 1)[1]
            # Surnames as printed in capitals, e.g. "BOUCAULT" (3.3.3 contact
            # that ran into another cell).
            assert not re.search(rf"(?<!\w){re.escape(surname)}(?!\w)", value), (number, field, name)


def test_contact_rows_are_dropped(guide: Guide) -> None:
    assert not any(
        "contact" in f.name for f in dataclasses.fields(ProjectEntry)
    )
    for number, field, value in _strings(guide):
        assert "Contact" not in value, (number, field, value)


# ---------------------------------------------------------------------------
# Spot checks of specific fiches and source quirks
# ---------------------------------------------------------------------------


def test_fiche_1_4(guide: Guide) -> None:
    p = guide.project("1.4")
    assert p.category == "1"
    assert p.carriers == (
        CarrierEntry("Grand Lyon Habitat", "landlord", "lead"),
        CarrierEntry("AHSo", "association", "partner"),
    )
    assert (p.households_figure, p.households_target, p.units) == (90, 90, 30)
    assert p.territory_text == "Grand Lyon, Rhône"  # <div> box removed
    assert p.departements == ("69",)
    assert p.duration_years == 3.0


def test_fiche_2_1_1_brest(guide: Guide) -> None:
    p = guide.project("2.1.1")
    assert p.departements == ("29",)
    assert p.households_target == 2
    assert p.carriers == (CarrierEntry("Brest Métropole Habitat", "landlord", "lead"),)


def test_active_file_counts_per_year(guide: Guide) -> None:
    p = guide.project("1.1")  # "40 ménages en file active" over 3 years
    assert (p.households_basis, p.households_figure, p.households_target) == ("active_file", 40, 120)


def test_range_per_year_takes_upper_bound(guide: Guide) -> None:
    p = guide.project("2.1.18")  # "40 à 50 par an" over 3 years
    assert (p.households_basis, p.households_figure, p.households_target) == ("per_year", 50, 150)


def test_parenthesised_per_year_is_a_total(guide: Guide) -> None:
    p = guide.project("2.2.10")  # "20 (10 par an)"
    assert (p.households_basis, p.households_target) == ("total", 20)


def test_months_are_converted(guide: Guide) -> None:
    assert guide.project("2.1.7").duration_years == 1.5  # "18 mois"
    assert guide.project("2.3.9").duration_years == 2.5  # "30 mois"
    assert guide.project("2.3.10").duration_years == 1.0  # "1 an, reconductible une à deux fois"


def test_bold_two_line_carriers(guide: Guide) -> None:
    p = guide.project("2.1.3")
    assert p.carriers_text == "EMMAÜS HABITAT EN PARTENARIAT AVEC FREHA, HABITAT ET HUMANISME"
    assert [(c.name, c.kind, c.role) for c in p.carriers] == [
        ("Emmaüs Habitat", "landlord", "lead"),
        ("FREHA", "association", "partner"),
        ("Habitat et Humanisme", "association", "partner"),
    ]


def test_bold_two_line_title(guide: Guide) -> None:
    p = guide.project("2.2.5")
    assert p.title == "UN ACCOMPAGNEMENT ADAPTE A TOUS POUR UN MAINTIEN DURABLE DANS LE LOGEMENT"
    assert p.households_target == 150


def test_title_glued_to_number(guide: Guide) -> None:
    p = guide.project("2.3.4")
    assert p.title.startswith("10 000 LOGEMENTS ACCOMPAGNES")


def test_number_without_trailing_dot(guide: Guide) -> None:
    assert guide.project("1.8").printed_number == "1.8"
    assert guide.project("3.2.3").printed_number == "3.2.3"


def test_missing_label_paragraph_fills_the_missing_row(guide: Guide) -> None:
    p = guide.project("2.2.7")  # no "Moyens mis en œuvre" label in the source
    assert p.offer == "Mobilisation de logements existants"
    assert p.means.startswith("Réalisation de l'accompagnement social par le partenaire associatif")


def test_duration_that_ran_into_the_contact_cell(guide: Guide) -> None:
    p = guide.project("3.3.3")  # "Contact  2 ans Baptiste B... – e-mail"
    assert p.duration_text == "2 ans"
    assert (p.households_basis, p.households_target) == ("per_year", 20)


def test_contact_that_ran_into_the_duration_cell(guide: Guide) -> None:
    p = guide.project("2.1.17")  # "Durée du projet  2 ans Etienne F... - e-mail"
    assert p.duration_text == "2 ans"


def test_stray_cells_are_dropped(guide: Guide) -> None:
    p = guide.project("3.4.1")  # stray "Nouveau Logis Provençal GROUPE SNI", "144 126"
    assert p.territory_text == "Marseille Bouches-du-Rhône"
    assert p.access_or_maintain == "Maintien dans le logement"
    assert guide.project("3.4.2").access_or_maintain == "Accès au logement"  # "2 2 Accès..."
    assert guide.project("2.3.10").access_or_maintain == "Accès et maintien dans le logement"
    assert guide.project("3.1.13").access_or_maintain == "Maintien dans le logement"  # split cell


def test_groups_and_summary_table_fallback(guide: Guide) -> None:
    gie = guide.project("2.1.17").carriers
    assert gie[0] == CarrierEntry("GIE Est Habitat", "landlord_group", "lead")
    assert CarrierEntry("Est Métropole Habitat", "landlord", "lead") in gie
    assert guide.project("2.3.13").carriers[0].kind == "landlord_group"  # Habitat Réuni
    assert guide.project("3.1.2").carriers[0] == CarrierEntry("ADO Habitat 35", "landlord_group", "lead")
    # "LES TROIS BAILLEURS SOCIAUX DU DEPARTEMENT DE LA MAYENNE": the summary
    # table names them.
    assert [c.name for c in guide.project("2.1.5").carriers] == [
        "Mayenne Habitat", "Méduane Habitat", "Logis Familial Mayennais",
    ]


def test_other_kinds(guide: Guide) -> None:
    partners = {c.name: c.kind for c in guide.project("2.3.18").carriers}
    assert partners["CCAS de Caen"] == "other"
    assert not any(c.name.lower().startswith("4 ") for p in guide.projects for c in p.carriers)


@pytest.mark.parametrize(
    "number, codes",
    [
        ("2.1.15", ("92", "93", "95")),  # "92, 93, 95 – Ile-de-France"
        ("2.2.9", ("92", "95")),  # "92 et 95, Ile-de-France"
        ("3.3.1", ()),  # "Ile-de-France (hors Paris)": region only
        ("2.3.13", ()),  # "Ile de France, Centre et Nord Pas de Calais": regions
        ("3.2.5", ("75", "92", "93", "94")),  # "Paris et petite couronne"
        ("1.8", ("2A",)),  # "Corse du Sud"
        ("3.3.6", ("973",)),  # "Guyane"
        ("3.3.8", ("43",)),  # "Le Puy en Velay, Haute-Loire": not also Loire
        ("2.1.18", ("57", "81")),  # "Ile-de-France, Metz et Mazamet"
        ("3.3.5", ("62",)),  # "Arras, Nord-Pas-de-Calais": not Nord
    ],
)
def test_departements(guide: Guide, number: str, codes: tuple[str, ...]) -> None:
    assert guide.project(number).departements == codes


# ---------------------------------------------------------------------------
# Malformed inputs
# ---------------------------------------------------------------------------


def test_truncated_copy_raises_with_line_numbers(text: str) -> None:
    lines = text.splitlines()
    with pytest.raises(GuideParseError) as info:
        parse_guide("\n".join(lines[: int(len(lines) * 0.6)]))
    errors = info.value.errors
    assert len(errors) > 1  # several problems collected, not just the first
    assert all(isinstance(n, int) and n >= 1 for n, _ in errors)
    message = str(info.value)
    assert re.search(r"^ligne \d+ : ", message, re.MULTILINE)
    assert "92 attendues" in message


@pytest.mark.parametrize(
    "marker, figure",
    [
        ("Grand Lyon, Rhône</div>", "Nbre de ménages accompagnés : 90"),  # 1.4, one cell
        ("Nbre de ménages accompagnés :\t80", "Nbre de ménages accompagnés :\t80"),  # 1.7
    ],
)
def test_missing_household_figure_names_its_line(text: str, marker: str, figure: str) -> None:
    lines = text.splitlines()
    index = next(i for i, line in enumerate(lines) if marker in line)
    lines[index] = lines[index].replace(figure, figure.rstrip("0123456789"))
    with pytest.raises(GuideParseError) as info:
        parse_guide("\n".join(lines))
    assert any(
        n == index + 1 and "ménages accompagnés absent" in m for n, m in info.value.errors
    ), str(info.value)
    assert f"ligne {index + 1} : " in str(info.value)


def test_missing_typology_table_raises(text: str) -> None:
    damaged = text.replace("Répartition des projets par thématique", "Répartition")
    with pytest.raises(GuideParseError) as info:
        parse_guide(damaged)
    assert "Répartition des projets par thématique" in str(info.value)


def test_duplicate_number_raises(text: str) -> None:
    damaged = text.replace("2.1.5. LOGEMENTS ACCOMPAGNES", "2.1.4. LOGEMENTS ACCOMPAGNES")
    with pytest.raises(GuideParseError) as info:
        parse_guide(damaged)
    assert "en double" in str(info.value)


def test_category_count_differing_from_table_raises(text: str) -> None:
    # Move fiche 2.2.1 into section 2.1 by removing the 2.2 heading and table.
    lines = text.splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("2.2. : ACCOMPAGNEMENT"))
    end = next(i for i, l in enumerate(lines) if l.startswith("2.2.11\t"))
    with pytest.raises(GuideParseError) as info:
        parse_guide("\n".join(lines[:start] + lines[end + 1:]))
    assert "catégorie 2.2" in str(info.value)


def test_empty_text_raises() -> None:
    with pytest.raises(GuideParseError) as info:
        parse_guide("")
    assert len(info.value.errors) >= 2

"""The USH guide importer: table, idempotence, damaged files, no contact persons."""

import re
from io import StringIO
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import models
from django.db.models import Max

from core.models import AuditLog
from partners.models import Organisation, OrganisationKind
from projects.models import CallForProjects, Project, ProjectCarrier, Session

pytestmark = pytest.mark.django_db

GUIDE = Path(settings.USH_GUIDE_PATH)

# The guide's own typology table (p. 6): category -> (projects, households).
GUIDE_TABLE = {
    "1": (8, 520), "2.1": (19, 908), "2.2": (11, 560), "2.3": (19, 854), "3.1": (13, 620),
    "3.2": (7, 115), "3.3": (8, 518), "3.4": (3, 316), "3.5": (2, 82), "3.6": (2, 75),
}


def _import(path: Path | None = None) -> str:
    out = StringIO()
    call_command("import_ush_guide", *( [str(path)] if path else []), stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def guide_text() -> str:
    return GUIDE.read_text(encoding="utf-8")


def test_printed_table_equals_the_guide(guide_text):
    output = _import()

    for code, (projects, households) in GUIDE_TABLE.items():
        row = next(line for line in output.splitlines() if line.startswith(f"{code} — "))
        numbers = [int(n) for n in re.findall(r"\b\d+\b", row.split("—", 1)[1])][-4:]
        assert numbers[:2] == [projects, households], row
        assert "≠" not in row
    total = next(line for line in output.splitlines() if line.startswith("Total"))
    assert total.split()[-2:] == ["92", "4568"]


def test_database_holds_the_catalogue():
    _import()
    assert Project.objects.count() == 92
    call = CallForProjects.objects.get()
    may, october = Session.objects.filter(call=call).order_by("held_on")
    assert (may.name, may.dossiers_submitted, may.submitting_landlords, may.submitting_groups) == ("Mai 2014", 39, 26, 3)
    assert (may.projects_retained, may.retained_fnavdl, may.retained_cglls) == (28, 25, 3)
    assert may.announced_support == 1_500_000
    assert (october.dossiers_submitted, october.projects_retained, october.retained_fnavdl, october.retained_cglls) == (90, 73, 58, 15)
    assert october.announced_support == 4_300_000
    # Session and funder of each monograph are unknown: nothing is invented.
    assert not Project.objects.filter(session__isnull=False).exists()
    assert not Project.objects.filter(fundings__isnull=False).exists()
    # Renumbered fiches (printed 6.7. and 3.1.14.).
    assert Project.objects.filter(number__in=["2.3.19", "3.1.13"]).count() == 2
    assert not Project.objects.filter(number__in=["6.7", "3.1.14"]).exists()
    # Carriers are organisations of the right kind, deduplicated by name.
    place = Project.objects.get(number="1.4")
    assert place.target_households == 90 and place.target_units == 30
    assert place.lead_landlord.kind == OrganisationKind.LANDLORD
    assert ProjectCarrier.objects.filter(project=place, organisation__kind=OrganisationKind.ASSOCIATION).exists()
    assert Organisation.objects.filter(kind=OrganisationKind.LANDLORD).count() > 50
    names = list(Organisation.objects.values_list("normalized_name", flat=True))
    assert len(names) == len(set(names))
    # The text as printed is kept beside the number.
    assert not Project.objects.filter(target_households_text="").exists()


def test_second_run_changes_nothing():
    _import()
    before = {
        model: sorted(model.objects.values_list("id", "updated_at"))
        for model in (Project, ProjectCarrier, Organisation, Session, CallForProjects)
    }
    output = _import()
    assert "aucune modification" in output
    after = {model: sorted(model.objects.values_list("id", "updated_at")) for model in before}
    assert after == before


def test_truncated_file_is_reported_with_line_numbers_and_nothing_is_written(tmp_path, guide_text):
    lines = guide_text.splitlines(keepends=True)
    damaged = tmp_path / "guide-tronque.txt"
    damaged.write_text("".join(lines[: int(len(lines) * 0.6)]), encoding="utf-8")

    with pytest.raises(CommandError) as excinfo:
        _import(damaged)

    assert "rien n'a été écrit" in str(excinfo.value)
    assert re.search(r"ligne \d+", str(excinfo.value))
    assert Project.objects.count() == 0
    assert Organisation.objects.count() == 0


def test_fiche_without_household_figure_is_reported_at_its_line(tmp_path, guide_text):
    lines = guide_text.splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if "2.1.2. AVOIR UN LOGEMENT" in line)
    # Remove the household figure of that fiche.
    for j in range(index, index + 6):
        if "Nbre de ménages accompagnés" in lines[j]:
            lines[j] = re.sub(r"(Nbre de ménages accompagnés :)\s*\d+", r"\1", lines[j])
            break
    damaged = tmp_path / "guide-sans-chiffre.txt"
    damaged.write_text("".join(lines), encoding="utf-8")

    with pytest.raises(CommandError) as excinfo:
        _import(damaged)

    assert re.search(r"ligne \d+", str(excinfo.value))
    assert Project.objects.count() == 0


def test_unreadable_path_is_a_clear_error(tmp_path):
    with pytest.raises(CommandError, match="Impossible de lire le guide"):
        _import(tmp_path / "absent.txt")


NAME = re.compile(r"([A-ZÉÈÎ][a-zéèêëïîôûüç]+(?:[- ][A-ZÉÈ][a-zéèêëïîôûüç]+)*)\s+([A-ZÉÈÀÎÔÛÇ][A-ZÉÈÀÎÔÛÇ'\-]+(?:\s[A-ZÉÈÀÎÔÛÇ][A-ZÉÈÀÎÔÛÇ'\-]+)*)\b")
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _contact_people(text: str) -> tuple[set[str], set[str]]:
    """Names and e-mails of the contact persons and credits of the guide."""
    lines = text.splitlines()
    emails = {m.lower() for m in EMAIL.findall(text)}
    names: set[str] = set()
    zones = [lines[:60]]  # credits and contacts of the first page
    for i, line in enumerate(lines):
        if line.strip() == "Contact":  # label alone, the person on the next non-blank line
            zones.append([next(n for n in lines[i + 1 :] if n.strip())])
        elif line.startswith("Contact\t") or " ans " in line and "@" in line:
            zones.append([line])
    for zone in zones:
        for line in zone:
            for first, last in NAME.findall(line.replace("*", "")):
                if len(last) >= 3 and last not in {"USH", "CONTACTS", "SEPTEMBRE"}:
                    names.add(f"{first} {last}".lower())
    names.add("nathalie chevallier")
    return names, emails


def _all_text_in_database(audit_after: int = 0) -> str:
    """Every text column; of the audit log only the rows written after ``audit_after``
    (refusals of other tests are committed on their own connection and stay)."""
    chunks = []
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, (models.CharField, models.TextField))]
        if not fields:
            continue
        rows = model.objects.all()
        if model._meta.label == "core.AuditLog":
            rows = rows.filter(pk__gt=audit_after)
        for row in rows.values_list(*fields):
            chunks.extend(str(value) for value in row if value)
    return "\n".join(chunks).lower()


def test_no_contact_person_is_imported(guide_text):
    audit_before = AuditLog.objects.aggregate(m=Max("pk"))["m"] or 0
    _import()
    names, emails = _contact_people(guide_text)
    assert len(names) > 75 and len(emails) > 70  # the extraction found them
    everything = _all_text_in_database(audit_before)
    assert "@" not in everything
    leaked = sorted(n for n in names if n in everything) + sorted(e for e in emails if e in everything)
    assert leaked == []
    assert not re.search(r"\b0\d(?:[ .]?\d{2}){4}\b", everything)  # no phone number


def test_a_second_run_keeps_the_status_the_project_has_since():
    _import()
    Project.objects.filter(number="1.4").update(status="in_progress")
    _import()
    assert Project.objects.get(number="1.4").status == "in_progress"

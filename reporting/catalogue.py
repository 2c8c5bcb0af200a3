"""The programme catalogue (issue 8, point 7): a "guide de valorisation" PDF built from live data.

In the spirit of the USH guide of 2015 (``../shared/seeds``): a cover page,
a table of contents, the typology table (category → projects → households),
then one monograph per project, grouped by category in the guide's order
(2.3.2 before 2.3.19). Everything comes from the database, never from the
seed file:

- projects, their carriers (organisations only: never a person's name),
  territory, targets and descriptive fields: ``projects.Project`` and
  ``ProjectCarrier``; the target households are ``Project.target_households``,
  the figure the guide's typology table adds up (92 projects / 4 568
  households on the imported catalogue);
- households actually supported: distinct households with a support measure
  of the project begun on or before the end of the run's period, read from
  the ``MeasureFact`` rollup (``reporting.builders.scope_facts``: an
  association's run counts its own measures); the category and total rows
  add up the projects' figures;
- money: ``ProjectYearBudget`` (planned over the whole project, spent up to
  the period's end year) and ``ProjectYearFunding`` (awarded).

Small-count suppression (DESIGN.md §3) for the national, département and
funder scopes: household counts from 1 to 10 read "< 11", and since the
figures are nested (projects → category → group → total), a hidden count
that a shown total and shown siblings would give back gets a companion
("masqué"). Projects, targets and money are never suppressed; a cost per
household or a share of the target whose household count is hidden is
withheld too (it would give the count back).

Free texts are printed without e-mail addresses, phone numbers, "Contact :"
mentions and the names of the platform's users, in case a fiche edited in
the application holds one.

The PDF is laid out by reportlab in several passes (``multiBuild``): the
table of contents and the "Page n / N" footers need the page numbers of the
previous pass. The footer is drawn by the page template rather than by
``reporting.render``'s numbered canvas, because that canvas lays every page
out before emitting any, which sends the PDF destinations (outline and
table-of-contents links) to the first page.
"""

from __future__ import annotations

import datetime
import html
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core import privacy
from projects.catalogue.ush_guide import DEPARTEMENTS
from projects.models import CarrierRole, Category, Project, ProjectCarrier

from . import render
from .builders import SUPPRESSED_SCOPES, BuiltFile, register, scope_facts, scope_projects
from .models import ProjectYearBudget, ProjectYearFunding, ReportKind, ReportRun, ReportScope
from .render import MISSING, NBSP, display
from .reports.common import number_key, scope_label

ZERO = Decimal(0)

#: The guide's typology: groups of categories, in the guide's order. Category 1 stands on its own.
GROUPS: list[tuple[str, list[str]]] = [
    ("1", [Category.COORDINATION]),
    ("2", [Category.ACCESS, Category.MAINTAIN, Category.ACCESS_MAINTAIN]),
    ("3", [Category.MENTAL_HEALTH, Category.DOMESTIC_VIOLENCE, Category.YOUNG, Category.TRAVELLERS,
           Category.PRISON_LEAVERS, Category.ELDERLY]),
]
CATEGORY_ORDER = {code: i for i, code in enumerate(Category.values)}


def _group_label(code: str) -> str:
    labels = {
        "2": _("2 — Logements accompagnés pour des ménages en grandes difficultés économiques et / ou sociales"),
        "3": _("3 — Logements accompagnés pour des publics spécifiques"),
    }
    return labels[code]


def catalogue_order(project: Project) -> tuple:
    """Category in the guide's order, then the number compared as numbers (2.3.2 < 2.3.19)."""
    return (CATEGORY_ORDER.get(project.category, len(CATEGORY_ORDER)), number_key(project))


# --------------------------------------------------------------------------
# Free texts: no person
# --------------------------------------------------------------------------

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
PHONE = re.compile(r"(?<!\d)(?:\+33\s?|0)\d(?:[\s.-]?\d{2}){4}(?!\d)")
#: "Contact : Prénom NOM - mail" as the guide prints it, at the start of a line or of a sentence ("premier contact : …" stays).
CONTACT = re.compile(r"(?:^|(?<=[.;!?]\s))contacts?\s*:[^\n]*", re.IGNORECASE | re.MULTILINE)


class Redactor:
    """Removes from a free text what could name or reach a person."""

    def __init__(self, names: Iterable[tuple[str, str]]):
        variants: set[str] = set()
        for first, last in names:
            first, last = (first or "").strip(), (last or "").strip()
            if first and last:
                variants.add(f"{first} {last}")
                variants.add(f"{last} {first}")
        patterns = sorted((re.escape(v).replace(r"\ ", r"\s+") for v in variants), key=len, reverse=True)
        self.names = re.compile(r"(?<!\w)(?:" + "|".join(patterns) + r")(?!\w)", re.IGNORECASE) if patterns else None

    def __call__(self, value: str) -> str:
        value = CONTACT.sub("", value or "")
        value = EMAIL.sub("", value)
        value = PHONE.sub("", value)
        if self.names is not None:
            value = self.names.sub(_("[nom retiré]"), value)
        return re.sub(r"[ \t]+", " ", value).strip(" -–,;")


def user_names() -> list[tuple[str, str]]:
    """First and last names of the people who hold a membership (one query)."""
    return list(get_user_model().objects.filter(memberships__isnull=False).values_list("first_name", "last_name").distinct())


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


@dataclass
class Sheet:
    """One monograph."""

    project: Project
    carriers: list[tuple[str, list[str]]]
    actual: int = 0
    actual_cell: privacy.Cell | None = None
    planned: Decimal = ZERO
    spent: Decimal = ZERO
    awarded: Decimal = ZERO
    has_budget: bool = False
    has_funding: bool = False

    @property
    def target(self) -> int:
        return self.project.target_households or 0


@dataclass
class TypologyRow:
    code: str
    label: str
    projects: int
    target: int
    actual: int
    actual_cell: privacy.Cell
    level: int  # 0: total or group, 1: category under a group, 0 also for category 1


@dataclass
class Catalogue:
    run: ReportRun
    suppress: bool
    sheets: list[Sheet]
    typology: list[TypologyRow]
    total: TypologyRow
    generated_at: datetime.datetime
    redact: Redactor
    notes: list[str] = field(default_factory=list)

    def by_category(self) -> list[tuple[str, list[Sheet]]]:
        grouped: dict[str, list[Sheet]] = defaultdict(list)
        for sheet in self.sheets:
            grouped[sheet.project.category].append(sheet)
        return [(code, grouped[code]) for code in Category.values if grouped.get(code)]


def suppress_nested(values: dict, children: dict, *, suppress: bool) -> dict:
    """Cells of nested household counts (each parent is the sum of its children, all shown).

    Every count from 1 to 10 is hidden ("< 11"); then, as long as some
    parent and its children hold exactly one hidden count (it would be the
    parent minus the shown children, or the sum of the children), the
    smallest non-zero shown child is hidden as well ("masqué"), or the
    parent when no child can be. Same rule as ``reports.common.suppress_table``,
    for a tree instead of a grid.
    """
    if not suppress:
        return {key: privacy.shown(value) for key, value in values.items()}
    small = {key for key, value in values.items() if privacy.is_small(value)}
    hidden = set(small)
    changed = True
    while changed:
        changed = False
        for parent, kids in children.items():
            line = [parent, *kids]
            if sum(1 for key in line if key in hidden) != 1:
                continue
            candidates = [(values[key], str(key), key) for key in kids if key not in hidden and values[key] > 0]
            if candidates:
                hidden.add(min(candidates)[2])
            elif parent not in hidden and values[parent] > 0:
                hidden.add(parent)
            else:
                continue
            changed = True
    cells = {}
    for key, value in values.items():
        if key in small:
            cells[key] = privacy.Cell(value=None, display=privacy.SMALL, suppressed=True)
        elif key in hidden:
            cells[key] = privacy.Cell(value=None, display=privacy.MASKED, suppressed=True)
        else:
            cells[key] = privacy.shown(value)
    return cells


CARRIER_ROLES = [CarrierRole.LEAD, CarrierRole.CO_LEAD, CarrierRole.PARTNER, CarrierRole.ASSOCIATED]


def collect(run: ReportRun, *, suppress: bool | None = None, names: Iterable[tuple[str, str]] | None = None) -> Catalogue:
    """Every figure of the catalogue, in a fixed number of queries whatever the number of projects.

    ``suppress`` defaults to the run's scope (national, département, funder: suppressed).
    """
    if suppress is None:
        suppress = run.scope in SUPPRESSED_SCOPES
    projects_qs = scope_projects(run)
    call = (run.parameters or {}).get("call")
    if call:
        projects_qs = projects_qs.filter(call_id=call)
    projects = sorted(projects_qs.select_related("lead_landlord"), key=catalogue_order)
    ids = [p.pk for p in projects]

    carriers: dict[int, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for project_id, role, name in (
        ProjectCarrier.objects.filter(project_id__in=ids).order_by("organisation__name").values_list("project_id", "role", "organisation__name")
    ):
        carriers[project_id][role].append(name)
    roles = dict(CarrierRole.choices)

    actual = dict(
        scope_facts(run).filter(project_id__in=ids, identified_on__lte=run.period_end)
        .values_list("project_id").annotate(n=Count("household", distinct=True)).order_by()
    )
    budgets = defaultdict(lambda: [ZERO, ZERO])
    for project_id, year, planned, spent in (
        ProjectYearBudget.objects.filter(project_id__in=ids).values_list("project_id", "year").annotate(p=Sum("planned"), s=Sum("spent")).order_by()
    ):
        budgets[project_id][0] += planned or ZERO
        if year <= run.period_end.year:
            budgets[project_id][1] += spent or ZERO
    fundings = ProjectYearFunding.objects.filter(project_id__in=ids)
    if run.scope == ReportScope.FUNDER:  # a funder's catalogue shows its own grants
        fundings = fundings.filter(funder_id=run.organisation_id)
    awarded = dict(fundings.values_list("project_id").annotate(a=Sum("awarded")).order_by())

    sheets = []
    for project in projects:
        by_role = carriers.get(project.pk, {})
        listed = [(str(roles[role]), by_role[role]) for role in CARRIER_ROLES if by_role.get(role)]
        if not listed and project.lead_landlord_id:
            listed = [(str(roles[CarrierRole.LEAD]), [project.lead_landlord.name])]
        sheets.append(Sheet(
            project=project, carriers=listed, actual=actual.get(project.pk, 0),
            planned=budgets[project.pk][0] if project.pk in budgets else ZERO,
            spent=budgets[project.pk][1] if project.pk in budgets else ZERO,
            awarded=awarded.get(project.pk) or ZERO, has_budget=project.pk in budgets, has_funding=project.pk in awarded,
        ))

    # The tree of household counts: projects → category → group → total.
    values: dict = {("p", s.project.pk): s.actual for s in sheets}
    children: dict = {}
    for code in Category.values:
        kids = [("p", s.project.pk) for s in sheets if s.project.category == code]
        children[("c", code)] = kids
        values[("c", code)] = sum(values[k] for k in kids)
    top = []
    for group, codes in GROUPS:
        if len(codes) == 1:
            top.append(("c", codes[0]))
            continue
        kids = [("c", code) for code in codes]
        children[("g", group)] = kids
        values[("g", group)] = sum(values[k] for k in kids)
        top.append(("g", group))
    # Projects of an unknown category (none in practice) still count in the total.
    stray = [("p", s.project.pk) for s in sheets if s.project.category not in CATEGORY_ORDER]
    children[("t",)] = top + stray
    values[("t",)] = sum(values[k] for k in top + stray)
    cells = suppress_nested(values, children, suppress=suppress)
    for sheet in sheets:
        sheet.actual_cell = cells[("p", sheet.project.pk)]

    labels = dict(Category.choices)
    typology = []
    for group, codes in GROUPS:
        in_group = [s for s in sheets if s.project.category in codes]
        if len(codes) > 1:
            typology.append(TypologyRow(
                group, _group_label(group), len(in_group), sum(s.target for s in in_group),
                values[("g", group)], cells[("g", group)], 0,
            ))
        for code in codes:
            rows = [s for s in sheets if s.project.category == code]
            typology.append(TypologyRow(
                code, str(labels[code]), len(rows), sum(s.target for s in rows),
                values[("c", code)], cells[("c", code)], 1 if len(codes) > 1 else 0,
            ))
    total = TypologyRow("", _("Total"), len(sheets), sum(s.target for s in sheets), values[("t",)], cells[("t",)], 0)

    notes = [
        _("Ménages à accompagner : l'objectif du projet compté comme le guide de 2015 (un chiffre annoncé « par an » "
          "ou « en file active » est multiplié par la durée du projet en années)."),
        _("Ménages accompagnés : ménages distincts dont une mesure d'accompagnement du projet a commencé au plus tard le "
          "%(date)s (tables d'agrégats) ; les lignes de catégorie et le total additionnent les projets.") % {"date": f"{run.period_end:%d/%m/%Y}"},
    ]
    if suppress:
        notes.append(_("Secret statistique : les effectifs de ménages de 1 à 10 sont affichés « < 11 » et une autre case est "
                       "« masquée » quand un total permettrait de les retrouver. Les projets, les objectifs et les montants ne sont pas masqués."))
    if run.scope == ReportScope.ASSOCIATION:
        notes.append(_("Périmètre association : les ménages accompagnés sont ceux des mesures de l'association."))

    return Catalogue(
        run=run, suppress=suppress, sheets=sheets, typology=typology, total=total, generated_at=timezone.localtime(),
        redact=Redactor(user_names() if names is None else names), notes=notes,
    )


# --------------------------------------------------------------------------
# Displays
# --------------------------------------------------------------------------


def households_display(cell: privacy.Cell | None) -> str:
    return display(render.count(cell)) if cell is not None else MISSING


def money_display(value) -> str:
    return display(render.money(value))


def per_household(amount: Decimal, cell: privacy.Cell | None, count: int) -> str:
    """An amount per household, withheld when the count is hidden (it would give the count back)."""
    if cell is not None and cell.value is None:
        return str(privacy.MASKED)
    if not count or not amount:
        return MISSING
    return money_display(Decimal(amount) / count)


def share_display(cell: privacy.Cell | None, target: int) -> str:
    if cell is not None and cell.value is None:
        return str(privacy.MASKED)
    return display(render.percent(cell.value if cell is not None else None, target))


def territory_display(project: Project) -> str:
    parts = []
    if project.departements:
        parts.append(", ".join(f"{code} {DEPARTEMENTS[code]}" if code in DEPARTEMENTS else code for code in project.departements))
    if project.communes:
        parts.append(_("communes (INSEE) : %(codes)s") % {"codes": ", ".join(project.communes)})
    return " — ".join(parts) or MISSING


def duration_display(project: Project, *, dates: bool = True) -> str:
    parts = []
    if project.duration_months:
        months = project.duration_months
        if months % 12 == 0:
            years = months // 12
            parts.append(_("%(n)s an") % {"n": years} if years == 1 else _("%(n)s ans") % {"n": years})
        else:
            parts.append(_("%(n)s mois") % {"n": months})
    elif project.duration_text:
        parts.append(project.duration_text)
    if dates and (project.starts_on or project.ends_on):
        start = f"{project.starts_on:%d/%m/%Y}" if project.starts_on else "…"
        end = f"{project.ends_on:%d/%m/%Y}" if project.ends_on else "…"
        parts.append(_("du %(start)s au %(end)s") % {"start": start, "end": end})
    return " — ".join(parts) or MISSING


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------

DARK = "#1f3b5c"
LIGHT = "#e8edf3"
RULE = "#b0b7c0"
MARGIN_MM = 15


def _t(value) -> str:
    """Text for a reportlab Paragraph: escaped, cp1252, line breaks kept."""
    return render._pdf_text(str(value or "")).replace("\n", "<br/>")


def render_pdf(catalogue: Catalogue) -> tuple[bytes, int]:
    """The PDF and its number of pages."""
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_CENTER, TA_RIGHT
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.platypus import (
        CondPageBreak, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle,
    )
    from reportlab.platypus.doctemplate import IndexingFlowable
    from reportlab.platypus.tableofcontents import TableOfContents

    run = catalogue.run
    styles = getSampleStyleSheet()
    base = ParagraphStyle("CatBody", parent=styles["BodyText"], fontName="Helvetica", fontSize=8.5, leading=10.5)
    small = ParagraphStyle("CatSmall", parent=base, fontSize=7.5, leading=9, textColor=colors.HexColor("#444444"))
    cover_title = ParagraphStyle("CatCover", parent=base, fontName="Helvetica-Bold", fontSize=24, leading=30, textColor=colors.HexColor(DARK), spaceAfter=6 * mm)
    cover_sub = ParagraphStyle("CatCoverSub", parent=base, fontSize=13, leading=17, spaceAfter=4 * mm)
    cover_line = ParagraphStyle("CatCoverLine", parent=base, fontSize=10, leading=14)
    h1 = ParagraphStyle("CatH1", parent=base, fontName="Helvetica-Bold", fontSize=15, leading=19, textColor=colors.HexColor(DARK), spaceBefore=2 * mm, spaceAfter=4 * mm)
    h2 = ParagraphStyle("CatH2", parent=base, fontName="Helvetica-Bold", fontSize=12, leading=15, textColor=colors.HexColor(DARK), spaceBefore=2 * mm, spaceAfter=3 * mm)
    band = ParagraphStyle("CatBand", parent=base, fontName="Helvetica-Bold", fontSize=10, leading=12.5, textColor=colors.white)
    carriers_style = ParagraphStyle("CatCarriers", parent=base, fontName="Helvetica-Bold", fontSize=8, leading=10, textColor=colors.HexColor(DARK))
    label_style = ParagraphStyle("CatLabel", parent=base, fontName="Helvetica-Bold", fontSize=8, leading=10)
    cell = ParagraphStyle("CatCell", parent=base, fontSize=8, leading=10)
    cell_bold = ParagraphStyle("CatCellBold", parent=cell, fontName="Helvetica-Bold")
    number = ParagraphStyle("CatNumber", parent=cell, alignment=TA_RIGHT)
    number_bold = ParagraphStyle("CatNumberBold", parent=number, fontName="Helvetica-Bold")
    head = ParagraphStyle("CatHead", parent=cell, fontName="Helvetica-Bold", textColor=colors.white)
    head_right = ParagraphStyle("CatHeadRight", parent=head, alignment=TA_RIGHT)
    figure_value = ParagraphStyle("CatFigure", parent=base, fontName="Helvetica-Bold", fontSize=10, leading=12, alignment=TA_CENTER, textColor=colors.HexColor(DARK))
    figure_label = ParagraphStyle("CatFigureLabel", parent=base, fontSize=7, leading=8.5, alignment=TA_CENTER)

    margin = MARGIN_MM * mm
    width = A4[0] - 2 * margin
    footer_label = _("Guide de valorisation — %(scope)s — situation au %(date)s") % {
        "scope": scope_label(run), "date": f"{run.period_end:%d/%m/%Y}",
    }

    class CatalogueDoc(SimpleDocTemplate):
        page_total = 0

        def afterFlowable(self, flowable):  # noqa: N802 (reportlab's API)
            entry = getattr(flowable, "toc_entry", None)
            if entry is None:
                return
            level, label, key = entry
            self.canv.bookmarkPage(key)
            self.canv.addOutlineEntry(html.unescape(label), key, level=level, closed=level > 0)
            self.notify("TOCEntry", (level, label, self.page, key))

    class PageTotal(IndexingFlowable):
        """Makes ``multiBuild`` lay out once more until the number of pages printed in the footers is right."""

        def __init__(self, doc):
            super().__init__()
            self.doc, self.previous = doc, -1

        def beforeBuild(self):  # noqa: N802
            self.previous = self.doc.page_total

        def afterBuild(self):  # noqa: N802
            self.doc.page_total = self.doc.page

        def isSatisfied(self):  # noqa: N802
            return self.previous == self.doc.page_total

        def wrap(self, availWidth, availHeight):  # noqa: N803
            return (0, 0)

        def draw(self):
            pass

    def heading(text_: str, style, level: int | None, key: str | None) -> Paragraph:
        p = Paragraph(text_, style)
        if level is not None:
            p.toc_entry = (level, text_, key)
        return p

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7.5)
        canvas.setFillColor(colors.HexColor("#444444"))
        page = _("Page %(n)s / %(total)s") % {"n": doc.page, "total": doc.page_total or "…"}
        canvas.drawRightString(A4[0] - margin, 9 * mm, page)
        label = html.unescape(render._pdf_text(footer_label))
        room = width - stringWidth(page, "Helvetica", 7.5) - 8 * mm
        while label and stringWidth(label, "Helvetica", 7.5) > room:
            label = label[:-2] + "…" if len(label) > 2 else ""
        canvas.drawString(margin, 9 * mm, label)
        canvas.setStrokeColor(colors.HexColor(RULE))
        canvas.setLineWidth(0.4)
        canvas.line(margin, 12.5 * mm, A4[0] - margin, 12.5 * mm)
        canvas.restoreState()

    def table_style(extra: list | None = None) -> TableStyle:
        return TableStyle([
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor(RULE)),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2.5),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ("LEFTPADDING", (0, 0), (-1, -1), 4),
            ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            *(extra or []),
        ])

    buffer = io.BytesIO()
    doc = CatalogueDoc(
        buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=18 * mm,
        title=_("Guide de valorisation des projets"), author=_("Plateforme logement accompagné"), subject=scope_label(run),
    )
    total = catalogue.total
    story: list = [PageTotal(doc)]

    # Cover page
    story += [
        Spacer(1, 40 * mm),
        Paragraph(_t(_("Guide de valorisation des projets")), cover_title),
        Paragraph(_t(_("Logements accompagnés : typologie et monographies des projets, établies à partir des données de la plateforme")), cover_sub),
        Spacer(1, 8 * mm),
    ]
    for label, value in (
        (_("Périmètre"), scope_label(run)),
        (_("Situation au"), f"{run.period_end:%d/%m/%Y}"),
        (_("Généré le"), f"{catalogue.generated_at:%d/%m/%Y à %H:%M}"),
        (_("Projets"), display(render.count(total.projects))),
        (_("Ménages à accompagner (objectif)"), display(render.count(total.target))),
        (_("Ménages accompagnés"), households_display(total.actual_cell)),
    ):
        story.append(Paragraph(f"<b>{_t(label)}</b> : {_t(value)}", cover_line))
    story.append(Spacer(1, 10 * mm))
    story += [Paragraph(_t(note), small) for note in catalogue.notes]
    story.append(PageBreak())

    # Table of contents
    toc = TableOfContents(dotsMinLevel=0)
    toc.levelStyles = [
        ParagraphStyle("Toc0", parent=base, fontName="Helvetica-Bold", fontSize=9, leading=11, leftIndent=0, rightIndent=8 * mm, firstLineIndent=0, spaceBefore=5, spaceAfter=1),
        ParagraphStyle("Toc1", parent=base, fontSize=7.5, leading=9, leftIndent=6 * mm, rightIndent=8 * mm, firstLineIndent=0, spaceBefore=0, spaceAfter=0),
    ]
    story += [Paragraph(_t(_("Sommaire")), h1), toc, PageBreak()]

    # Typology table
    story.append(heading(_t(_("Typologie des projets")), h1, 0, "typologie"))
    columns = [_("Catégorie"), _("Projets"), _("Ménages à accompagner (objectif)"), _("Ménages accompagnés"), _("Part de l'objectif")]
    data = [[Paragraph(_t(columns[0]), head)] + [Paragraph(_t(c), head_right) for c in columns[1:]]]
    extra = [("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(DARK))]
    for i, row in enumerate([*catalogue.typology, total], start=1):
        strong = row.level == 0
        label = ("    " * row.level).replace(" ", NBSP) + row.label
        data.append([
            Paragraph(_t(label), cell_bold if strong else cell),
            Paragraph(_t(display(render.count(row.projects))), number_bold if strong else number),
            Paragraph(_t(display(render.count(row.target))), number_bold if strong else number),
            Paragraph(_t(households_display(row.actual_cell)), number_bold if strong else number),
            Paragraph(_t(share_display(row.actual_cell, row.target)), number_bold if strong else number),
        ])
        if strong:
            extra.append(("BACKGROUND", (0, i), (-1, i), colors.HexColor(LIGHT)))
    typology = Table(data, colWidths=[width - 4 * 26 * mm, 26 * mm, 26 * mm, 26 * mm, 26 * mm], repeatRows=1, hAlign="LEFT")
    typology.setStyle(table_style(extra))
    story += [typology, Spacer(1, 3 * mm)]
    story += [Paragraph(_t(note), small) for note in catalogue.notes]

    redact = catalogue.redact
    as_of = f"{run.period_end:%d/%m/%Y}"

    def monograph(sheet: Sheet) -> list:
        """One fiche: the guide's header (carriers, number and title, territory, key figures), then its rows."""
        project = sheet.project
        key = f"p-{project.pk}"
        title = f"{project.number} — {project.title}" if project.number else project.title
        header = Table([[Paragraph(_t(title), band)]], colWidths=[width])
        header.toc_entry = (1, _t(title), key)  # seen by the document's afterFlowable: TOC line and outline entry
        header.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(DARK)),
            ("TOPPADDING", (0, 0), (-1, -1), 4), ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
            ("LEFTPADDING", (0, 0), (-1, -1), 5), ("RIGHTPADDING", (0, 0), (-1, -1), 5),
        ]))
        carriers = "<br/>".join(f"{_t(role)} : {_t(', '.join(names))}" for role, names in sheet.carriers) or _t(MISSING)
        territory = _t(territory_display(project))
        if project.territory_text and (project.departements or project.communes):
            codes = ", ".join([*project.departements, *project.communes])
            territory = f"{_t(redact(project.territory_text))} ({_t(_('codes INSEE : %(codes)s') % {'codes': codes})})"
        elif project.territory_text:
            territory = _t(redact(project.territory_text))
        figures = [
            (display(render.count(project.target_households)) if project.target_households is not None else MISSING,
             _("ménages à accompagner (objectif)")),
            (households_display(sheet.actual_cell), _("ménages accompagnés au %(date)s") % {"date": as_of}),
            (share_display(sheet.actual_cell, sheet.target), _("de l'objectif")),
            (display(render.count(project.target_units)) if project.target_units is not None else MISSING, _("logements mobilisés")),
            (duration_display(project, dates=False), _("durée")),
        ]
        figures_table = Table(
            [[Paragraph(_t(v), figure_value) for v, _l in figures], [Paragraph(_t(label), figure_label) for _v, label in figures]],
            colWidths=[width / len(figures)] * len(figures),
        )
        figures_table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, -1), colors.HexColor(LIGHT)),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("LINEAFTER", (0, 0), (-2, -1), 0.4, colors.white),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ]))
        intro = Table([
            [Paragraph(_t(_("Porteurs")), label_style), Paragraph(carriers, carriers_style)],
            [Paragraph(_t(_("Territoire")), label_style), Paragraph(territory, cell)],
        ], colWidths=[38 * mm, width - 38 * mm])
        intro.setStyle(table_style())

        rows: list[tuple[str, str]] = []
        if project.target_households_text and project.target_households_text != str(project.target_households):
            rows.append((_("Ménages (tel que présenté)"), project.target_households_text))
        if project.access_or_maintain or project.access_or_maintain_text:
            rows.append((_("Accès et / ou maintien"), project.get_access_or_maintain_display() or project.access_or_maintain_text))
        for name, label in (
            ("nature", _("Nature du projet")),
            ("objectives", _("Objectifs")),
            ("household_profile", _("Profil des ménages")),
            ("occupancy_status", _("Statut d'occupation")),
            ("support_description", _("Nature de l'accompagnement")),
            ("offer", _("Nature de l'offre")),
            ("means", _("Moyens mis en œuvre")),
            ("cost_text", _("Coût global du projet (tel que présenté)")),
        ):
            value = redact(getattr(project, name))
            if value:
                rows.append((label, value))
        if project.cost_amount is not None:
            rows.append((_("Coût global du projet"), money_display(project.cost_amount)))
        unknown = _("non renseigné")
        money_lines = [
            _("Budget prévu (toutes années) : %(amount)s") % {"amount": money_display(sheet.planned) if sheet.has_budget else unknown},
            _("Dépensé au %(date)s : %(amount)s") % {"date": as_of, "amount": money_display(sheet.spent) if sheet.has_budget else unknown},
            _("Financements accordés : %(amount)s") % {"amount": money_display(sheet.awarded) if sheet.has_funding else unknown},
        ]
        rows.append((_("Budget"), "\n".join(money_lines)))
        planned = project.cost_amount if project.cost_amount is not None else sheet.planned
        rows.append((_("Coût par ménage"), "\n".join([
            _("prévu, par ménage de l'objectif : %(amount)s") % {"amount": per_household(planned, None, sheet.target)},
            _("dépensé, par ménage accompagné : %(amount)s") % {"amount": per_household(sheet.spent, sheet.actual_cell, sheet.actual)},
        ])))
        duration = duration_display(project)
        if project.duration_text and not duration.lower().startswith(project.duration_text.strip().lower()):
            duration = f"{project.duration_text} ({duration})"
        rows.append((_("Durée du projet"), duration))
        body = Table(
            [[Paragraph(_t(label), label_style), Paragraph(_t(value), cell)] for label, value in rows],
            colWidths=[38 * mm, width - 38 * mm], splitInRow=1,
        )
        body.setStyle(table_style([("BACKGROUND", (0, 0), (0, -1), colors.HexColor(LIGHT))]))
        return [
            CondPageBreak(90 * mm),
            KeepTogether([header, intro, Spacer(1, 1.5 * mm), figures_table, Spacer(1, 1.5 * mm)]),
            body,
            Spacer(1, 8 * mm),
        ]

    labels = dict(Category.choices)
    groups_started: set[str] = set()
    for code, sheets in catalogue.by_category():
        story.append(PageBreak())
        group = next((g for g, codes in GROUPS if code in codes and len(codes) > 1), None)
        if group and group not in groups_started:
            groups_started.add(group)
            story.append(Paragraph(_t(_group_label(group)), h2))
        title = _("Projets de la catégorie %(label)s") % {"label": labels[code]}
        story.append(heading(_t(title), h1, 0, f"cat-{code}"))
        # The category's index, like the guide's: number, territory, lead carriers, target.
        index = [[Paragraph(_t(c), head) for c in (_("N°"), _("Territoire"), _("Porteur(s)"))] + [Paragraph(_t(_("Objectif (ménages)")), head_right)]]
        for sheet in sheets:
            project = sheet.project
            lead = sheet.carriers[0][1] if sheet.carriers else []
            index.append([
                Paragraph(_t(project.number), cell_bold),
                Paragraph(_t(redact(project.territory_text) or territory_display(project)), cell),
                Paragraph(_t(", ".join(lead)), cell),
                Paragraph(_t(display(render.count(project.target_households)) if project.target_households is not None else MISSING), number),
            ])
        index_table = Table(index, colWidths=[16 * mm, 50 * mm, width - 16 * mm - 50 * mm - 24 * mm, 24 * mm], repeatRows=1, hAlign="LEFT")
        index_table.setStyle(table_style([("BACKGROUND", (0, 0), (-1, 0), colors.HexColor(DARK))]))
        story += [index_table, Spacer(1, 6 * mm)]
        for sheet in sheets:
            story += monograph(sheet)

    doc.multiBuild(story, onFirstPage=lambda canvas, doc: None, onLaterPages=footer)
    return buffer.getvalue(), doc.page_total


# --------------------------------------------------------------------------
# Builder and entry points
# --------------------------------------------------------------------------


def file_name(run: ReportRun) -> str:
    subject = {
        ReportScope.PROJECT: run.project.number if run.project_id else "",
        ReportScope.DEPARTEMENT: run.departement,
    }.get(run.scope) or (run.organisation.name if run.organisation_id else "")
    stem = slugify(f"guide de valorisation {run.get_scope_display()} {subject} {run.period_end:%Y%m%d} {run.pk or ''}")
    return f"{stem or 'guide-de-valorisation'}.pdf"


def build_catalogue(run: ReportRun, *, suppress: bool | None = None) -> tuple[bytes, int]:
    """The PDF of a run and its page count."""
    return render_pdf(collect(run, suppress=suppress))


@register(ReportKind.CATALOGUE)
def catalogue_pdf(run: ReportRun) -> BuiltFile:
    """The programme catalogue of the run's scope, as of the end of its period (always a PDF)."""
    content, _pages = build_catalogue(run)
    return BuiltFile(name=file_name(run), content=content)

"""Format-independent reports and their renderers: CSV, XLSX and PDF.

A builder describes its report once as a :class:`Report`: a title, the
scope and period lines, and a list of :class:`Section` (title, column
labels, rows of typed :class:`Value` cells). :func:`render` turns it into
the bytes of one format; :func:`render_files` into the one file of a run
(one format, or a ZIP with one file per format when several are asked).

Typed cells keep the number apart from its display, so that the XLSX gets
real numbers with number formats, the CSV French decimals, and the PDF
French grouping, from the same rows. A hidden count (small-count
suppression, ``core.privacy``) has no value at all, only its display
(``"< 11"``, ``"masqué"``): no renderer can print what was hidden.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from core import privacy

TEXT, COUNT, MONEY, PERCENT, NUMBER, YEAR = "text", "count", "money", "percent", "number", "year"

FORMATS = ("csv", "xlsx", "pdf")
DEFAULT_FORMAT = "xlsx"
CONTENT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "zip": "application/zip",
}

#: Shown for a figure that cannot be computed (no denominator, no data).
MISSING = "—"


# --------------------------------------------------------------------------
# The format-independent model
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Value:
    """One cell: its kind, its number or text (None when hidden or missing) and what to show instead."""

    kind: str
    value: object = None
    display: str | None = None
    bold: bool = False

    @property
    def hidden(self) -> bool:
        return self.value is None


def text(value: object, *, bold: bool = False) -> Value:
    return Value(TEXT, "" if value is None else str(value), bold=bold)


def year(value: int, *, bold: bool = False) -> Value:
    """A year (or a project year): a whole number printed without grouping."""
    return Value(YEAR, int(value), bold=bold)


def count(value: int | privacy.Cell | None, *, bold: bool = False) -> Value:
    """A count: an int, or a :class:`core.privacy.Cell` (hidden cells keep only their display)."""
    if isinstance(value, privacy.Cell):
        if value.value is None:
            return Value(COUNT, None, str(value.display), bold=bold)
        value = value.value
    if value is None:
        return Value(COUNT, None, MISSING, bold=bold)
    return Value(COUNT, int(value), bold=bold)


def money(value, *, bold: bool = False) -> Value:
    if value is None:
        return Value(MONEY, None, MISSING, bold=bold)
    return Value(MONEY, quantize(value, "0.01"), bold=bold)


def percent(numerator, denominator, *, bold: bool = False) -> Value:
    """``numerator / denominator`` as a percentage (value 65.0 for 65 %); missing without a denominator."""
    if numerator is None or not denominator:
        return Value(PERCENT, None, MISSING, bold=bold)
    return Value(PERCENT, quantize(Decimal(100) * Decimal(numerator) / Decimal(denominator), "0.1"), bold=bold)


def number(value, places: str = "0.1", *, bold: bool = False) -> Value:
    if value is None:
        return Value(NUMBER, None, MISSING, bold=bold)
    return Value(NUMBER, quantize(value, places), bold=bold)


def hidden(kind: str = NUMBER, display: str | None = None) -> Value:
    """A figure withheld because it would reveal a small count."""
    return Value(kind, None, str(display or privacy.MASKED))


def blank() -> Value:
    return Value(TEXT, "")


def quantize(value, places: str) -> Decimal:
    return Decimal(value).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class Section:
    """One table of a report (one XLSX sheet)."""

    title: str
    columns: list[str]
    rows: list[list[Value]] = field(default_factory=list)
    note: str = ""
    #: Short name of the XLSX sheet (31 characters at most); the title when empty.
    sheet: str = ""

    def add(self, *cells: Value) -> None:
        assert len(cells) == len(self.columns), (self.title, len(cells), len(self.columns))
        self.rows.append(list(cells))


@dataclass
class Report:
    title: str
    scope: str
    period: str
    generated_at: datetime.datetime
    sections: list[Section] = field(default_factory=list)
    #: File name without extension (``rapport-financier-national-2024-12``).
    stem: str = "rapport"
    #: Lines printed under the title (sources, suppression rule).
    notes: list[str] = field(default_factory=list)

    def section(self, title: str, columns: Sequence[str], *, note: str = "", sheet: str = "") -> Section:
        section = Section(title=title, columns=list(columns), note=note, sheet=sheet)
        self.sections.append(section)
        return section

    def header_lines(self) -> list[tuple[str, str]]:
        return [
            (_("Périmètre"), self.scope),
            (_("Période"), self.period),
            (_("Généré le"), f"{self.generated_at:%d/%m/%Y à %H:%M}"),
        ]


# --------------------------------------------------------------------------
# Displays
# --------------------------------------------------------------------------

NBSP = "\u00a0"


def _grouped(value: Decimal | int, places: int) -> str:
    """French grouping with no-break spaces: ``1234.5`` → ``1 234,50`` (Latin-1 safe for the PDF fonts)."""
    quantum = Decimal(1).scaleb(-places)
    number_text = f"{abs(Decimal(value).quantize(quantum, rounding=ROUND_HALF_UP)):,.{places}f}"
    number_text = number_text.replace(",", NBSP).replace(".", ",")
    return ("-" if Decimal(value) < 0 else "") + number_text


def display(cell: Value) -> str:
    """What a reader sees (PDF): ``1 234,56 €``, ``65,0 %``, ``< 11``."""
    if cell.value is None:
        return cell.display or ""
    if cell.kind == MONEY:
        return f"{_grouped(cell.value, 2)}{NBSP}€"
    if cell.kind == PERCENT:
        return f"{_grouped(cell.value, 1)}{NBSP}%"
    if cell.kind == COUNT:
        return _grouped(cell.value, 0)
    if cell.kind == NUMBER:
        return _grouped(cell.value, -Decimal(cell.value).as_tuple().exponent)
    return str(cell.value)


def csv_value(cell: Value) -> str:
    """What a French spreadsheet parses: no grouping, a decimal comma (``1234,56``; percentages ``65,0``)."""
    if cell.value is None:
        return cell.display or ""
    if cell.kind in (MONEY, PERCENT, NUMBER):
        return f"{cell.value}".replace(".", ",")
    return str(cell.value)


# --------------------------------------------------------------------------
# CSV
# --------------------------------------------------------------------------


def render_csv(report: Report) -> bytes:
    """One CSV for the whole report: ``;``-separated, UTF-8 with BOM, one block per section.

    The first row names the report; each block is the section title, its
    header row, its rows and an empty row.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([report.title])
    for label, value in report.header_lines():
        writer.writerow([label, value])
    for note in report.notes:
        writer.writerow([note])
    writer.writerow([])
    for section in report.sections:
        writer.writerow([section.title])
        writer.writerow(section.columns)
        for row in section.rows:
            writer.writerow([csv_value(cell) for cell in row])
        if section.note:
            writer.writerow([section.note])
        writer.writerow([])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# --------------------------------------------------------------------------
# XLSX
# --------------------------------------------------------------------------

XLSX_FORMATS = {
    COUNT: "#,##0",
    MONEY: '#,##0.00\\ "€"',
    PERCENT: "0.0\\ %",
    NUMBER: "#,##0.0",
    YEAR: "0",
}


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid and unique sheet name: no ``[]:*?/\\``, 31 characters at most."""
    base = re.sub(r"[\[\]:*?/\\]", "-", title).strip("' ") or _("Feuille")
    base = base[:31]
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    taken.add(name.lower())
    return name


def render_xlsx(report: Report) -> bytes:
    """A workbook: a first sheet with the report's title, scope and period, then one sheet per section.

    Each section sheet has its bold header row on row 1, frozen, real
    numbers with French-looking number formats (money in €, percentages
    stored as fractions with the ``%`` format), and the note below.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    cover = workbook.active
    taken: set[str] = set()
    cover.title = sheet_title(_("Rapport"), taken)
    bold = Font(bold=True)
    cover["A1"] = report.title
    cover["A1"].font = Font(bold=True, size=14)
    row = 3
    for label, value in report.header_lines():
        cover.cell(row=row, column=1, value=label).font = bold
        cover.cell(row=row, column=2, value=value)
        row += 1
    row += 1
    for note in report.notes:
        cover.cell(row=row, column=1, value=note)
        row += 1
    row += 1
    cover.cell(row=row, column=1, value=_("Feuilles")).font = bold
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 60

    for section in report.sections:
        name = sheet_title(section.sheet or section.title, taken)
        row += 1
        cover.cell(row=row, column=1, value=name)
        cover.cell(row=row, column=2, value=section.title)
        sheet = workbook.create_sheet(name)
        widths = [len(label) for label in section.columns]
        for col, label in enumerate(section.columns, start=1):
            header = sheet.cell(row=1, column=col, value=label)
            header.font = bold
            header.alignment = Alignment(wrap_text=True, vertical="top")
        for r, cells in enumerate(section.rows, start=2):
            for col, value in enumerate(cells, start=1):
                target = sheet.cell(row=r, column=col)
                if value.value is None:
                    target.value = value.display or None
                    target.alignment = Alignment(horizontal="right")
                elif value.kind == PERCENT:
                    target.value = float(Decimal(value.value) / 100)
                    target.number_format = XLSX_FORMATS[PERCENT]
                elif value.kind in (MONEY, NUMBER):
                    target.value = float(value.value)
                    target.number_format = XLSX_FORMATS[value.kind]
                elif value.kind in (COUNT, YEAR):
                    target.value = int(value.value)
                    target.number_format = XLSX_FORMATS[value.kind]
                else:
                    target.value = value.value
                if value.bold:
                    target.font = bold
                widths[col - 1] = max(widths[col - 1], len(display(value)))
        if section.note:
            sheet.cell(row=len(section.rows) + 3, column=1, value=section.note)
        for col, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(col)].width = min(max(width + 2, 10), 60)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --------------------------------------------------------------------------
# PDF
# --------------------------------------------------------------------------


def _numbered_canvas_class(label: str, pagesize: tuple[float, float]):
    """A canvas that prints "Page n / N" at the foot of every page (N known once all pages are laid out)."""
    from reportlab.lib.units import mm
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    def _fit(value: str, width: float) -> str:
        """The footer label cut with an ellipsis to the width left by the page number."""
        if stringWidth(value, "Helvetica", 8) <= width:
            return value
        while value and stringWidth(value + "…", "Helvetica", 8) > width:
            value = value[:-1]
        return value.rstrip() + "…"

    class NumberedCanvas(canvas.Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._saved_pages: list[dict] = []

        def showPage(self):  # noqa: N802 (reportlab's API)
            self._saved_pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._saved_pages)
            for state in self._saved_pages:
                self.__dict__.update(state)
                self.setFont("Helvetica", 8)
                page = _("Page %(n)s / %(total)s") % {"n": self._pageNumber, "total": total}
                self.drawRightString(pagesize[0] - 15 * mm, 10 * mm, page)
                self.drawString(15 * mm, 10 * mm, _fit(label, pagesize[0] - 30 * mm - stringWidth(page, "Helvetica", 8) - 10 * mm))
                super().showPage()
            super().save()

    return NumberedCanvas


def _latin(value: str) -> str:
    """Keep to the characters of the PDF standard fonts (cp1252): → becomes –, the narrow no-break space a no-break space."""
    value = value.replace("\u202f", NBSP).replace("→", "–").replace("\u2212", "-").replace("≥", ">=").replace("≤", "<=")
    return value.encode("cp1252", errors="replace").decode("cp1252")


def _pdf_text(value: str) -> str:
    """Text for a reportlab paragraph: standard-font characters, mini-markup escaped."""
    return _latin(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def render_pdf(report: Report) -> bytes:
    """A4 document: title, scope, period and generation date, then each section as a table.

    Tables split across pages and repeat their header row; every page is
    numbered "Page n / N". Numbers are right-aligned and shown the French
    way (``1 234,56 €``, ``65,0 %``).
    """
    from reportlab.lib import colors
    from reportlab.lib.enums import TA_RIGHT
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import CondPageBreak, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    title_style = ParagraphStyle("ReportTitle", parent=styles["Title"], fontSize=16, leading=20, alignment=0)
    heading = ParagraphStyle("SectionTitle", parent=styles["Heading2"], fontSize=11, leading=14, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("Body", parent=styles["BodyText"], fontSize=9, leading=11)
    small = ParagraphStyle("Small", parent=body, fontSize=7.5, leading=9, textColor=colors.HexColor("#444444"))
    cell_style = ParagraphStyle("Cell", parent=body, fontSize=CELL_FONT_SIZE, leading=9)
    cell_bold = ParagraphStyle("CellBold", parent=cell_style, fontName="Helvetica-Bold")
    number_style = ParagraphStyle("Number", parent=cell_style, alignment=TA_RIGHT)
    number_bold = ParagraphStyle("NumberBold", parent=number_style, fontName="Helvetica-Bold")
    header_style = ParagraphStyle("Header", parent=cell_style, fontName="Helvetica-Bold", textColor=colors.white)

    buffer = io.BytesIO()
    margin = 15 * mm
    # Landscape A4 when a table cannot fit the portrait width even with its text columns wrapped.
    pagesize = landscape(A4) if any(_min_width(s) > A4[0] - 2 * margin for s in report.sections if s.rows) else A4
    doc = SimpleDocTemplate(
        buffer, pagesize=pagesize, leftMargin=margin, rightMargin=margin, topMargin=margin, bottomMargin=18 * mm,
        title=report.title, author=_("Plateforme logement accompagné"), subject=report.scope,
    )
    story: list = [Paragraph(_pdf_text(report.title), title_style)]
    for label, value in report.header_lines():
        story.append(Paragraph(f"<b>{_pdf_text(label)}</b> : {_pdf_text(value)}", body))
    for note in report.notes:
        story.append(Paragraph(_pdf_text(note), small))
    story.append(Spacer(1, 4 * mm))

    width = pagesize[0] - 2 * margin
    for section in report.sections:
        title = Paragraph(_pdf_text(section.title), heading)
        if not section.rows:
            story.append(KeepTogether([title, Paragraph(_pdf_text(_("Aucune donnée pour ce périmètre et cette période.")), body)]))
            continue
        data = [[Paragraph(_pdf_text(label), header_style) for label in section.columns]]
        for row in section.rows:
            data.append([
                Paragraph(
                    _pdf_text(display(cell)),
                    (cell_bold if cell.bold else cell_style) if cell.kind == TEXT else (number_bold if cell.bold else number_style),
                )
                for cell in row
            ])
        table = Table(data, colWidths=_column_widths(section, width), repeatRows=1, hAlign="LEFT")
        table.setStyle(TableStyle([
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#1f3b5c")),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#b0b7c0")),
            ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f4f7")]),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("TOPPADDING", (0, 0), (-1, -1), 2),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
            ("LEFTPADDING", (0, 0), (-1, -1), 3),
            ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ]))
        story.append(CondPageBreak(35 * mm))  # a section title never ends a page on its own
        story.append(title)
        story.append(table)
        if section.note:
            story.append(Paragraph(_pdf_text(section.note), small))
    label = f"{report.title} — {report.period} — {report.scope}"  # the scope last: it is what gets cut when too long
    doc.build(story, canvasmaker=_numbered_canvas_class(_latin(label), pagesize))
    return buffer.getvalue()


#: Font size of the table cells, and the narrowest a wrapping text column gets (points).
CELL_FONT_SIZE = 7.5
MIN_TEXT_WIDTH = 70.0
CELL_PADDING = 8.0


def _needs(section: Section) -> list[tuple[float, float, bool]]:
    """Per column: (widest single word or number, whole longest content, is text) in points at the cell font size."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    def width(value: str, bold: bool = False) -> float:
        return stringWidth(value, "Helvetica-Bold" if bold else "Helvetica", CELL_FONT_SIZE) + CELL_PADDING

    needs = []
    for i, label in enumerate(section.columns):
        cells = [row[i] for row in section.rows]
        is_text = all(cell.kind == TEXT for cell in cells)
        header_word = max((width(word, True) for word in label.split()), default=CELL_PADDING)
        if is_text:
            words = [width(word, cell.bold) for cell in cells for word in display(cell).split()]
            longest = max([width(display(cell), cell.bold) for cell in cells] + [width(label, True)])
            needs.append((max(words + [header_word]), longest, True))
        else:
            widest = max([width(display(cell), cell.bold) for cell in cells] + [header_word])
            needs.append((widest, widest, False))
    return needs


def _min_width(section: Section) -> float:
    return sum(max(word, MIN_TEXT_WIDTH) if is_text else word for word, _longest, is_text in _needs(section))


def _column_widths(section: Section, width: float) -> list[float]:
    """Number columns as wide as their widest figure (they never wrap); text columns share what is left.

    A text column gets its longest content when everything fits, else a
    share of the room left in proportion to its content, never less than
    its longest word. If even that does not fit, every column shrinks in
    proportion.
    """
    needs = _needs(section)
    fixed = sum(longest for _word, longest, is_text in needs if not is_text)
    text_cols = [(i, word, longest) for i, (word, longest, is_text) in enumerate(needs) if is_text]
    widths = [longest for _word, longest, _is_text in needs]
    room = width - fixed
    wanted = sum(longest for _i, _word, longest in text_cols)
    if text_cols and wanted > room:
        floors = {i: min(max(word, MIN_TEXT_WIDTH), longest) for i, word, longest in text_cols}
        spare = room - sum(floors.values())
        extra = sum(longest - floors[i] for i, _word, longest in text_cols) or 1
        for i, _word, longest in text_cols:
            widths[i] = floors[i] + max(spare, 0) * (longest - floors[i]) / extra
    elif text_cols:
        # Room to spare: give it to the text columns.
        for i, _word, longest in text_cols:
            widths[i] = longest + (room - wanted) / len(text_cols)
    total = sum(widths)
    if total > width:
        widths = [w * width / total for w in widths]
    return widths


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------

RENDERERS = {"csv": render_csv, "xlsx": render_xlsx, "pdf": render_pdf}


def requested_formats(parameters: dict | None) -> list[str]:
    """The formats of ``parameters["format"]``: ``"pdf"``, ``"csv,xlsx"`` or ``["csv", "pdf"]``; ``xlsx`` by default.

    An unknown format is an error (a French message on the failed run), not a silent fallback.
    """
    wanted = (parameters or {}).get("format") or DEFAULT_FORMAT
    if isinstance(wanted, str):
        wanted = wanted.split(",")
    if not isinstance(wanted, Iterable):
        raise ValueError(_("Format de fichier inconnu : %(format)s (formats possibles : csv, xlsx, pdf).") % {"format": wanted})
    formats: list[str] = []
    for item in wanted:
        fmt = str(item).strip().lower()
        if fmt not in FORMATS:
            raise ValueError(_("Format de fichier inconnu : %(format)s (formats possibles : csv, xlsx, pdf).") % {"format": item})
        if fmt not in formats:
            formats.append(fmt)
    return formats or [DEFAULT_FORMAT]


def render(report: Report, fmt: str) -> bytes:
    return RENDERERS[fmt](report)


def render_files(report: Report, formats: Sequence[str]) -> tuple[str, bytes]:
    """The one file of a run: ``(name, content)``; a ZIP holding one file per format when several are asked."""
    if len(formats) == 1:
        return f"{report.stem}.{formats[0]}", render(report, formats[0])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for fmt in formats:
            archive.writestr(f"{report.stem}.{fmt}", render(report, fmt))
    return f"{report.stem}.zip", buffer.getvalue()

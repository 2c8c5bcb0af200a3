"""Small-count suppression of household figures (DESIGN.md §3).

Counts of households or persons from 1 to 10 are shown as "< 11" in any
output seen outside the organisations that work on those households, after
filters are applied. When a row of counts is shown with its total, hiding a
single cell is not enough (total − the other cells gives it back), so the
next smallest non-zero cell is hidden too (*complementary* suppression).
Counts of projects, planned targets and money are never suppressed: do not
route them through these helpers.

The helpers return display strings (or :class:`Cell` objects that print
as their display), so a template cannot print the hidden value by mistake.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.formats import number_format
from django.utils.translation import gettext_lazy as _

#: Smallest count shown as such; 1 .. THRESHOLD - 1 are hidden.
THRESHOLD = 11
#: Display of a count hidden because it is small (primary suppression).
SMALL = "< 11"
#: Display of a count hidden only so that a small one cannot be recomputed.
MASKED = _("masqué")


def is_small(count: int | None) -> bool:
    """1 to 10: a count that must not be shown outside the organisations concerned."""
    return count is not None and 0 < count < THRESHOLD


def format_count(count: int) -> str:
    """A count as a French reader reads it: ``1234`` → ``1 234``."""
    return number_format(count, decimal_pos=0, use_l10n=True, force_grouping=True)


def small_count(count: int | None) -> str:
    """``"< 11"`` for 1 to 10, otherwise the count formatted (``0`` stays ``0``); ``"—"`` for None."""
    if count is None:
        return "—"
    if is_small(count):
        return SMALL
    return format_count(count)


@dataclass(frozen=True)
class Cell:
    """One count of a table row: its display and whether it is hidden.

    ``value`` is None when hidden, so that nothing downstream (a ratio, a
    progress bar, a CSV) can leak it.
    """

    value: int | None
    display: str
    suppressed: bool = False

    def __str__(self) -> str:
        return str(self.display)


def shown(count: int) -> Cell:
    """A count shown as it is (to the organisations that work on the households)."""
    return Cell(value=count, display=format_count(count))


def cell(count: int | None, *, suppress: bool = True) -> Cell:
    """One count on its own (no total next to it): primary suppression only."""
    if count is None:
        return Cell(value=None, display="—")
    if suppress and is_small(count):
        return Cell(value=None, display=SMALL, suppressed=True)
    return shown(count)


def suppress_row(counts: Sequence[int], *, with_total: bool = True, suppress: bool = True) -> tuple[list[Cell], Cell | None]:
    """Cells of a row of counts and the cell of its total (the sum), suppressed.

    1. every count from 1 to 10 is hidden (``"< 11"``), the total too;
    2. with the total shown, if exactly one cell is hidden, the next
       smallest non-zero cell is hidden as well (``"masqué"``), so that the
       total minus the visible cells gives a sum of two unknowns. A zero
       is not a candidate: hiding it would not protect anything, since the
       reader would still get the small cell as total − visible cells…
       unless the total is itself small, which step 1 already hides.

    ``suppress=False`` (a viewer who works on those households) shows
    everything.
    """
    counts = [int(c) for c in counts]
    total = sum(counts)
    if not suppress:
        return [shown(c) for c in counts], (shown(total) if with_total else None)
    hidden = {i for i, c in enumerate(counts) if is_small(c)}
    secondary: set[int] = set()
    total_cell = cell(total) if with_total else None
    if with_total and len(hidden) == 1 and not total_cell.suppressed:
        candidates = [(c, i) for i, c in enumerate(counts) if i not in hidden and c > 0]
        if candidates:
            secondary.add(min(candidates)[1])
    cells = []
    for i, count in enumerate(counts):
        if i in hidden:
            cells.append(Cell(value=None, display=SMALL, suppressed=True))
        elif i in secondary:
            cells.append(Cell(value=None, display=MASKED, suppressed=True))
        else:
            cells.append(shown(count))
    return cells, total_cell


def _hidden(count: int, *, secondary: bool = False) -> Cell:
    # "< 11" only when that is true of the whole count; a larger count hidden
    # because of its small outside part reads "masqué".
    return Cell(value=None, display=SMALL if (is_small(count) and not secondary) else MASKED, suppressed=True)


def suppress_row_outside(
    counts: Sequence[int], outside: Sequence[int], *, with_total: bool = True
) -> tuple[list[Cell], Cell | None]:
    """Like :func:`suppress_row`, for a viewer who works on some of the households counted.

    ``outside[i]`` is the part of ``counts[i]`` that the viewer's
    organisation does not work on (the viewer knows its own part, so a cell
    gives ``count − own`` away): a cell is hidden when that part is 1 to
    10, the total when the sum of those parts is; the complementary cell is
    chosen among the cells with a non-zero outside part (hiding a cell the
    viewer could recompute from its own files protects nothing).

    ``outside == counts`` (national staff, funders) gives exactly the cells
    of :func:`suppress_row`; ``outside`` all zero shows everything.
    """
    counts = [int(c) for c in counts]
    outside = [int(o) for o in outside]
    if len(counts) != len(outside) or any(o < 0 or o > c for c, o in zip(counts, outside)):
        raise ValueError("each outside part must lie between 0 and its count")
    total = sum(counts)
    hidden = {i for i, o in enumerate(outside) if is_small(o)}
    total_cell = None
    if with_total:
        total_cell = _hidden(total) if is_small(sum(outside)) else shown(total)
    secondary: set[int] = set()
    if with_total and len(hidden) == 1 and not total_cell.suppressed:
        candidates = [(outside[i], counts[i], i) for i in range(len(counts)) if i not in hidden and outside[i] > 0]
        if candidates:
            secondary.add(min(candidates)[2])
        else:  # cannot happen (the total's outside part would be small), but never leak
            total_cell = _hidden(total)
    cells = []
    for i, count in enumerate(counts):
        if i in hidden:
            cells.append(_hidden(count))
        elif i in secondary:
            cells.append(_hidden(count, secondary=True))
        else:
            cells.append(shown(count))
    return cells, total_cell


def cell_outside(count: int | None, outside: int | None) -> Cell:
    """One count on its own for a viewer who works on part of it (``outside``: the rest)."""
    if count is None:
        return Cell(value=None, display="—")
    if is_small(outside):
        return _hidden(count)
    return shown(count)

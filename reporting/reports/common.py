"""What every report builder needs: the run's scope, its years, whether counts are suppressed, the report shell."""

from __future__ import annotations

from dataclasses import dataclass, replace

from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from core import privacy
from projects.models import Project

from .. import render
from ..models import ReportKind, ReportRun, ReportScope


@dataclass
class Context:
    run: ReportRun
    #: Household counts 1–10 hidden (national, département and funder scopes: DESIGN.md §3).
    suppress: bool
    years: list[int]
    projects: list[Project]

    @property
    def project_ids(self) -> list[int]:
        return [project.pk for project in self.projects]

    def project_level(self) -> Context:
        """The context of counts read from project-wide rollups (every supporting organisation of the project together).

        An association's run reads its own measures unsuppressed, but a
        project-wide count also holds the households of the project's other
        associations, on which it does not work: those are suppressed.
        """
        return replace(self, suppress=self.suppress or self.run.scope == ReportScope.ASSOCIATION)

    def cell(self, value: int | None) -> render.Value:
        """A household count on its own: primary suppression."""
        return render.count(privacy.cell(value, suppress=self.suppress))

    def column(self, values: list[int], *, with_total: bool = True) -> tuple[list[render.Value], render.Value | None]:
        """Household counts with their total: complementary suppression (the total cannot give a hidden cell back)."""
        cells, total = privacy.suppress_row(values, with_total=with_total, suppress=self.suppress)
        return [render.count(c) for c in cells], (render.count(total, bold=True) if total is not None else None)


def context(run: ReportRun) -> Context:
    from ..builders import SUPPRESSED_SCOPES, scope_projects

    projects = sorted(scope_projects(run).only("pk", "number", "title", "category", "lead_landlord_id"), key=number_key)
    return Context(
        run=run,
        suppress=run.scope in SUPPRESSED_SCOPES,
        years=list(range(run.period_start.year, run.period_end.year + 1)),
        projects=projects,
    )


def number_key(project: Project) -> tuple:
    """Order of the guide: 2.1.2 before 2.1.11 (numbers compared as numbers), then by id."""
    parts = tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in (project.number or "").split("."))
    return (parts, project.pk)


def project_label(project: Project) -> str:
    return f"{project.number} — {project.title}" if project.number else project.title


def scope_label(run: ReportRun) -> str:
    if run.scope == ReportScope.PROJECT:
        return f"{run.get_scope_display()} : {project_label(run.project)}"
    if run.scope == ReportScope.DEPARTEMENT:
        return _("Département %(code)s") % {"code": run.departement}
    if run.organisation_id:
        return f"{run.get_scope_display()} : {run.organisation}"
    return _("National (tout le programme)")


def new_report(run: ReportRun, ctx: Context) -> render.Report:
    kind = ReportKind(run.kind)
    subject = {
        ReportScope.PROJECT: run.project.number if run.project_id else "",
        ReportScope.DEPARTEMENT: run.departement,
    }.get(run.scope) or (run.organisation.name if run.organisation_id else "")
    stem = slugify(f"{kind.label} {run.get_scope_display()} {subject} {run.period_start:%Y%m%d} {run.period_end:%Y%m%d} {run.pk or ''}")
    notes = []
    if ctx.suppress:
        notes.append(
            _("Secret statistique : les effectifs de ménages de 1 à 10 sont affichés « < 11 » et une autre case est "
              "« masquée » quand un total permettrait de les retrouver. Les montants, les projets et les objectifs ne sont pas masqués.")
        )
    if run.scope == ReportScope.ASSOCIATION:
        notes.append(
            _("Les effectifs tirés des totaux par projet (orientations, objectifs annuels, ménages de la synthèse financière) "
              "comptent aussi les ménages suivis par les autres partenaires du projet : de 1 à 10, ils sont affichés « < 11 ».")
        )
    return render.Report(
        title=str(kind.label),
        scope=scope_label(run),
        period=_("du %(start)s au %(end)s") % {"start": f"{run.period_start:%d/%m/%Y}", "end": f"{run.period_end:%d/%m/%Y}"},
        generated_at=timezone.localtime(),
        stem=stem or "rapport",
        notes=notes,
    )


def suppress_table(matrix: list[list[int]], *, suppress: bool) -> tuple[list[list[privacy.Cell]], list[privacy.Cell], list[privacy.Cell], privacy.Cell]:
    """A table of household counts shown with its row totals, column totals and grand total (DESIGN.md §3).

    Every count from 1 to 10 is hidden ("< 11"); then, as long as some row
    or column (its total included) has exactly one hidden cell, the
    smallest non-zero visible cell of that line is hidden as well
    ("masqué"), so that no hidden cell is the difference between a total
    and visible cells. Returns (cells, row totals, column totals, grand total).
    """
    n_rows, n_cols = len(matrix), len(matrix[0]) if matrix else 0
    grid = [list(row) + [sum(row)] for row in matrix]
    grid.append([sum(matrix[i][j] for i in range(n_rows)) for j in range(n_cols)] + [sum(sum(row) for row in matrix)])
    small = {(i, j) for i, row in enumerate(grid) for j, value in enumerate(row) if suppress and privacy.is_small(value)}
    hidden = set(small)
    lines = [[(i, j) for j in range(n_cols + 1)] for i in range(n_rows + 1)] + [[(i, j) for i in range(n_rows + 1)] for j in range(n_cols + 1)]
    changed = suppress
    while changed:
        changed = False
        for line in lines:
            if sum(1 for key in line if key in hidden) != 1:
                continue
            candidates = [(grid[i][j], (i, j)) for i, j in line if (i, j) not in hidden and grid[i][j] > 0]
            if candidates:
                hidden.add(min(candidates)[1])
                changed = True

    def make(i: int, j: int) -> privacy.Cell:
        if (i, j) in small:
            return privacy.Cell(value=None, display=privacy.SMALL, suppressed=True)
        if (i, j) in hidden:
            return privacy.Cell(value=None, display=privacy.MASKED, suppressed=True)
        return privacy.shown(grid[i][j])

    cells = [[make(i, j) for j in range(n_cols)] for i in range(n_rows)]
    return cells, [make(i, n_cols) for i in range(n_rows)], [make(n_rows, j) for j in range(n_cols)], make(n_rows, n_cols)

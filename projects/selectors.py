"""Reads of projects that are more than a queryset chain.

Everything starts from ``core.access.visible_to``: the caller passes the
actor, these functions never decide who sees what. Household figures are
reached through ORM lookup paths (``measures__household``), so projects does
not import households (DESIGN.md §4); their suppression for viewers outside
the organisations concerned is the view's job (``core.privacy``).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import Case, Count, DecimalField, F, Func, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce, Lower

from core import access
from core.access import Actor
from core.text import fold

from .models import (
    BudgetLine,
    CommitteeMeeting,
    Funding,
    FundingDecision,
    Payment,
    PaymentKind,
    Project,
    ProjectStatus,
)

ZERO = Value(Decimal("0"), output_field=DecimalField(max_digits=14, decimal_places=2))
MONEY = DecimalField(max_digits=14, decimal_places=2)

# ------------------------------------------------------------------ sort and search keys

_ACCENTED = "àâäáãåçéèêëíìîïñóòôöõúùûüýÿÀÂÄÁÃÅÇÉÈÊËÍÌÎÏÑÓÒÔÖÕÚÙÛÜÝŸ"
_PLAIN = "aaaaaaceeeeiiiinooooouuuuyyAAAAAACEEEEIIIINOOOOOUUUUYY"


def folded(expression) -> Func:
    """SQL twin of :func:`core.text.fold` (the embedded PostgreSQL has no unaccent).

    Accents off, œ/æ spelt out, lower case, every run of other characters a
    single space: ``"Accès à l'Œuvre"`` → ``" acces a l oeuvre"`` (padded with
    spaces so that a word can be matched at its start).
    """
    text = expression if not isinstance(expression, str) else F(expression)
    for ligature, spelt in (("œ", "oe"), ("Œ", "oe"), ("æ", "ae"), ("Æ", "ae")):
        text = Func(text, Value(ligature), Value(spelt), function="replace")
    text = Lower(Func(text, Value(_ACCENTED), Value(_PLAIN), function="translate"))
    text = Func(text, Value("[^0-9a-z]+"), Value(" "), Value("g"), function="regexp_replace")
    return Func(Value(" "), text, Value(" "), function="concat", output_field=models.CharField())


def natural_key(field: str = "number") -> Func:
    """Sort key of a guide number: every run of digits left-padded to 6, so 2.3.9 < 2.3.19."""
    padded = Func(F(field), Value(r"([0-9]+)"), Value(r"00000\1"), Value("g"), function="regexp_replace")
    return Func(padded, Value(r"0*([0-9]{6})"), Value(r"\1"), Value("g"), function="regexp_replace", output_field=models.CharField())


#: Projects in the order of their life (déposé → retenu → en cours → clôturé).
STATUS_ORDER = Case(
    *(When(status=value, then=Value(rank)) for rank, value in enumerate(
        [ProjectStatus.SUBMITTED, ProjectStatus.RETAINED, ProjectStatus.NOT_RETAINED, ProjectStatus.IN_PROGRESS, ProjectStatus.CLOSED]
    )),
    default=Value(9),
    output_field=models.IntegerField(),
)


def text_search(queryset: models.QuerySet, q: str) -> models.QuerySet:
    """Projects whose number starts with ``q`` or whose title holds every word of ``q`` (accents ignored)."""
    q = (q or "").strip()
    words = fold(q).split()
    if not q:
        return queryset
    by_title = Q()
    for word in words:
        by_title &= Q(title_folded__contains=f" {word}")  # start of a word: "acc" finds "Accès"
    condition = Q(number__startswith=q)
    if words:
        condition |= by_title
    return queryset.annotate(title_folded=folded("title")).filter(condition)


# ------------------------------------------------------------------ the list


def funding_total_subquery() -> Coalesce:
    """Amount granted to a project, all funders (a subquery: no row multiplication)."""
    granted = (
        Funding.objects.filter(project=OuterRef("pk"), decision=FundingDecision.GRANTED)
        .order_by()
        .values("project")
        .annotate(total=Sum("amount_awarded"))
        .values("total")
    )
    return Coalesce(Subquery(granted, output_field=MONEY), ZERO)


def project_list(actor: Actor) -> models.QuerySet:
    """Projects ``actor`` may see, with what the list shows and sorts on."""
    return (
        access.visible_to(actor, Project)
        .select_related("lead_landlord", "session")
        .annotate(
            number_key=natural_key(),
            title_key=folded("title"),
            status_rank=STATUS_ORDER,
            funding_total=funding_total_subquery(),
        )
    )


PROJECT_SORTS = {
    "numero": ("number_key",),
    "intitule": ("title_key",),
    "categorie": ("category", "number_key"),
    "statut": ("status_rank", "number_key"),
    "session": ("session__held_on", "session__name", "number_key"),
    "bailleur": ("lead_landlord__normalized_name", "number_key"),
    "menages": ("target_households", "number_key"),
    "financement": ("funding_total", "number_key"),
}


# ------------------------------------------------------------------ one project


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February → 28 February
        return day.replace(year=day.year + years, day=28)


@dataclass(frozen=True)
class ProjectYear:
    """Project year N: from the start date + (N−1) years to the day before start + N years."""

    number: int
    starts_on: datetime.date
    ends_on: datetime.date


def project_years(project: Project, up_to: int) -> list[ProjectYear]:
    if project.starts_on is None:
        return []
    return [
        ProjectYear(n, add_years(project.starts_on, n - 1), add_years(project.starts_on, n) - datetime.timedelta(days=1))
        for n in range(1, up_to + 1)
    ]


def duration_in_years(project: Project) -> int:
    if not project.duration_months:
        return 0
    return -(-project.duration_months // 12)  # ceiling


def households_supported_by_year(project: Project, years: list[ProjectYear], today: datetime.date) -> dict[int, int]:
    """Households with a measure of this project active at some point of each project year (one query).

    A measure is active from its repérage (``identified_on``) to its end
    (``ended_on``, open-ended while running). A household counts once a
    year, whatever the number of its measures. The current year counts up
    to ``today``; a year not begun yet is absent from the result.
    """
    started = [year for year in years if year.starts_on <= today]
    if not started:
        return {}
    aggregates = {
        f"y{year.number}": Count(
            "measures__household",
            distinct=True,
            filter=Q(measures__identified_on__lte=min(year.ends_on, today))
            & (Q(measures__ended_on__isnull=True) | Q(measures__ended_on__gte=year.starts_on)),
        )
        for year in started
    }
    counts = Project.objects.filter(pk=project.pk).aggregate(**aggregates)
    return {year.number: counts[f"y{year.number}"] or 0 for year in started}


def measure_phase_choices() -> list[tuple[str, str]]:
    """Phases of a support measure, read from the related model (households is above projects)."""
    return list(Project._meta.get_field("measures").related_model._meta.get_field("phase").choices)


def measures_by_phase(project: Project) -> dict[str, int]:
    """Support measures of the project per phase (one query)."""
    rows = (
        Project.objects.filter(pk=project.pk, measures__isnull=False)
        .values("measures__phase")
        .annotate(n=Count("measures"))
        .order_by()
    )
    return {row["measures__phase"]: row["n"] for row in rows}


def carriers(actor: Actor, project: Project):
    from .models import ProjectCarrier

    return (
        access.visible_to(actor, ProjectCarrier)
        .filter(project=project)
        .select_related("organisation")
        .order_by("role", "organisation__normalized_name")
    )


def actions(actor: Actor, project: Project):
    from .models import Action

    return access.visible_to(actor, Action).filter(project=project).select_related("partner").order_by("title")


def targets(actor: Actor, project: Project):
    from .models import ProjectTarget

    return access.visible_to(actor, ProjectTarget).filter(project=project).order_by("year")


def budget_lines(actor: Actor, project: Project):
    """Budget lines with what was spent on each (subquery: constant query count)."""
    from .models import Expense

    spent = (
        Expense.objects.filter(budget_line=OuterRef("pk")).order_by().values("budget_line").annotate(total=Sum("amount")).values("total")
    )
    return (
        access.visible_to(actor, BudgetLine)
        .filter(project=project)
        .select_related("action")
        .annotate(spent=Coalesce(Subquery(spent, output_field=MONEY), ZERO))
        .order_by("year", "kind", "action__title")
    )


def fundings(actor: Actor, project: Project):
    """Fundings with the instalments received on each."""
    received = (
        Payment.objects.filter(funding=OuterRef("pk"), kind=PaymentKind.GRANT_INSTALMENT)
        .order_by()
        .values("funding")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return (
        access.visible_to(actor, Funding)
        .filter(project=project)
        .select_related("funder")
        .annotate(received=Coalesce(Subquery(received, output_field=MONEY), ZERO))
        .order_by("programme", "funder__normalized_name")
    )


def partner_transfers(actor: Actor, project: Project):
    """What the lead landlord paid on to its partners."""
    return (
        access.visible_to(actor, Payment)
        .filter(project=project, kind=PaymentKind.PARTNER_TRANSFER)
        .select_related("payer", "payee")
        .order_by("-paid_on", "-pk")
    )


def committee_meetings(actor: Actor, project: Project):
    return (
        access.visible_to(actor, CommitteeMeeting)
        .filter(project=project)
        .prefetch_related("participants", "decisions")
        .order_by("-held_on", "-pk")
    )

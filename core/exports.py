"""CSV and XLSX exports of the lists (issue 8, point 6).

Every list of the application exports what it shows: the same queryset
(``core.access.visible_to``), the same FilterSet and the same sort keys as
its page (``core.lists.build_listing``), with the columns the actor may
read. A list declares only a *builder*: a function ``build(request,
**kwargs) -> Table`` of its view module, decorated with
:func:`builder`, that returns its rows (a queryset, filtered and sorted,
not paginated: ``listing.page.paginator.object_list``) and its columns;
its view answers ``exports.respond(request, build, fmt, **kwargs)`` when
:func:`requested_format` says so. This module does the rest:

- ``?export=csv`` / ``?export=xlsx`` on the list's own URL (the "Exporter"
  menu keeps the query string, so the filters and the sort come along);
- up to ``settings.EXPORT_BACKGROUND_ROWS`` rows (10 000): streamed at once,
  CSV with ``StreamingHttpResponse`` (UTF-8 with BOM, ``;`` separator, dates
  ``dd/mm/yyyy``, decimal comma: what French Excel opens as is), XLSX built
  with openpyxl's write-only mode in a temporary file and sent in chunks
  (real dates, amounts as numbers with a € format);
- above: an :class:`~core.models.ExportJob` built by the Celery task
  ``core.build_export`` into a file, with a progress page (htmx polling)
  and a download link, both for the requester only (user *and* the
  membership they acted through), the file expiring after
  ``EXPORT_FILE_TTL_HOURS`` (purged by ``core.purge_exports`` and refused
  on access);
- every export is audited (``core.audit.record_event(action="export")``):
  who, for which organisation, which list, which filters (values of
  free-text filters are not kept: a search term may be a name), how many
  rows.

Rows are read with ``.iterator(chunk_size=EXPORT_CHUNK_ROWS)`` over a
queryset whose relations are joined by the builder, so the number of
queries does not grow with the rows (a ``prefetch_related`` costs one query
per chunk of rows, not per row).

``core`` imports no app: a background job stores the dotted path of its
builder (code of the application, never user input) and imports it in the
worker, which runs only functions marked by :func:`builder`.
"""

from __future__ import annotations

import csv
import datetime
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.core.files import File
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponse, Http404, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from . import access, audit
from .access import Actor

logger = logging.getLogger(__name__)

#: Query parameter that asks a list for its export.
PARAM = "export"
CSV, XLSX = "csv", "xlsx"
FORMATS = (CSV, XLSX)
CONTENT_TYPES = {
    CSV: "text/csv; charset=utf-8",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: Column kinds.
TEXT, DATE, MONEY, INTEGER = "text", "date", "money", "integer"

#: Rows fetched per round trip (and per prefetch query).
EXPORT_CHUNK_ROWS = 2000
#: Progress is saved every so many rows by the background task.
PROGRESS_EVERY = 500
#: Parameters that are not filters (never recorded as such).
NOT_FILTERS = {PARAM, "page"}
#: Filters whose values are free text (may hold a name): recorded as "…".
FREE_TEXT_FILTERS = {"q"}

XLSX_DATE_FORMAT = "DD/MM/YYYY"
XLSX_MONEY_FORMAT = '#,##0.00\\ "€"'
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def background_threshold() -> int:
    return int(getattr(settings, "EXPORT_BACKGROUND_ROWS", 10_000))


def file_ttl() -> datetime.timedelta:
    return datetime.timedelta(hours=int(getattr(settings, "EXPORT_FILE_TTL_HOURS", 24)))


# --------------------------------------------------------------------------
# What a list declares
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column: French header, accessor (attribute path "a__b" or callable), kind."""

    header: Any
    accessor: str | Callable[[Any], Any]
    kind: str = TEXT
    width: int = 18

    def value(self, row: Any) -> Any:
        if callable(self.accessor):
            return self.accessor(row)
        return access.follow(row, self.accessor)


@dataclass
class Table:
    """What a list exports: rows already filtered and sorted, and the columns."""

    name: str  # stable key, e.g. "households" (audit, file name)
    title: Any  # French title of the list (sheet and file name)
    queryset: QuerySet
    columns: Sequence[Column]
    total: int  # rows of the filtered list (the list's own count)
    parameters: dict = field(default_factory=dict)  # filters and sort applied
    household_rows: bool = False  # national staff and funders never get these

    @property
    def model_label(self) -> str:
        return self.queryset.model._meta.label

    def rows(self) -> Iterator[Any]:
        return self.queryset.iterator(chunk_size=EXPORT_CHUNK_ROWS)


def builder(function: Callable[..., Table]) -> Callable[..., Table]:
    """Mark a list's export builder (a background job runs only marked functions)."""
    function.is_export_builder = True
    return function


def listing_parameters(request: HttpRequest) -> dict:
    """The list's filters and sort as they were asked for (for the job and the audit row)."""
    return {key: request.GET.getlist(key) for key in request.GET if key not in NOT_FILTERS}


def label_of(choices) -> Callable[[Any], str]:
    """Value → French label of a ``TextChoices`` (no query)."""
    labels = {value: str(label) for value, label in choices}
    return lambda value: labels.get(value, value or "")


# --------------------------------------------------------------------------
# Entry point used by the list views
# --------------------------------------------------------------------------


def requested_format(request: HttpRequest) -> str | None:
    value = request.GET.get(PARAM)
    return value if value in FORMATS else None


def respond(request: HttpRequest, build: Callable[..., Table], fmt: str, **kwargs) -> HttpResponse:
    """The export of the list ``build`` describes: streamed, or a background job above the threshold."""
    if not getattr(build, "is_export_builder", False):
        raise ImproperlyConfigured(f"{build!r} is not decorated with core.exports.builder")
    actor = access.actor_of(request)
    table = build(request, **kwargs)
    if table.household_rows and actor.aggregate_only:
        raise PermissionDenied  # aggregates only (DESIGN.md §3)
    if table.total > background_threshold():
        job = start_job(request, actor, build, fmt, table, kwargs)
        return redirect(job_url(job))
    record(actor, table, fmt, table.total, request=request)
    if fmt == CSV:
        response = StreamingHttpResponse(csv_stream(table), content_type=CONTENT_TYPES[CSV])
    else:
        handle = tempfile.TemporaryFile()
        write_xlsx(table, handle)
        handle.seek(0)
        response = FileResponse(handle, content_type=CONTENT_TYPES[XLSX])
    response["Content-Disposition"] = f'attachment; filename="{file_name(table, fmt)}"'
    response["Cache-Control"] = "no-store"
    return response


def file_name(table: Table, fmt: str) -> str:
    return f"{slugify(str(table.title)) or table.name}-{timezone.localdate():%Y-%m-%d}.{fmt}"


def record(actor: Actor, table: Table, fmt: str, rows: int, *, request: HttpRequest | None = None) -> None:
    """The audit row of one export: which list, which filters, how many rows."""
    filters = []
    for key, values in sorted(table.parameters.items()):
        if not any(values):
            continue
        shown = "…" if key in FREE_TEXT_FILTERS else ",".join(values)
        filters.append(f"{key}={shown}")
    reason = f"{table.name} {fmt} {rows} lignes" + (f" ; {' '.join(filters)}" if filters else "")
    audit.record_event(
        actor=actor, action="export", model_label=table.model_label, object_id=table.name,
        reason=reason[:200], request=request,
    )


# --------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------


class _Echo:
    def write(self, value: str) -> str:
        return value


def _safe_text(value: str) -> str:
    """A text cell that a spreadsheet will not run as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_cell(column: Column, value: Any) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%d/%m/%Y") if timezone.is_aware(value) else value.strftime("%d/%m/%Y")
    if isinstance(value, datetime.date):
        return value.strftime("%d/%m/%Y")
    if column.kind == MONEY or isinstance(value, (Decimal, float)):
        return f"{Decimal(value):.2f}".replace(".", ",")
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, int):
        return str(value)
    return _safe_text(str(value))


def csv_lines(table: Table, rows: Iterable[Any]) -> Iterator[str]:
    writer = csv.writer(_Echo(), delimiter=";", lineterminator="\r\n")
    yield "\ufeff" + writer.writerow([str(c.header) for c in table.columns])
    for row in rows:
        yield writer.writerow([csv_cell(c, c.value(row)) for c in table.columns])


def csv_stream(table: Table) -> Iterator[bytes]:
    with access.request_scope():
        for line in csv_lines(table, table.rows()):
            yield line.encode("utf-8")


def xlsx_value(column: Column, value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, datetime.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if column.kind == MONEY:
        return Decimal(value)
    if isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return str(value)


def write_xlsx(table: Table, handle, rows: Iterable[Any] | None = None, on_row: Callable[[int], None] | None = None) -> int:
    """Write the table into ``handle`` (openpyxl write-only mode); returns the number of rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(table.title))
    for index, column in enumerate(table.columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=str(column.header))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    count = 0
    with access.request_scope():
        for row in rows if rows is not None else table.rows():
            cells = []
            for column in table.columns:
                value = xlsx_value(column, column.value(row))
                cell = WriteOnlyCell(sheet, value=value)
                if isinstance(value, str):
                    cell.data_type = "s"  # never a formula
                elif isinstance(value, datetime.date):
                    cell.number_format = XLSX_DATE_FORMAT
                elif column.kind == MONEY and value is not None:
                    cell.number_format = XLSX_MONEY_FORMAT
                cells.append(cell)
            sheet.append(cells)
            count += 1
            if on_row is not None:
                on_row(count)
    workbook.save(handle)
    return count


def _sheet_title(title: Any) -> str:
    text = str(title)
    for char in "[]:*?/\\":
        text = text.replace(char, " ")
    return text[:31] or "Export"


# --------------------------------------------------------------------------
# Background jobs
# --------------------------------------------------------------------------


def builder_path(build: Callable) -> str:
    return f"{build.__module__}.{build.__qualname__}"


def start_job(request: HttpRequest, actor: Actor, build: Callable, fmt: str, table: Table, kwargs: dict):
    """Record the job and enqueue its build once the row is committed."""
    from django.db import transaction

    from .models import ExportJob
    from .tasks import build_export

    params = request.GET.copy()
    params.pop(PARAM, None)
    params.pop("page", None)
    job = ExportJob.objects.create(
        user=actor.user, membership_id=actor.membership_id, organisation_id=actor.organisation_id,
        role=actor.role or "", list_name=table.name, title=str(table.title)[:200], builder=builder_path(build),
        parameters={"query": params.urlencode(), "kwargs": kwargs, "path": request.path},
        format=fmt, total_rows=table.total,
    )
    transaction.on_commit(lambda: _enqueue(build_export, job))
    return job


def _enqueue(task, job) -> None:
    """Send the job to the workers; a broker that does not answer fails the job visibly."""
    from .models import ExportJob

    try:
        task.delay(job.pk)
    except Exception:  # noqa: BLE001 - shown on the job's page instead of a 500
        logger.exception("Could not enqueue export job %s", job.pk)
        ExportJob.objects.filter(pk=job.pk, status=ExportJob.Status.PENDING).update(
            status=ExportJob.Status.FAILED, finished_at=timezone.now(),
            error=_("Le traitement en arrière-plan est indisponible pour le moment. Réessayez plus tard."),
        )


def job_url(job) -> str:
    return reverse("core:export-job", args=[job.token])


def _job_request(job, actor: Actor) -> HttpRequest:
    """A stand-in for the request that asked for the export (GET parameters, user, actor)."""
    request = HttpRequest()
    request.method = "GET"
    request.path = job.parameters.get("path", "")
    request.GET = QueryDict(job.parameters.get("query", ""))
    request.user = job.user
    request.actor = actor
    request.session = {}
    return request


def _job_actor(job) -> Actor:
    """The actor of the job, from the membership it was asked through, if still active and unchanged."""
    from django.apps import apps

    membership = (
        apps.get_model("partners", "Membership")
        ._default_manager.filter(pk=job.membership_id, user_id=job.user_id, is_active=True, user__is_active=True)
        .first()
    )
    if membership is None or membership.organisation_id != job.organisation_id:
        raise PermissionDenied("membership no longer active")
    return Actor(user=job.user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


def build_job(job_id: int) -> None:
    """Build the file of one export job (called by the Celery task)."""
    from .models import ExportJob

    job = ExportJob.objects.select_related("user").get(pk=job_id)
    with translation.override(settings.LANGUAGE_CODE):
        _build(job)


def _build(job) -> None:
    from .models import ExportJob

    if job.status not in (ExportJob.Status.PENDING, ExportJob.Status.RUNNING):
        return
    ExportJob.objects.filter(pk=job.pk).update(status=ExportJob.Status.RUNNING, started_at=timezone.now(), progress=0)
    try:
        actor = _job_actor(job)
        request = _job_request(job, actor)
        build = import_string(job.builder)
        if not getattr(build, "is_export_builder", False):
            raise ImproperlyConfigured(f"{job.builder} is not an export builder")
        with access.request_scope():
            table = build(request, **job.parameters.get("kwargs", {}))
        if table.household_rows and actor.aggregate_only:
            raise PermissionDenied("aggregate-only role")
        total = max(table.total, 1)

        def on_row(count: int) -> None:
            if count % PROGRESS_EVERY == 0:
                ExportJob.objects.filter(pk=job.pk).update(progress=min(99, count * 100 // total), row_count=count)

        descriptor, path = tempfile.mkstemp(suffix=f".{job.format}")
        try:
            with os.fdopen(descriptor, "wb") as handle:
                if job.format == CSV:
                    count = 0
                    with access.request_scope():
                        for index, line in enumerate(csv_lines(table, table.rows())):
                            handle.write(line.encode("utf-8"))
                            if index:  # line 0 is the header
                                count = index
                                on_row(count)
                else:
                    count = write_xlsx(table, handle, on_row=on_row)
            with open(path, "rb") as source:
                job.file.save(file_name(table, job.format), File(source), save=False)
        finally:
            os.unlink(path)
        now = timezone.now()
        job.status, job.progress, job.row_count, job.finished_at = ExportJob.Status.DONE, 100, count, now
        job.expires_at = now + file_ttl()
        job.save(update_fields=["file", "status", "progress", "row_count", "finished_at", "expires_at"])
        record(actor, table, job.format, count)
    except Exception as error:  # noqa: BLE001 - recorded on the job, shown to its owner
        logger.exception("Export job %s failed", job.pk)
        message = _("Vous n'avez plus accès à cette liste.") if isinstance(error, PermissionDenied) else _(
            "L'export n'a pas pu être construit. Réessayez ou contactez l'administrateur."
        )
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED, error=str(message), finished_at=timezone.now()
        )


def purge_expired(now: datetime.datetime | None = None) -> int:
    """Delete the files of jobs past their expiry (and of jobs older than twice the TTL); returns how many."""
    from django.db.models import Q

    from .models import ExportJob

    now = now or timezone.now()
    stale = ExportJob.objects.filter(
        Q(expires_at__lte=now) | Q(created_at__lte=now - 2 * file_ttl())
    ).exclude(status=ExportJob.Status.EXPIRED)
    count = 0
    for job in stale.iterator(chunk_size=200):
        expire(job)
        count += 1
    return count


def expire(job) -> None:
    from .models import ExportJob

    if job.file:
        job.file.delete(save=False)
    job.status = ExportJob.Status.EXPIRED
    # The filters may hold a search term (a name): not kept past the file.
    job.parameters = {"path": job.parameters.get("path", "")}
    job.save(update_fields=["file", "status", "parameters"])


# --------------------------------------------------------------------------
# Job pages (core/urls.py)
# --------------------------------------------------------------------------


def job_of(request: HttpRequest, token) -> Any:
    """The job of ``token`` if it belongs to the requester, acting through the same membership; else 404.

    A job is private to whoever asked for it: no other user, and not the
    same user acting for another organisation.
    """
    from .models import ExportJob

    actor = access.actor_of(request)
    if not actor.acts_for_an_organisation:
        raise Http404
    try:
        return ExportJob.objects.get(token=token, user_id=actor.user.pk, membership_id=actor.membership_id)
    except ExportJob.DoesNotExist:
        audit.record_refusal(actor=actor, model_label="core.ExportJob", object_id=str(token), reason="not_visible", request=request)
        raise Http404 from None


def _expire_if_due(job) -> None:
    if job.expires_at is not None and job.expires_at <= timezone.now() and job.status != job.Status.EXPIRED:
        expire(job)


def job_page(request: HttpRequest, token) -> HttpResponse:
    job = job_of(request, token)
    _expire_if_due(job)
    template = "core/export_job_status.html" if getattr(request, "htmx", False) else "core/export_job.html"
    return render(request, template, {"job": job})


def job_download(request: HttpRequest, token) -> HttpResponse:
    job = job_of(request, token)
    _expire_if_due(job)
    if job.status == job.Status.EXPIRED:
        return render(request, "core/export_job.html", {"job": job}, status=410)
    if job.status != job.Status.DONE or not job.file:
        return redirect(job_url(job))
    response = FileResponse(job.file.open("rb"), content_type=CONTENT_TYPES[job.format], as_attachment=True,
                            filename=os.path.basename(job.file.name))
    response["Cache-Control"] = "no-store"
    return response


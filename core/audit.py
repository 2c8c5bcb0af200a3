"""The audit log: who did what, acting for which organisation (DESIGN.md §3).

Every write to project and household data, every opening of a household
file and every refused access leaves an :class:`~core.models.AuditLog` row.
Rows hold *names* of fields, never values, and no ``str()`` of the object:
anonymising a household really erases it.

- :func:`record_write` and :func:`record_view` write in the caller's
  transaction (services call them inside their ``atomic`` block: the row
  exists if and only if the write does);
- :func:`record_refusal` writes on a connection of its own, in autocommit,
  so that the rollback of the refused request does not take the row away;
  it never raises into the caller;
- :func:`record_event` is the general form (logins, exports, archiving…);
- :func:`purge_expired` deletes rows past ``settings.AUDIT_RETENTION_DAYS``
  on a connection authenticated as the owner role
  (``settings.DATABASE_OWNER``): the application's role cannot UPDATE,
  DELETE or TRUNCATE audit rows (trigger of migration
  ``core.0003_auditlog_immutable``).
"""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.db import connection, models
from django.utils import timezone

from .models import AuditLog

if TYPE_CHECKING:
    from django.http import HttpRequest

    from .access import Actor

logger = logging.getLogger(__name__)

Action = AuditLog.Action

#: Actions of :func:`record_write` (changes of the object itself).
WRITE_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.DELETE, Action.ARCHIVE, Action.ANONYMISE})

DEFAULT_RETENTION_DAYS = 5 * 365
PURGE_BATCH = 10_000
CONNECT_TIMEOUT = 5  # seconds
#: A refusal must not hold the refused request for long.
REFUSAL_STATEMENT_TIMEOUT_MS = 5_000

_FIELD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$")
#: Django-only OPTIONS that libpq does not know.
_DJANGO_ONLY_OPTIONS = {"assume_role", "isolation_level", "pool", "server_side_binding", "cursor_factory", "context", "prepare_threshold"}

_COLUMNS = (
    "at", "user_id", "user_email", "membership_id", "organisation_id", "role", "action",
    "model_label", "object_id", "fields", "reason", "request_path", "ip",
)
_INSERT = "INSERT INTO {table} ({columns}) VALUES ({values})".format(
    table=AuditLog._meta.db_table,
    columns=", ".join(_COLUMNS),
    values=", ".join(["%s"] * len(_COLUMNS)),
)


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def record_write(
    *, actor: Actor, obj: models.Model, action: str, fields: Iterable[str] = (), relations_unchanged: bool = False
) -> AuditLog:
    """A create/update/delete (or archive/anonymise) of ``obj``, in the caller's transaction.

    ``fields``: names of the changed fields, checked against ``obj``'s
    model (a value passed by mistake raises ``ValueError``). Call it before
    ``obj.delete()``: a deleted instance has no primary key any more.
    ``relations_unchanged``: the write cannot change who relates to what (a
    contact logged), so the request's memo of audiences stays valid.
    """
    action = _action(action)
    if action not in WRITE_ACTIONS:
        raise ValueError(f"record_write() does not record {action!r}; use record_event()")
    from . import access

    if not relations_unchanged:
        access.forget_memo()  # a write may change who relates to what
    model = obj._meta.concrete_model
    if obj.pk is None:
        raise ValueError(f"record_write() needs a saved {model._meta.label} (call it before delete())")
    return _create(
        _row(actor=actor, action=action, model_label=model._meta.label, object_id=obj.pk,
             fields=_field_names(model, fields))
    )


def record_view(*, actor: Actor, obj: models.Model) -> AuditLog:
    """An opening of a household file (or of any object whose reading is audited)."""
    model = obj._meta.concrete_model
    return _create(_row(actor=actor, action=Action.VIEW, model_label=model._meta.label, object_id=obj.pk))


def record_event(
    *,
    actor: Actor | None = None,
    user: Any = None,
    action: str,
    model_label: str = "",
    object_id: Any = "",
    fields: Iterable[str] = (),
    reason: str = "",
    request: HttpRequest | None = None,
) -> AuditLog:
    """Any other event (login, failed login, export, archive…), in the caller's transaction.

    ``actor`` when the user acts for an organisation, else ``user`` (a login
    before a membership is chosen). ``request`` gives the path and the IP
    address (``REMOTE_ADDR``); the query string is never kept (a search
    term may be a name).
    """
    model = _model_or_none(model_label)
    return _create(
        _row(
            actor=actor, user=user, action=_action(action), model_label=model_label, object_id=object_id,
            fields=_field_names(model, fields), reason=reason, request=request,
        )
    )


def record_refusal(
    *, actor: Actor | None, model_label: str, object_id: Any, reason: str, request: HttpRequest | None = None
) -> None:
    """A refused access, committed at once on a connection of its own.

    Survives the rollback of the refused request. Never raises: a failure is
    logged as a warning and the refusal itself (404/403) goes on.
    """
    try:
        row = _row(
            actor=actor, action=Action.REFUSED, model_label=model_label, object_id=object_id,
            reason=reason, request=request,
        )
        import psycopg
        from psycopg import sql

        params = _connection_params(statement_timeout_ms=REFUSAL_STATEMENT_TIMEOUT_MS)
        with psycopg.connect(**params, autocommit=True) as conn:
            role = (connection.settings_dict.get("OPTIONS") or {}).get("assume_role")
            if role:  # same identity as the application's own connection
                conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(role)))
            conn.execute(_INSERT, _values(row))
    except Exception:  # noqa: BLE001 - an audit failure must not change the answer to the request
        logger.warning(
            "Could not record the refused access to %s %s (%s)", model_label, object_id, reason, exc_info=True
        )


def purge_expired(*, now: datetime | None = None) -> int:
    """Delete the rows older than ``settings.AUDIT_RETENTION_DAYS``; return how many.

    Runs on a connection authenticated as the owner role
    (``settings.DATABASE_OWNER``, with the host, port and database of the
    default connection), in batches; then records a ``purge`` row on that
    same connection. Raises if the owner role may not purge (the guard).
    """
    import psycopg

    days = int(getattr(settings, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    now = now or timezone.now()
    cutoff = now - timedelta(days=days)
    owner = getattr(settings, "DATABASE_OWNER", {}) or {}
    params = _connection_params(user=owner.get("USER"), password=owner.get("PASSWORD"))
    table = AuditLog._meta.db_table
    deleted = 0
    with psycopg.connect(**params, autocommit=True) as conn:
        while True:
            cursor = conn.execute(
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE at < %s LIMIT %s)",
                [cutoff, PURGE_BATCH],
            )
            deleted += cursor.rowcount
            if cursor.rowcount < PURGE_BATCH:
                break
        row = _row(
            actor=None, action=Action.PURGE, model_label=AuditLog._meta.label,
            reason=f"{deleted} entrée(s) antérieure(s) au {cutoff:%Y-%m-%d} (conservation : {days} jours)",
        )
        row["at"] = now
        conn.execute(_INSERT, _values(row))
    logger.info("Audit log: %s row(s) older than %s purged", deleted, cutoff)
    return deleted


# --------------------------------------------------------------------------
# Internals
# --------------------------------------------------------------------------


def _action(action: str) -> str:
    if action not in Action.values:
        raise ValueError(f"Unknown audit action {action!r}")
    return Action(action)


def _model_or_none(model_label: str) -> type[models.Model] | None:
    if not model_label:
        return None
    try:
        return apps.get_model(model_label)
    except (LookupError, ValueError):
        return None


def _field_names(model: type[models.Model] | None, fields: Iterable[str]) -> list[str]:
    """Field names only: each must be a field of ``model`` (or look like a name when no model)."""
    if isinstance(fields, str):
        raise TypeError("fields must be an iterable of field names, not a string")
    names = []
    for name in fields:
        if not isinstance(name, str) or not _FIELD_NAME.match(name) or len(name) > 100:
            raise ValueError(f"Audit rows hold field names only, got {name!r}")
        if model is not None and "." not in name:
            try:
                model._meta.get_field(name)
            except FieldDoesNotExist:
                if name not in {f.attname for f in model._meta.concrete_fields}:
                    raise ValueError(f"{model._meta.label} has no field {name!r}") from None
        names.append(name)
    return list(dict.fromkeys(names))


def _who(actor: Actor | None, user: Any) -> dict[str, Any]:
    if actor is not None:
        user = actor.user if actor.user is not None else user
    authenticated = bool(getattr(user, "is_authenticated", False))
    email = ""
    if authenticated:
        email_field = getattr(type(user), "EMAIL_FIELD", "email")
        email = str(getattr(user, email_field, "") or "")[:254]
    return {
        "user_id": user.pk if authenticated else None,
        "user_email": email,
        "membership_id": getattr(actor, "membership_id", None),
        "organisation_id": getattr(actor, "organisation_id", None),
        "role": str(getattr(actor, "role", None) or "")[:32],
    }


def _client_ip(request: HttpRequest) -> str | None:
    address = (request.META.get("REMOTE_ADDR") or "").strip()
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None


def _row(
    *,
    actor: Actor | None,
    action: str,
    user: Any = None,
    model_label: str = "",
    object_id: Any = "",
    fields: list[str] | None = None,
    reason: str = "",
    request: HttpRequest | None = None,
) -> dict[str, Any]:
    return {
        "at": timezone.now(),
        **_who(actor, user),
        "action": str(action),
        "model_label": str(model_label or "")[:100],
        "object_id": "" if object_id is None else str(object_id)[:64],
        "fields": fields or [],
        "reason": str(reason or "")[:200],
        "request_path": (getattr(request, "path", "") or "")[:500] if request is not None else "",
        "ip": _client_ip(request) if request is not None else None,
    }


def _create(row: dict[str, Any]) -> AuditLog:
    return AuditLog.objects.create(**row)


def _values(row: dict[str, Any]) -> list[Any]:
    return [row[column] for column in _COLUMNS]


def _connection_params(
    *, user: str | None = None, password: str | None = None, statement_timeout_ms: int | None = None
) -> dict[str, Any]:
    """psycopg parameters of the default database (the test database under pytest).

    ``user``/``password`` replace the default connection's credentials
    (the owner role for purges).
    """
    settings_dict = connection.settings_dict
    options = {k: v for k, v in (settings_dict.get("OPTIONS") or {}).items() if k not in _DJANGO_ONLY_OPTIONS}
    params: dict[str, Any] = {**options, "dbname": settings_dict["NAME"]}
    for key, value in (
        ("host", settings_dict.get("HOST")),
        ("port", settings_dict.get("PORT")),
        ("user", user if user is not None else settings_dict.get("USER")),
        ("password", password if user is not None else settings_dict.get("PASSWORD")),
    ):
        if value:
            params[key] = str(value)
    params.setdefault("connect_timeout", CONNECT_TIMEOUT)
    if statement_timeout_ms:
        timeout = f"-c statement_timeout={int(statement_timeout_ms)}"
        params["options"] = f"{params['options']} {timeout}" if params.get("options") else timeout
    params["application_name"] = "logement-audit"
    return params

"""Shared write helpers: optimistic locking and field policy for every service.

Every model carries ``version`` (``TimeStampedModel``). A form or an API
client sends back the version it read; :func:`update_object` refuses the
write with :class:`VersionConflict` when the row has changed since, so that
the second of two people editing the same record sees what changed instead
of silently overwriting it. The fields the actor may not write raise
``core.access.FieldsNotWritable`` (the names, for a 400 or a form error).
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction

from . import access, audit
from .access import Actor


class VersionConflict(Exception):
    """The row changed since the caller read it (``current`` is the row now)."""

    def __init__(self, current: models.Model, changed_fields: list[str]):
        self.current = current
        self.changed_fields = changed_fields
        super().__init__(f"{current._meta.label} {current.pk} is at version {current.version}")


def differing_fields(obj: models.Model, changes: dict[str, Any]) -> list[str]:
    """Names of ``changes`` whose value differs from ``obj``'s (foreign keys compared by id)."""
    differing = []
    for name, value in changes.items():
        field = obj._meta.get_field(name)
        if field.many_to_many:
            current = {item.pk for item in getattr(obj, name).all()}
            wanted = {getattr(item, "pk", item) for item in value}
            if current != wanted:
                differing.append(name)
            continue
        current = getattr(obj, field.attname)
        wanted = getattr(value, "pk", value) if field.is_relation else value
        if current != wanted:
            differing.append(name)
    return differing


def update_object(
    *, actor: Actor, obj: models.Model, changes: dict[str, Any], version: int | None, action: str = "update"
) -> models.Model:
    """Apply ``changes`` to ``obj`` atomically, with version check, field policy, validation and audit row.

    ``version`` None skips the check (a write that does not come from an
    edit screen). Returns the saved row (a fresh instance, locked while
    written). Nothing is written when nothing changed.
    """
    model = type(obj)
    access.forget_memo()
    with transaction.atomic():
        current = model._default_manager.select_for_update().get(pk=obj.pk)
        if version is not None and current.version != version:
            raise VersionConflict(current, differing_fields(current, changes))
        changed = differing_fields(current, changes)
        if not changed:
            return current
        access.check_writable(actor, current, changed)
        many = {}
        for name in changed:
            field = model._meta.get_field(name)
            if field.many_to_many:
                many[name] = changes[name]
            else:
                setattr(current, name, changes[name])
        current.full_clean()
        current.version = models.F("version") + 1
        simple = [name for name in changed if name not in many]
        current.save(update_fields=[*simple, "version", "updated_at"])
        for name, value in many.items():
            getattr(current, name).set(value)
        audit.record_write(actor=actor, obj=current, action=action, fields=changed)
    access.forget_memo()
    current.refresh_from_db()
    return current


def create_object(*, actor: Actor, obj: models.Model, many: dict[str, Any] | None = None) -> models.Model:
    """Validate and save a new row with its audit row, in one transaction.

    The caller has already checked ``access.can(actor, ADD, ...)`` on the
    parent. Fields the actor could not write on the new row are refused.
    """
    access.forget_memo()
    with transaction.atomic():
        obj.full_clean()
        obj.save()
        # Checked on the saved row (the audiences follow its links); a refusal rolls it back.
        set_fields = [f.name for f in obj._meta.concrete_fields if f.editable and getattr(obj, f.attname) not in (None, "")]
        access.check_writable(actor, obj, set_fields)
        for name, value in (many or {}).items():
            getattr(obj, name).set(value)
        audit.record_write(actor=actor, obj=obj, action="create", fields=[*set_fields, *(many or {})])
    access.forget_memo()
    return obj

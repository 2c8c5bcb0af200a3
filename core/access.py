"""Who sees what: the one mechanism (DESIGN.md §3).

Every app registers the policy of its own models in ``AppConfig.ready()``;
HTML views, the API, exports and reports all go through these functions.
No view filters household rows by hand.

- :func:`visible_to` returns the rows an actor may see (another
  organisation's rows are simply absent);
- :func:`access` returns one object or raises ``Http404`` (and audits the
  refusal); a visible object with an action the role may not do raises
  ``PermissionDenied`` (403);
- the field policy is data: each policy declares ``fields = {name:
  FieldRule(read=..., write=...)}`` in terms of *audiences* (the actor's
  relation to the object: its team, its supporting organisation, the
  landlord of its lease…); :func:`readable_fields` and
  :func:`check_writable` apply it. A field not declared is readable and
  writable by whoever may see and change the object.

``core`` imports no app: policies reach other apps' tables through ORM
lookup paths only.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import Http404

if TYPE_CHECKING:
    from django.http import HttpRequest


# Roles (values of partners.Role; core cannot import partners).
LANDLORD_ADVISER = "landlord_adviser"
CASEWORKER = "caseworker"
TEAM_LEAD = "team_lead"
ORG_ADMIN = "org_admin"
NATIONAL_STAFF = "national_staff"
FUNDER = "funder"
PLATFORM_ADMIN = "platform_admin"

#: Roles that see aggregates only, never a household row.
AGGREGATE_ONLY_ROLES = frozenset({NATIONAL_STAFF, FUNDER})

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"


@dataclass(frozen=True)
class Actor:
    """A user acting for one organisation with one role (a membership).

    Built per request by ``partners.acting`` from the membership chosen in
    the session (or bound to the API token). ``membership_id`` is None for
    a user without any active membership: such an actor sees nothing.
    """

    user: Any
    membership_id: int | None = None
    organisation_id: int | None = None
    role: str | None = None

    @property
    def is_authenticated(self) -> bool:
        return bool(getattr(self.user, "is_authenticated", False))

    @property
    def aggregate_only(self) -> bool:
        return self.role in AGGREGATE_ONLY_ROLES

    @property
    def acts_for_an_organisation(self) -> bool:
        return self.membership_id is not None and self.organisation_id is not None


NOBODY = Actor(user=None)


def actor_of(request: HttpRequest) -> Actor:
    """The actor of a request (set by partners.middleware.ActingMembershipMiddleware)."""
    return getattr(request, "actor", NOBODY)


@dataclass(frozen=True)
class FieldRule:
    """Audiences that may read and write one field."""

    read: frozenset[str]
    write: frozenset[str]

    @classmethod
    def only(cls, *audiences: str) -> "FieldRule":
        return cls(read=frozenset(audiences), write=frozenset(audiences))


@dataclass
class Policy:
    """Base policy: subclass per model, register with :func:`register`."""

    model: type[models.Model]
    fields: dict[str, FieldRule] = field(default_factory=dict)

    def scope(self, actor: Actor, queryset: models.QuerySet) -> models.QuerySet:
        """Rows visible to ``actor``. Default: nothing (deny by default)."""
        return queryset.none()

    def can(self, actor: Actor, action: str, obj: models.Model | None = None) -> bool:
        """May ``actor`` do ``action`` (view/add/change/delete) on ``obj``?

        Called only on objects already visible; default read-only.
        """
        return action == VIEW

    def audiences(self, actor: Actor, obj: models.Model) -> frozenset[str]:
        """The actor's relations to ``obj`` that the field rules refer to."""
        return frozenset()


_registry: dict[type[models.Model], Policy] = {}


def register(policy: Policy) -> Policy:
    _registry[policy.model] = policy
    return policy


def policy_for(model: type[models.Model] | models.Model) -> Policy:
    model_class = model if isinstance(model, type) else type(model)
    model_class = model_class._meta.concrete_model
    try:
        return _registry[model_class]
    except KeyError:
        raise LookupError(f"No access policy registered for {model_class._meta.label}") from None


def registered_models() -> list[type[models.Model]]:
    return list(_registry)


def visible_to(actor: Actor, model_or_queryset: type[models.Model] | models.QuerySet) -> models.QuerySet:
    """The rows of a model (or of a queryset) that ``actor`` may see."""
    if isinstance(model_or_queryset, models.QuerySet):
        queryset, model = model_or_queryset, model_or_queryset.model
    else:
        model = model_or_queryset
        queryset = model._default_manager.all()
    if not actor.is_authenticated or not actor.acts_for_an_organisation:
        return queryset.none()
    return policy_for(model).scope(actor, queryset)


def access(actor: Actor, model: type[models.Model] | models.QuerySet, pk: Any, action: str = VIEW) -> models.Model:
    """The object, or Http404 if invisible, or PermissionDenied if the action is not allowed."""
    queryset = visible_to(actor, model)
    model_class = queryset.model
    try:
        obj = queryset.get(pk=pk)
    except (model_class.DoesNotExist, ValueError, TypeError):
        _audit_refusal(actor, model_class, pk, "not_visible")
        raise Http404 from None
    if not policy_for(model_class).can(actor, action, obj):
        _audit_refusal(actor, model_class, pk, f"{action}_denied")
        raise PermissionDenied
    return obj


def can(actor: Actor, action: str, obj_or_model: models.Model | type[models.Model]) -> bool:
    """Action check without raising (for showing or hiding buttons)."""
    if not actor.acts_for_an_organisation:
        return False
    obj = None if isinstance(obj_or_model, type) else obj_or_model
    return policy_for(obj_or_model).can(actor, action, obj)


def readable_fields(actor: Actor, obj: models.Model, names: Iterable[str]) -> list[str]:
    """The subset of ``names`` that ``actor`` may read on ``obj``."""
    policy = policy_for(obj)
    audiences = None
    result = []
    for name in names:
        rule = policy.fields.get(name)
        if rule is None:
            result.append(name)
            continue
        if audiences is None:
            audiences = policy.audiences(actor, obj)
        if audiences & rule.read:
            result.append(name)
    return result


class FieldsNotWritable(PermissionDenied):
    """Raised with the names of the fields the actor may not write (API: 400)."""

    def __init__(self, fields: Iterable[str]):
        self.fields = sorted(fields)
        super().__init__(", ".join(self.fields))


def forbidden_fields(actor: Actor, obj: models.Model, names: Iterable[str]) -> list[str]:
    policy = policy_for(obj)
    audiences = policy.audiences(actor, obj)
    return sorted(name for name in names if name in policy.fields and not (audiences & policy.fields[name].write))


def check_writable(actor: Actor, obj: models.Model, names: Iterable[str]) -> None:
    forbidden = forbidden_fields(actor, obj, names)
    if forbidden:
        raise FieldsNotWritable(forbidden)


def follow(obj: Any, path: str) -> Any:
    """The object reached from ``obj`` by an ORM-style path ("case__lease"); "" is ``obj``.

    None part-way (a nullable link) gives None.
    """
    for part in filter(None, path.split("__")):
        obj = getattr(obj, part, None)
        if obj is None:
            return None
    return obj


# --------------------------------------------------------------------------
# Request-scoped memo of relations (audiences)
# --------------------------------------------------------------------------
# A page asks "what is this actor to this household" once per section; the
# answer cannot change while the request only reads. The memo lives for one
# request (``request_scope``, entered by the acting-membership middleware),
# is absent outside requests (services, tasks, tests call the policy
# directly) and is emptied by every write of ``core.services``.
_memo: ContextVar[dict | None] = ContextVar("access_memo", default=None)


@contextmanager
def request_scope():
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def memoised(key: tuple, compute):
    """``compute()``, remembered under ``key`` for the rest of the request."""
    memo = _memo.get()
    if memo is None:
        return compute()
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget_memo() -> None:
    memo = _memo.get()
    if memo is not None:
        memo.clear()


def _audit_refusal(actor: Actor, model: type[models.Model], pk: Any, reason: str) -> None:
    from . import audit

    audit.record_refusal(actor=actor, model_label=model._meta.label, object_id=str(pk), reason=reason)

"""The audit log (DESIGN.md §3): names not values, refusals that survive a
rollback, rows the application's role cannot change, purge as the owner.

The test database is created by the application's role (embedded:
``logement_app``, not a superuser), so the immutability tests are real.
Rows written on other connections (refusals, purges) are committed: the
``committed_rows`` fixture deletes them afterwards through the owner role.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import psycopg
import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError, connection, transaction
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

import core.audit_admin  # noqa: F401 - registers the admin until core.admin imports it
from core import access, audit
from core.access import Actor, Policy
from core.models import AuditLog, User
from core.tasks import purge_audit_log

IMMUTABLE = "audit rows are immutable"


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------


#: The owner role as configured (a test may override settings.DATABASE_OWNER).
OWNER = dict(settings.DATABASE_OWNER)


def owner_connection() -> psycopg.Connection:
    """The test database, as the owner role (settings.DATABASE_OWNER), autocommit."""
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": OWNER["USER"], "autocommit": True}
    if OWNER.get("PASSWORD"):
        params["password"] = OWNER["PASSWORD"]
    if db["HOST"]:
        params["host"] = db["HOST"]
    if db["PORT"]:
        params["port"] = db["PORT"]
    return psycopg.connect(**params, options="-c lock_timeout=5000")


def insert_committed(*, at, object_id: str, action: str = "view") -> int:
    """An audit row committed on the owner's connection (e.g. with an old ``at``)."""
    with owner_connection() as conn:
        return conn.execute(
            "INSERT INTO core_auditlog (at, user_email, role, action, model_label, object_id, fields, reason, request_path)"
            " VALUES (%s, '', '', %s, 'core.User', %s, '{}', '', '') RETURNING id",
            [at, action, object_id],
        ).fetchone()[0]


def committed_ids(**filters) -> list[int]:
    """Ids of committed rows, seen from a fresh connection (not the test's transaction)."""
    where = " AND ".join(f"{column} = %s" for column in filters) or "TRUE"
    with owner_connection() as conn:
        return [r[0] for r in conn.execute(f"SELECT id FROM core_auditlog WHERE {where} ORDER BY id", list(filters.values()))]


@pytest.fixture
def committed_rows(db):
    """Delete, as the owner, the audit rows committed during the test."""
    with owner_connection() as conn:
        before = conn.execute("SELECT coalesce(max(id), 0) FROM core_auditlog").fetchone()[0]
    yield
    with owner_connection() as conn:
        conn.execute("DELETE FROM core_auditlog WHERE id > %s", [before])


@pytest.fixture
def worker(db):
    return User.objects.create_user(email="referente@example.org", first_name="Inès", last_name="Roux")


@pytest.fixture
def actor(worker):
    return Actor(user=worker, membership_id=11, organisation_id=7, role="caseworker")


@pytest.fixture
def household_like(db):
    """Any saved object with personal data (a user stands in for a household here)."""
    return User.objects.create_user(email="eloise.martin@example.org", first_name="Éloïse", last_name="Martin")


@pytest.fixture
def throwaway_policy():
    """Register a policy for core.User for the test only, then restore the registry."""
    saved = dict(access._registry)

    def install(policy: Policy) -> Policy:
        return access.register(policy)

    yield install
    access._registry.clear()
    access._registry.update(saved)


def assert_no_personal_value(row: AuditLog, *values: str) -> None:
    stored = " ".join(str(getattr(row, f.attname)) for f in AuditLog._meta.concrete_fields)
    for value in values:
        assert value not in stored


# --------------------------------------------------------------------------
# Writes, views and events: in the caller's transaction
# --------------------------------------------------------------------------


def test_record_write_stores_field_names_never_values(actor, worker, household_like):
    row = audit.record_write(actor=actor, obj=household_like, action="update", fields=["last_name", "first_name"])

    row.refresh_from_db()
    assert row.action == AuditLog.Action.UPDATE
    assert row.fields == ["last_name", "first_name"]
    assert (row.model_label, row.object_id) == ("core.User", str(household_like.pk))
    assert (row.user_id, row.user_email) == (worker.pk, "referente@example.org")
    assert (row.membership_id, row.organisation_id, row.role) == (11, 7, "caseworker")
    assert_no_personal_value(row, "Martin", "Éloïse", "eloise.martin")
    assert "Martin" not in str(row)


def test_record_write_refuses_anything_but_field_names(actor, household_like):
    # Refusals of earlier tests are committed on their own connection: count, do not expect none.
    before = AuditLog.objects.count()
    for bad in (["Martin"], ["Éloïse"], ["last_name", "12 rue des Tilleuls"]):
        with pytest.raises(ValueError):
            audit.record_write(actor=actor, obj=household_like, action="update", fields=bad)
    with pytest.raises(TypeError):
        audit.record_write(actor=actor, obj=household_like, action="update", fields="last_name")
    with pytest.raises(ValueError):
        audit.record_write(actor=actor, obj=household_like, action="view")
    assert AuditLog.objects.count() == before


def test_record_write_is_in_the_callers_transaction(actor, household_like):
    before = AuditLog.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record_write(actor=actor, obj=household_like, action="delete")
        raise RuntimeError
    assert AuditLog.objects.count() == before


def test_record_view_and_record_event(actor, worker, household_like):
    view = audit.record_view(actor=actor, obj=household_like)
    request = RequestFactory().get("/menages/12/?q=Martin", REMOTE_ADDR="192.0.2.7")
    export = audit.record_event(
        actor=actor, action="export", model_label="core.User", fields=["email"], reason="export CSV", request=request
    )
    login = audit.record_event(user=worker, action="login", request=RequestFactory().get("/", REMOTE_ADDR="bogus"))

    assert (view.action, view.object_id, view.organisation_id) == ("view", str(household_like.pk), 7)
    assert (export.request_path, export.ip, export.fields) == ("/menages/12/", "192.0.2.7", ["email"])
    assert_no_personal_value(export, "Martin")  # the query string is not kept
    assert (login.user_id, login.organisation_id, login.role, login.ip) == (worker.pk, None, "", None)
    with pytest.raises(ValueError):
        audit.record_event(actor=actor, action="peek")


# --------------------------------------------------------------------------
# Refusals: their own connection, committed at once
# --------------------------------------------------------------------------


def test_record_refusal_survives_the_rollback_of_the_request(actor, committed_rows):
    object_id = uuid.uuid4().hex
    request = RequestFactory().get("/menages/999/", REMOTE_ADDR="2001:db8::1")
    with pytest.raises(RuntimeError), transaction.atomic():
        audit.record_refusal(actor=actor, model_label="households.Household", object_id=object_id, reason="not_visible", request=request)
        raise RuntimeError("the refused request rolls back")

    assert len(committed_ids(object_id=object_id)) == 1  # committed, seen from another connection
    row = AuditLog.objects.get(object_id=object_id)  # and from the test's own transaction
    assert (row.action, row.reason, row.model_label) == ("refused", "not_visible", "households.Household")
    assert (row.user_email, row.organisation_id, row.role) == ("referente@example.org", 7, "caseworker")
    assert (row.request_path, row.ip) == ("/menages/999/", "2001:db8::1")


def test_record_refusal_never_raises(actor, monkeypatch, caplog):
    monkeypatch.setattr(audit, "_connection_params", lambda **kw: {"dbname": "no_such_database_xyz", "host": "/nonexistent"})
    audit.record_refusal(actor=actor, model_label="households.Household", object_id="1", reason="not_visible")
    assert "Could not record the refused access" in caplog.text


def test_refusal_of_an_anonymous_actor(committed_rows):
    object_id = uuid.uuid4().hex
    audit.record_refusal(actor=access.NOBODY, model_label="core.User", object_id=object_id, reason="not_visible")
    row = AuditLog.objects.get(object_id=object_id)
    assert (row.user_id, row.user_email, row.membership_id) == (None, "", None)


def test_access_to_an_invisible_object_is_404_and_leaves_a_refused_row(
    actor, worker, household_like, throwaway_policy, committed_rows
):
    throwaway_policy(Policy(model=User))  # scope: nothing is visible

    with pytest.raises(Http404), transaction.atomic():
        access.access(actor, User, household_like.pk)

    row = AuditLog.objects.get(action="refused", object_id=str(household_like.pk))
    assert (row.model_label, row.reason) == ("core.User", "not_visible")
    assert (row.user_id, row.membership_id, row.organisation_id) == (worker.pk, 11, 7)
    assert len(committed_ids(action="refused", object_id=str(household_like.pk))) == 1
    assert_no_personal_value(row, "Martin", "Éloïse")


def test_access_with_a_forbidden_action_is_403_and_leaves_a_refused_row(
    actor, household_like, throwaway_policy, committed_rows
):
    class SeeAllChangeNothing(Policy):
        def scope(self, actor, queryset):
            return queryset

    throwaway_policy(SeeAllChangeNothing(model=User))

    assert access.access(actor, User, household_like.pk) == household_like
    with pytest.raises(PermissionDenied):
        access.access(actor, User, household_like.pk, action="change")

    row = AuditLog.objects.get(action="refused", object_id=str(household_like.pk))
    assert row.reason == "change_denied"


# --------------------------------------------------------------------------
# The guard: the application's role cannot UPDATE, DELETE or TRUNCATE
# --------------------------------------------------------------------------


def test_the_application_role_is_not_a_superuser(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = session_user")
        assert cursor.fetchone()[0] is False, "the guard is void for a superuser application role"


def test_the_application_role_cannot_update_delete_or_truncate_audit_rows(actor, household_like):
    row = audit.record_write(actor=actor, obj=household_like, action="create", fields=["email"])
    attempts = {
        "orm update": lambda: AuditLog.objects.filter(pk=row.pk).update(fields=["Martin"]),
        "orm save": lambda: AuditLog(pk=row.pk, at=row.at, action="view").save(force_update=True),
        "orm delete": lambda: AuditLog.objects.filter(pk=row.pk).delete(),
        "sql update": lambda: connection.cursor().execute("UPDATE core_auditlog SET reason = 'x'"),
        "sql delete": lambda: connection.cursor().execute("DELETE FROM core_auditlog"),
        "sql truncate": lambda: connection.cursor().execute("TRUNCATE core_auditlog"),
    }
    for name, attempt in attempts.items():
        with pytest.raises(DatabaseError, match=IMMUTABLE), transaction.atomic():
            attempt()
        assert AuditLog.objects.filter(pk=row.pk, fields=["email"]).exists(), name


# --------------------------------------------------------------------------
# Retention: purge as the owner role
# --------------------------------------------------------------------------


def test_purge_expired_deletes_only_old_rows_as_the_owner(settings, committed_rows):
    settings.AUDIT_RETENTION_DAYS = 5 * 365
    now = timezone.now()
    tag = uuid.uuid4().hex[:12]
    old = [insert_committed(at=now - timedelta(days=6 * 365), object_id=f"{tag}-old-{i}") for i in range(2)]
    recent = insert_committed(at=now - timedelta(days=30), object_id=f"{tag}-recent")
    with owner_connection() as conn:
        expected = conn.execute(
            "SELECT count(*) FROM core_auditlog WHERE at < %s", [now - timedelta(days=5 * 365)]
        ).fetchone()[0]

    assert audit.purge_expired(now=now) == expected >= 2

    remaining = set(committed_ids())
    assert not remaining & set(old)
    assert recent in remaining
    purge = AuditLog.objects.get(action="purge")
    assert purge.model_label == "core.AuditLog"
    assert f"{expected} entrée" in purge.reason


def test_purge_follows_the_retention_setting(settings, committed_rows):
    settings.AUDIT_RETENTION_DAYS = 30
    now = timezone.now()
    tag = uuid.uuid4().hex[:12]
    old = insert_committed(at=now - timedelta(days=31), object_id=f"{tag}-31d")
    kept = insert_committed(at=now - timedelta(days=29), object_id=f"{tag}-29d")

    assert audit.purge_expired(now=now) >= 1
    remaining = set(committed_ids())
    assert old not in remaining and kept in remaining


def test_the_application_role_cannot_purge(settings, committed_rows):
    old = insert_committed(at=timezone.now() - timedelta(days=10 * 365), object_id=uuid.uuid4().hex)
    settings.DATABASE_OWNER = {"USER": connection.settings_dict["USER"], "PASSWORD": connection.settings_dict["PASSWORD"]}

    with pytest.raises(psycopg.Error, match=IMMUTABLE):
        audit.purge_expired()
    assert old in committed_ids()


def test_purge_task(committed_rows):
    old = insert_committed(at=timezone.now() - timedelta(days=10 * 365), object_id=uuid.uuid4().hex)
    assert purge_audit_log.delay().get() >= 1
    assert old not in committed_ids()


# --------------------------------------------------------------------------
# Admin: read-only for everybody
# --------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser(email="admin@example.org", password="motdepasse-solide-42"))
    return client


def test_admin_lists_the_log_but_nobody_adds_changes_or_deletes(admin_client, actor, household_like):
    row = audit.record_write(actor=actor, obj=household_like, action="update", fields=["last_name"])

    changelist = admin_client.get(reverse("admin:core_auditlog_changelist"))
    assert changelist.status_code == 200
    content = changelist.content.decode()
    assert "journal d&#x27;audit" in content.lower() or "journal d'audit" in content.lower()
    assert "referente@example.org" in content and "last_name" in content
    assert "Martin" not in content

    assert admin_client.get(reverse("admin:core_auditlog_add")).status_code == 403
    assert admin_client.get(reverse("admin:core_auditlog_delete", args=[row.pk])).status_code == 403
    detail = admin_client.get(reverse("admin:core_auditlog_change", args=[row.pk]))
    assert detail.status_code == 200
    assert 'name="_save"' not in detail.content.decode()
    assert admin_client.post(reverse("admin:core_auditlog_change", args=[row.pk]), {"reason": "x"}).status_code == 403

    filtered = admin_client.get(
        reverse("admin:core_auditlog_changelist"), {"action": "update", "q": "referente", "at__year": row.at.year}
    )
    assert filtered.status_code == 200


def test_staff_without_the_view_permission_does_not_see_the_log(client, db):
    staff = User.objects.create_user(email="staff@example.org", password="motdepasse-solide-42", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:core_auditlog_changelist")).status_code == 403


@pytest.mark.django_db
def test_the_application_cannot_back_date_an_audit_row():
    import datetime as _dt

    from django.utils import timezone

    from core.models import AuditLog

    row = AuditLog.objects.create(action="view", model_label="core.User", object_id="x",
                                  at=timezone.now() - _dt.timedelta(days=3650))
    row.refresh_from_db()
    assert timezone.now() - row.at < _dt.timedelta(minutes=5)

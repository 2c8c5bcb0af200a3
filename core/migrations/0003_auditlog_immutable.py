"""Audit rows are immutable for the application's role (DESIGN.md §3).

The application connects as a non-superuser role (embedded:
``logement_app``) that creates, and therefore owns, ``core_auditlog``. An
owner keeps every privilege it could re-grant itself, so privileges alone
cannot stop it: a trigger is the guard.

Semantics of ``core_auditlog_guard()``:

* ``BEFORE UPDATE OR DELETE ... FOR EACH ROW`` and ``BEFORE TRUNCATE ...
  FOR EACH STATEMENT`` on ``core_auditlog``;
* allowed when the *session* user (the login role, which ``SET ROLE``
  cannot change) is a superuser: ``SELECT rolsuper FROM pg_roles WHERE
  rolname = session_user``. Embedded: the cluster superuser ``postgres``,
  ``settings.DATABASE_OWNER``, used by the retention job only;
* DELETE and TRUNCATE (not UPDATE) are also allowed when the session user
  holds the privileges of the NOLOGIN role ``audit_purger``
  (``pg_has_role(session_user, 'audit_purger', 'USAGE')``: an inheriting
  member), for a production owner role that is not a superuser;
* anything else raises ``audit rows are immutable`` with SQLSTATE 42501
  (``insufficient_privilege``); the statement and its transaction fail.
  INSERT and SELECT are untouched.

``audit_purger`` is created here only if the migrating role is a
superuser; otherwise (the embedded ``logement_app``, NOCREATEROLE) a
NOTICE is raised and purges rely on the superuser check. A CREATEROLE
non-superuser does not create it either: since PostgreSQL 16 the creator
of a role administers it and could grant it to itself, which would make
the migrating role (often the application's own) able to purge. When the
role exists, it is granted SELECT, INSERT, DELETE on the table and USAGE
on its sequence (what the retention job does). Create it once as a
superuser (``CREATE ROLE audit_purger NOLOGIN; GRANT audit_purger TO
<owner role>;``) and re-run the grants if the table is created first.

The application's role must never be a superuser, a member of
``audit_purger`` or CREATEROLE. As the table's owner it could still drop
or disable the trigger with DDL: the guard stops the application's SQL
(ORM, raw queries, ``manage.py flush``), not an operator who runs DDL as
the owner; that needs the table owned by another role.

``REVOKE ... FROM PUBLIC`` is belt and braces (PUBLIC has no table
privilege by default).
"""

from django.db import migrations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION core_auditlog_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user) THEN
        NULL;  -- the owner role (retention job)
    ELSIF TG_OP IN ('DELETE', 'TRUNCATE')
          AND EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = 'audit_purger') THEN
        IF NOT pg_catalog.pg_has_role(session_user, 'audit_purger', 'USAGE') THEN
            RAISE EXCEPTION 'audit rows are immutable (% refused for role %)', TG_OP, session_user
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSE
        RAISE EXCEPTION 'audit rows are immutable (% refused for role %)', TG_OP, session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_LEVEL = 'STATEMENT' THEN
        RETURN NULL;
    ELSIF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$
"""

ROW_TRIGGER = """
CREATE TRIGGER core_auditlog_immutable_rows
BEFORE UPDATE OR DELETE ON core_auditlog
FOR EACH ROW EXECUTE FUNCTION core_auditlog_guard()
"""

TRUNCATE_TRIGGER = """
CREATE TRIGGER core_auditlog_immutable_truncate
BEFORE TRUNCATE ON core_auditlog
FOR EACH STATEMENT EXECUTE FUNCTION core_auditlog_guard()
"""

PURGER_ROLE = r"""
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'audit_purger') THEN
        IF (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user) THEN
            BEGIN
                CREATE ROLE audit_purger NOLOGIN;
            EXCEPTION WHEN duplicate_object THEN
                NULL;  -- created concurrently
            END;
        ELSE
            RAISE NOTICE 'role audit_purger not created (% is not a superuser): only superusers may purge core_auditlog', current_user;
        END IF;
    END IF;
    IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'audit_purger') THEN
        GRANT SELECT, INSERT, DELETE ON core_auditlog TO audit_purger;
        EXECUTE format('GRANT USAGE ON SEQUENCE %s TO audit_purger', pg_get_serial_sequence('core_auditlog', 'id'));
    END IF;
END;
$$
"""

REVOKE = "REVOKE UPDATE, DELETE, TRUNCATE ON core_auditlog FROM PUBLIC"

DROP = [
    "DROP TRIGGER IF EXISTS core_auditlog_immutable_truncate ON core_auditlog",
    "DROP TRIGGER IF EXISTS core_auditlog_immutable_rows ON core_auditlog",
    "DROP FUNCTION IF EXISTS core_auditlog_guard()",
]


class Migration(migrations.Migration):

    dependencies = [
        ("core", "0002_auditlog"),
    ]

    operations = [
        migrations.RunSQL(
            sql=[FUNCTION, ROW_TRIGGER, TRUNCATE_TRIGGER, PURGER_ROLE, REVOKE],
            reverse_sql=DROP,
        ),
    ]

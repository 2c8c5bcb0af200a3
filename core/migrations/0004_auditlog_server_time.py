"""Audit rows carry the database server's time, whatever the writer says.

A BEFORE INSERT trigger sets ``at = now()`` (the transaction's start time,
as PostgreSQL's ``now()``) for every non-superuser session, so that the
application cannot back-date or post-date an audit row; a superuser (the
owner role) may still load historical rows. The guard of 0003 covers UPDATE.
"""

from django.db import migrations

CREATE = r"""
CREATE FUNCTION core_auditlog_server_time() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = session_user), false) THEN
        NEW.at := now();
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER core_auditlog_server_time
BEFORE INSERT ON core_auditlog
FOR EACH ROW EXECUTE FUNCTION core_auditlog_server_time();
"""

DROP = """
DROP TRIGGER IF EXISTS core_auditlog_server_time ON core_auditlog;
DROP FUNCTION IF EXISTS core_auditlog_server_time();
"""


class Migration(migrations.Migration):
    dependencies = [("core", "0003_auditlog_immutable")]
    operations = [migrations.RunSQL(CREATE, DROP)]

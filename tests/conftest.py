"""Shared fixtures. The suite runs on the same PostgreSQL server as
development (embedded or DATABASE_URL), in its own test database."""

import pytest


@pytest.fixture(autouse=True)
def _french(settings):
    settings.LANGUAGE_CODE = "fr"


@pytest.fixture(autouse=True, scope="session")
def _flush_keeps_the_audit_log():
    """Transactional tests end with a flush (TRUNCATE of every table); the
    audit log refuses TRUNCATE from the application's role by design, so the
    flush leaves that one table alone."""
    from django.db.backends.postgresql.introspection import DatabaseIntrospection

    original = DatabaseIntrospection.django_table_names

    def django_table_names(self, *args, **kwargs):
        return [table for table in original(self, *args, **kwargs) if table != "core_auditlog"]

    DatabaseIntrospection.django_table_names = django_table_names
    yield
    DatabaseIntrospection.django_table_names = original

"""Shared fixtures. The suite runs on the same PostgreSQL server as
development (embedded or DATABASE_URL), in its own test database."""

import pytest


@pytest.fixture(autouse=True)
def _french(settings):
    settings.LANGUAGE_CODE = "fr"

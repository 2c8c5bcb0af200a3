"""Regressions found in review of the housing screens (issue 6)."""

from __future__ import annotations

import pytest

from housing.models import EvictionCaseStatus
from tests.housing.test_views import login, text, today, world  # noqa: F401  (fixture)

pytestmark = pytest.mark.django_db


def test_closing_a_file_from_a_page_older_than_its_last_step_is_a_conflict(client, world):
    """Adviser A opens the closing form; adviser B records a step meanwhile: A is told, nothing is closed."""
    case = world["case"]
    login(client, world["people"]["adviser"])
    read_version = client.get(f"/expulsions/{case.pk}/cloture/").context["form"].initial["version"]
    added = client.post(f"/expulsions/{case.pk}/etapes/nouvelle/", {"kind": "fsl", "occurred_on": today().isoformat()})
    assert added.status_code == 302
    response = client.post(f"/expulsions/{case.pk}/cloture/",
                           {"status": "settled", "closed_on": today().isoformat(), "version": read_version})
    assert response.status_code == 409
    assert "modifié entre-temps" in text(response)
    case.refresh_from_db()
    assert case.status == EvictionCaseStatus.OPEN

"""Regressions found in review of the project page (issue 6)."""

from __future__ import annotations

import re

import pytest

from tests.projects.test_views import _no_second_factor, _today, login, world  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def _territory(html: str) -> str:
    match = re.search(r"<dt>Territoire</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert match, "no Territoire entry"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def test_territory_without_a_description_shows_the_departements_not_a_dash(client, world):
    project = world["ours"]
    project.territory_text = ""
    project.save(update_fields=["territory_text"])
    login(client, world["adviser"])
    text = _territory(client.get(f"/projets/{project.pk}/").content.decode())
    assert text == "Département 11"


def test_territory_with_a_description_shows_it_above_the_departements(client, world):
    project = world["ours"]
    project.territory_text = "Carcassonne Agglo"
    project.save(update_fields=["territory_text"])
    login(client, world["adviser"])
    text = _territory(client.get(f"/projets/{project.pk}/").content.decode())
    assert text == "Carcassonne Agglo Département 11"


def test_territory_unknown_shows_a_dash(client, world):
    project = world["ours"]
    project.territory_text, project.departements = "", []
    project.save(update_fields=["territory_text", "departements"])
    login(client, world["adviser"])
    assert _territory(client.get(f"/projets/{project.pk}/").content.decode()) == "—"

"""The OpenAPI schema builds without warnings; the docs load their assets from /static/, no CDN."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_the_schema_generates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))
    text = (tmp_path / "schema.yaml").read_text()
    assert "/api/v1/households/" in text and "/api/v1/contacts/bulk/" in text
    assert "'412'" in text and "'428'" in text


def test_the_docs_page_uses_only_local_assets(client, world):
    from tests.test_route_matrix import login_as

    login_as(client, world["a"]["people"]["caseworker"])
    page = client.get("/api/docs/").content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources and all(src.startswith("/") for src in sources), sources
    assert any(src.startswith("/static/drf_spectacular_sidecar/") for src in sources)
    assert "<script>" not in page  # the CSP forbids inline scripts
    assert client.get("/api/schema/").status_code == 200

"""Personas of the API tests: the two-pair world of tests/test_access_matrix.py, with tokens."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from partners.api_tokens import token_create
from tests.test_access_matrix import actor, world  # noqa: F401 (fixture)


def token_for(membership, scope: str = "read_write") -> str:
    _token, clear = token_create(actor=actor(membership), name="Logiciel de suivi", scope=scope, days=90)
    return clear


def client_for(membership, scope: str = "read_write") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(membership, scope)}")
    return client


@pytest.fixture
def api_as(world):  # noqa: F811
    """``api_as("a", "caseworker")``: an API client authenticated by a read-write token of that persona."""

    def make(pair: str, role: str, scope: str = "read_write") -> APIClient:
        return client_for(world[pair]["people"][role], scope)

    return make


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "errors"}, body
    assert isinstance(body["message"], str) and body["message"]
    if code is not None:
        assert body["code"] == code, body
    return body

"""API tokens: created once shown, only a hash stored, expiry, revocation, scope, throttling."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from core.models import AuditLog
from partners.models import ApiToken
from tests.api.conftest import assert_error_shape, client_for, token_for
from tests.test_route_matrix import login_as

pytestmark = pytest.mark.django_db

HOUSEHOLDS = "/api/v1/households/"


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_the_token_is_shown_once_and_only_its_hash_is_stored(client, world):
    caseworker = world["a"]["people"]["caseworker"]
    login_as(client, caseworker)
    url = reverse("partners:api_tokens")
    response = client.post(url, {"name": "Logiciel de suivi", "scope": "read", "days": "90"})
    assert response.status_code == 201
    clear = response.context["new_token"]
    assert clear.startswith("la_") and clear in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(key_id=clear.split("_")[1])
    assert token.membership == caseworker and token.scope == "read"
    assert token.key_hash == hashlib.sha256(clear.encode()).hexdigest()
    assert clear not in {token.key_id, token.key_hash, token.name}
    assert AuditLog.objects.filter(model_label="partners.ApiToken", action="create").exists()
    # Never shown again; the list shows its public id only.
    again = client.get(url)
    assert clear not in again.content.decode() and token.key_id in again.content.decode()
    # It works for the API, as the caseworker of association A.
    assert bearer(clear).get(HOUSEHOLDS).status_code == 200


def test_the_account_page_links_to_the_tokens(client, world):
    login_as(client, world["a"]["people"]["caseworker"])
    assert reverse("partners:api_tokens") in client.get(reverse("partners:account")).content.decode()


def test_a_user_sees_and_revokes_only_their_own_tokens(client, world):
    mine, theirs = world["a"]["people"]["caseworker"], world["a"]["people"]["colleague"]
    token_for(mine)
    other = ApiToken.objects.get(key_id=token_for(theirs).split("_")[1])
    login_as(client, mine)
    page = client.get(reverse("partners:api_tokens"))
    assert set(page.context["tokens"]) == set(ApiToken.objects.filter(membership__user=mine.user)) != set()
    assert other not in page.context["tokens"]
    assert client.post(reverse("partners:api_token_revoke", args=[other.pk])).status_code == 404
    other.refresh_from_db()
    assert other.revoked_at is None


def test_revoked_expired_unknown_or_inactive_tokens_get_a_401_in_french(client, world):
    caseworker = world["a"]["people"]["caseworker"]
    clear = token_for(caseworker)
    token = ApiToken.objects.get(key_id=clear.split("_")[1])
    login_as(client, caseworker)
    assert client.post(reverse("partners:api_token_revoke", args=[token.pk])).status_code == 302
    body = assert_error_shape(bearer(clear).get(HOUSEHOLDS), 401, "token_revoked")
    assert body["message"] == "Ce jeton a été révoqué."

    clear = token_for(caseworker)
    ApiToken.objects.filter(key_id=clear.split("_")[1]).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    response = bearer(clear).get(HOUSEHOLDS)
    assert assert_error_shape(response, 401, "token_expired")["message"] == "Ce jeton a expiré."
    assert response["WWW-Authenticate"].startswith("Bearer")

    assert_error_shape(bearer("la_000000000000_nope").get(HOUSEHOLDS), 401, "token_invalid")

    clear = token_for(caseworker)
    caseworker.is_active = False
    caseworker.save()
    assert_error_shape(bearer(clear).get(HOUSEHOLDS), 401, "membership_inactive")


def test_no_credentials_is_a_401(world):
    body = assert_error_shape(APIClient().get(HOUSEHOLDS), 401, "not_authenticated")
    assert body["message"] == "Authentification requise." or "authentification" in body["message"].lower()


def test_a_read_token_cannot_write(world):
    household = world["a"]["household"]
    client = client_for(world["a"]["people"]["caseworker"], scope="read")
    assert client.get(HOUSEHOLDS).status_code == 200
    response = client.post("/api/v1/contacts/", {"household": household.pk, "kind": "phone", "occurred_on": "2026-01-05"}, format="json")
    body = assert_error_shape(response, 403, "permission_denied")
    assert "lecture seule" in body["message"]
    response = client.patch(f"{HOUSEHOLDS}{household.pk}/", {"display_name": "X"}, format="json", HTTP_IF_MATCH='"1"')
    assert_error_shape(response, 403)


def test_throttling_answers_429_with_retry_after(world, settings):
    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "api_token": "3/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    client = client_for(world["a"]["people"]["caseworker"])
    for _ in range(3):
        assert client.get(HOUSEHOLDS).status_code == 200
    response = client.get(HOUSEHOLDS)
    body = assert_error_shape(response, 429, "throttled")
    assert int(response["Retry-After"]) > 0
    assert body["message"].startswith("Trop de requêtes")
    # Another token of the same person has its own counter.
    assert client_for(world["a"]["people"]["caseworker"]).get(HOUSEHOLDS).status_code == 200

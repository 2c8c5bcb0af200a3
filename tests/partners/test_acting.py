"""The acting organisation: which organisation a user acts for, and switching it.

Personas: alice works for two organisations, the association "Alpha
Solidarité" (travailleuse sociale) and the landlord "Zénith Habitat"
(conseillère sociale); bob is a caseworker of a third association; carol
has no membership at all.
"""

from __future__ import annotations

import html

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.db import SessionStore
from django.test import RequestFactory
from django.urls import reverse
from django.utils.functional import SimpleLazyObject

from core.access import Actor
from partners.acting import SESSION_KEY, actor_for_request
from partners.middleware import ActingMembershipMiddleware
from partners.models import Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

SWITCH_URL = reverse("partners:switch_organisation")
ACCOUNT_URL = reverse("partners:account")


@pytest.fixture
def alpha():
    return OrganisationFactory(association=True, name="Alpha Solidarité")


@pytest.fixture
def zenith():
    return OrganisationFactory(landlord=True, name="Zénith Habitat")


@pytest.fixture
def alice():
    return UserFactory(first_name="Alice", last_name="Martin", email="alice@exemple.test")


@pytest.fixture
def alice_alpha(alice, alpha):
    return MembershipFactory(user=alice, organisation=alpha, role=Role.CASEWORKER)


@pytest.fixture
def alice_zenith(alice, zenith):
    return MembershipFactory(user=alice, organisation=zenith, role=Role.LANDLORD_ADVISER)


@pytest.fixture
def bob_membership():
    return MembershipFactory(organisation=OrganisationFactory(association=True, name="Bêta Insertion"))


def _request(user, chosen=None):
    request = RequestFactory().get("/")
    request.user = user
    request.session = SessionStore()
    if chosen is not None:
        request.session[SESSION_KEY] = chosen
    return request


# --------------------------------------------------------------------------
# actor_for_request
# --------------------------------------------------------------------------


def test_the_only_membership_is_the_acting_one(alice, alice_alpha):
    actor = actor_for_request(_request(alice))

    assert actor == Actor(
        user=alice, membership_id=alice_alpha.pk, organisation_id=alice_alpha.organisation_id, role=Role.CASEWORKER
    )


def test_with_several_memberships_the_first_organisation_by_name_by_default(alice, alice_zenith, alice_alpha):
    actor = actor_for_request(_request(alice))

    assert actor.membership_id == alice_alpha.pk  # "Alpha…" before "Zénith…", whatever the creation order


def test_the_session_choice_wins(alice, alice_alpha, alice_zenith):
    actor = actor_for_request(_request(alice, chosen=alice_zenith.pk))

    assert (actor.organisation_id, actor.role) == (alice_zenith.organisation_id, Role.LANDLORD_ADVISER)


def test_a_session_choice_naming_another_users_membership_is_ignored(alice, alice_alpha, bob_membership):
    actor = actor_for_request(_request(alice, chosen=bob_membership.pk))

    assert actor.membership_id == alice_alpha.pk


def test_a_deactivated_choice_falls_back(alice, alice_alpha, alice_zenith):
    alice_zenith.is_active = False
    alice_zenith.save(update_fields=["is_active"])

    actor = actor_for_request(_request(alice, chosen=alice_zenith.pk))

    assert actor.membership_id == alice_alpha.pk


def test_an_inactive_organisation_is_not_acted_for(alice, alice_alpha, alice_zenith, alpha):
    alpha.is_active = False
    alpha.save(update_fields=["is_active"])

    actor = actor_for_request(_request(alice, chosen=alice_alpha.pk))

    assert actor.membership_id == alice_zenith.pk


def test_without_active_membership_the_actor_acts_for_nobody(alice):
    MembershipFactory(user=alice, ended=True)

    actor = actor_for_request(_request(alice))

    assert actor == Actor(user=alice)
    assert not actor.acts_for_an_organisation


def test_anonymous_actor():
    actor = actor_for_request(_request(AnonymousUser()))

    assert not actor.is_authenticated
    assert actor.membership_id is None


def test_middleware_sets_a_lazy_actor(alice, alice_alpha, django_assert_num_queries):
    request = _request(alice)
    seen = {}

    def view(request):
        seen["actor"] = request.actor
        return None

    with django_assert_num_queries(0):  # nothing is read until the actor is used
        ActingMembershipMiddleware(view)(request)
    assert isinstance(seen["actor"], SimpleLazyObject)
    with django_assert_num_queries(1):  # the user's active memberships, once
        assert seen["actor"].organisation_id == alice_alpha.organisation_id
        assert seen["actor"].role == Role.CASEWORKER


# --------------------------------------------------------------------------
# Switching, through the pages
# --------------------------------------------------------------------------


def test_header_shows_the_acting_organisation_and_role(client, alice, alice_alpha, alice_zenith):
    client.force_login(alice)

    content = client.get(ACCOUNT_URL).content.decode()

    assert "Vous agissez pour :" in content
    assert "<strong>Alpha Solidarité</strong> · Travailleur social (association)" in content
    assert f'<option value="{alice_zenith.pk}">Zénith Habitat (Conseiller social (bailleur))</option>' in content


def test_switch_to_another_of_my_organisations(client, alice, alice_alpha, alice_zenith):
    client.force_login(alice)

    response = client.post(SWITCH_URL, {"membership": alice_zenith.pk, "next": ACCOUNT_URL}, follow=True)

    assert response.redirect_chain == [(ACCOUNT_URL, 302)]
    assert client.session[SESSION_KEY] == alice_zenith.pk
    content = response.content.decode()
    assert "Vous agissez désormais pour Zénith Habitat (Conseiller social (bailleur))." in content
    assert "<strong>Zénith Habitat</strong>" in content
    assert response.wsgi_request.actor.organisation_id == alice_zenith.organisation_id


def test_switch_refuses_another_users_membership_with_404(client, alice, alice_alpha, bob_membership):
    client.force_login(alice)

    response = client.post(SWITCH_URL, {"membership": bob_membership.pk})

    assert response.status_code == 404
    assert SESSION_KEY not in client.session
    assert client.get(ACCOUNT_URL).wsgi_request.actor.membership_id == alice_alpha.pk


@pytest.mark.parametrize("value", ["", "abc", "999999999"])
def test_switch_refuses_garbage_with_404(client, alice, alice_alpha, value):
    client.force_login(alice)

    assert client.post(SWITCH_URL, {"membership": value}).status_code == 404


def test_switch_refuses_my_own_ended_membership(client, alice, alice_alpha):
    ended = MembershipFactory(user=alice, ended=True)
    client.force_login(alice)

    assert client.post(SWITCH_URL, {"membership": ended.pk}).status_code == 404


def test_switch_is_post_only_and_csrf_protected(alice, alice_alpha, alice_zenith):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)

    assert client.get(SWITCH_URL).status_code == 405
    assert client.post(SWITCH_URL, {"membership": alice_zenith.pk}).status_code == 403
    assert SESSION_KEY not in client.session


def test_switch_ignores_an_offsite_next(client, alice, alice_alpha, alice_zenith):
    client.force_login(alice)

    response = client.post(SWITCH_URL, {"membership": alice_zenith.pk, "next": "https://ailleurs.example/"})

    assert response["Location"] == "/"


def test_switch_needs_a_login(client, alice_alpha):
    response = client.post(SWITCH_URL, {"membership": alice_alpha.pk})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("partners:login"))


def test_user_without_membership_sees_it_said(client):
    carol = UserFactory()
    client.force_login(carol)

    content = client.get(ACCOUNT_URL).content.decode()

    assert "Vous n'êtes rattaché(e) à aucune organisation." in html.unescape(content)

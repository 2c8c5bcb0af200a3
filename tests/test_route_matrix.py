"""Every model-backed route of the URLconf × every role × two organisations.

Routes are discovered from the URLconf: any route with an integer in its
path must resolve its object through ``core.views.scoped_object`` (which
marks the view with ``access_model``), so a new route is covered — or the
test fails — without editing this file. The admin has its own tests.

For each route and persona: another pair's object is a 404 on GET and POST
and leaves the database unchanged; an own object is a 404 if the persona
may not see it, a 403 if it sees it but may not do the action, else neither.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db.models import Max
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.converters import IntConverter

from core import access
from partners.acting import SESSION_KEY
from tests.test_access_matrix import PAIR_ROLES, actor, rows_owned_by, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

SKIPPED_PREFIXES = ("admin/",)  # covered by tests/test_admin.py


def walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from walk(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def model_backed_routes() -> list[tuple[str, URLPattern]]:
    routes = []
    for route, pattern in walk(get_resolver().url_patterns):
        if route.startswith(SKIPPED_PREFIXES):
            continue
        converters = getattr(pattern.pattern, "converters", {})
        has_object_id = any(isinstance(c, IntConverter) for c in converters.values())
        if has_object_id or hasattr(pattern.callback, "access_model"):
            routes.append((route, pattern))
    return routes


ROUTES = model_backed_routes()


def test_routes_were_discovered():
    assert ROUTES, "no model-backed route found: the discovery is broken"


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=[r for r, _ in ROUTES])
def test_every_object_route_goes_through_the_access_policy(route, pattern):
    assert hasattr(pattern.callback, "access_model"), (
        f"{route} takes an object id but does not resolve it with core.views.scoped_object"
    )


def url_for(route: str, pattern: URLPattern, pk: int) -> str:
    kwarg = pattern.callback.access_kwarg
    path = route
    for name in getattr(pattern.pattern, "converters", {}):
        path = path.replace(f"<int:{name}>", str(pk) if name == kwarg else "0")
    return "/" + path


def database_state() -> dict:
    state = {}
    for model in apps.get_models():
        if model._meta.label == "core.AuditLog":  # refusals are recorded by design
            continue
        manager = model._default_manager
        fields = {f.name for f in model._meta.concrete_fields}
        state[model._meta.label] = (
            manager.count(),
            manager.aggregate(m=Max("updated_at"))["m"] if "updated_at" in fields else None,
        )
    return state


def personas(world):
    people = [(f"a.{role}", world["a"]["people"][role]) for role in PAIR_ROLES]
    return people + [("national", world["national"]), ("funder", world["funder"])]


def login_as(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


@pytest.mark.parametrize(("route", "pattern"), ROUTES, ids=[r for r, _ in ROUTES])
def test_route_matrix(client, settings, world, route, pattern):  # noqa: F811
    settings.SECOND_FACTOR_REQUIRED = False  # the second factor has its own tests
    model = apps.get_model(pattern.callback.access_model)
    action = pattern.callback.access_action
    ours = sorted(rows_owned_by(world["a"], model) - rows_owned_by(world["b"], model))
    theirs = sorted(rows_owned_by(world["b"], model) - rows_owned_by(world["a"], model))
    assert ours and theirs, f"the world has no {model._meta.label} of both pairs"

    for name, membership in personas(world):
        login_as(client, membership)
        me = actor(membership)
        # Another organisation's object: 404 whatever the method, nothing
        # written — unless the policy shows it to this persona (national
        # staff read every project): then it is judged like an own object.
        if not access.visible_to(me, model).filter(pk=theirs[0]).exists():
            before = database_state()
            for method in ("get", "post"):
                response = getattr(client, method)(url_for(route, pattern, theirs[0]))
                assert response.status_code == 404, f"{name} {method.upper()} {route} on pair B: {response.status_code}"
            assert database_state() == before, f"{name}: a refused request on {route} wrote to the database"
            assert b"Bailleur B" not in response.content and b"Association B" not in response.content
        else:
            assert membership.role in ("national_staff",), f"{name} sees pair B's {model._meta.label}"
            check_visible_object(client, me, name, route, pattern, model, action, theirs[0])

        # Own pair's object: decided by the policy alone.
        pk = ours[0]
        if not access.visible_to(me, model).filter(pk=pk).exists():
            response = client.get(url_for(route, pattern, pk))
            assert response.status_code == 404, f"{name} GET {route}: {response.status_code}"
        else:
            check_visible_object(client, me, name, route, pattern, model, action, pk)
        client.logout()


def check_visible_object(client, me, name, route, pattern, model, action, pk):
    """A visible object: 403 (and nothing written) if the action is not allowed, else served."""
    response = client.get(url_for(route, pattern, pk))
    if not access.can(me, action, model._default_manager.get(pk=pk)):
        before = database_state()
        assert response.status_code == 403, f"{name} GET {route}: {response.status_code}"
        assert client.post(url_for(route, pattern, pk)).status_code == 403
        assert database_state() == before, f"{name}: a refused POST on {route} wrote to the database"
    else:
        assert response.status_code not in (403, 404) and response.status_code < 500, (
            f"{name} GET {route}: {response.status_code}"
        )


def test_right_of_access_export_is_for_a_lead_on_the_team(client, settings, world):  # noqa: F811
    settings.SECOND_FACTOR_REQUIRED = False
    household = world["a"]["household"]
    url = f"/menages/{household.pk}/droit-d-acces/"
    login_as(client, world["a"]["people"]["lead"])  # team lead, on the team
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("application/json")
    assert "SECRET-sante" in response.content.decode()
    login_as(client, world["a"]["people"]["admin"])  # admin of the association, not on the team
    assert client.get(url).status_code == 403
    login_as(client, world["a"]["people"]["colleague"])  # caseworker off the team
    assert client.get(url).status_code == 403

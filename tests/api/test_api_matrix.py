"""Every API route × every role × two organisations (the access matrix of tests/test_access_matrix.py, over HTTP).

Routes are discovered from the API router (config/api.py), so a new
resource is covered without editing this file:

- a list returns exactly the rows ``core.access.visible_to`` gives the
  persona (all pages followed), never one of the other pair's;
- a detail of the other pair's object is a 404 with the one error shape,
  a visible one a 200 with its ETag;
- every write on an object (PUT, PATCH, actions) of the other pair is a
  404 and changes nothing; on a visible object whose action the role may
  not do, a 403; a create by a role that may not add is a 403;
- a read-only token is refused every write (403).
"""

from __future__ import annotations

import pytest

from config.api import router
from core import access
from tests.api.conftest import assert_error_shape, client_for
from tests.test_access_matrix import PAIR_ROLES, actor, rows_owned_by, world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

PERSONAS = [*PAIR_ROLES, "national", "funder"]
VIEWSETS = [(prefix, viewset) for prefix, viewset, _basename in router.registry]


def membership_of(world, persona):  # noqa: F811
    return world["a"]["people"][persona] if persona in PAIR_ROLES else world[persona]


def list_ids(client, prefix: str) -> set[int]:
    ids, url = [], f"/api/v1/{prefix}/?page_size=500"
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        ids += [row["id"] for row in response.json()["results"]]
        url = response.json()["next"]
    assert len(ids) == len(set(ids)), f"{prefix}: a row appears twice across pages"
    return set(ids)


def object_writes(viewset) -> list[tuple[str, str, str]]:
    """(method, url suffix, access action) of every write on one object of this viewset."""
    writes = []
    allowed = set(viewset.http_method_names)
    if hasattr(viewset, "update"):
        writes += [(m, "", access.CHANGE) for m in ("put", "patch") if m in allowed]
    for extra in viewset.get_extra_actions():
        if not extra.detail:
            continue
        for method in extra.mapping:
            if method != "get":
                writes.append((method, f"{extra.url_path}/", viewset.object_actions.get(extra.__name__, access.CHANGE)))
    return writes


def test_the_router_was_discovered():
    prefixes = {prefix for prefix, _ in VIEWSETS}
    assert {"households", "contacts", "leases", "projects"} <= prefixes, prefixes


# One test per persona, every resource inside it: the world is built once per persona, not per route.


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_and_details_follow_the_policy(world, persona):
    membership = membership_of(world, persona)
    me, client = actor(membership), client_for(membership)
    for prefix, viewset in VIEWSETS:
        check_reads(world, me, client, persona, prefix, viewset.model)


def check_reads(world, me, client, persona, prefix, model):  # noqa: F811
    expected = set(access.visible_to(me, model).values_list("pk", flat=True))
    assert list_ids(client, prefix) == expected, prefix
    theirs = rows_owned_by(world["b"], model) - rows_owned_by(world["a"], model) - expected
    if model._meta.label != "partners.Organisation" and persona in PAIR_ROLES:
        assert theirs, f"the world has no row of {model._meta.label} for pair B: the 404 check would be empty"
    for pk in sorted(theirs)[:2]:
        assert_error_shape(client.get(f"/api/v1/{prefix}/{pk}/"), 404, "not_found")
    for pk in sorted(expected)[:2]:
        response = client.get(f"/api/v1/{prefix}/{pk}/")
        assert response.status_code == 200, (prefix, response.content)
        assert response["ETag"], prefix


@pytest.mark.parametrize("persona", PERSONAS)
def test_writes_follow_the_policy_and_the_other_pairs_objects_are_404(world, persona):
    membership = membership_of(world, persona)
    me, client = actor(membership), client_for(membership)
    for prefix, viewset in VIEWSETS:
        check_writes(world, me, client, prefix, viewset)


def check_writes(world, me, client, prefix, viewset):  # noqa: F811
    model = viewset.model
    visible = set(access.visible_to(me, model).values_list("pk", flat=True))
    theirs = sorted(rows_owned_by(world["b"], model) - rows_owned_by(world["a"], model) - visible)[:1]
    mine = sorted(visible & rows_owned_by(world["a"], model))[:1]
    manager = model._default_manager
    for method, suffix, action in object_writes(viewset):
        for pk in theirs:
            before = manager.filter(pk=pk).values_list("version", flat=True).first()
            response = getattr(client, method)(f"/api/v1/{prefix}/{pk}/{suffix}", {}, format="json", HTTP_IF_MATCH=f'"{before}"')
            assert response.status_code == 404, (prefix, method, suffix)
            assert_error_shape(response, 404, "not_found")
            assert manager.filter(pk=pk).values_list("version", flat=True).first() == before
        for pk in mine:
            obj = manager.get(pk=pk)
            response = getattr(client, method)(f"/api/v1/{prefix}/{pk}/{suffix}", {}, format="json", HTTP_IF_MATCH=f'"{obj.version}"')
            if access.can(me, action, obj):
                assert response.status_code not in (403, 404, 500), (method, suffix, response.content)
            else:
                assert response.status_code == 403, (prefix, method, suffix, response.content)
                assert_error_shape(response, 403)
            assert manager.get(pk=pk).version == obj.version  # an empty body changes nothing
    if hasattr(viewset, "create") and "post" in viewset.http_method_names and not access.can(me, access.ADD, model):
        count = manager.count()
        assert_error_shape(client.post(f"/api/v1/{prefix}/", {}, format="json"), 403)
        assert manager.count() == count


@pytest.mark.parametrize("role", ["caseworker", "adviser"])
def test_a_read_only_token_writes_nothing(world, role):
    membership = world["a"]["people"][role]
    client = client_for(membership, scope="read")
    for prefix, viewset in VIEWSETS:
        mine = sorted(access.visible_to(actor(membership), viewset.model).values_list("pk", flat=True))[:1]
        for method, suffix, _action in object_writes(viewset):
            for pk in mine:
                assert_error_shape(getattr(client, method)(f"/api/v1/{prefix}/{pk}/{suffix}", {}, format="json"), 403)
        if hasattr(viewset, "create") and "post" in viewset.http_method_names:
            assert_error_shape(client.post(f"/api/v1/{prefix}/", {}, format="json"), 403)

"""The API against its own OpenAPI schema (schemathesis, in-process, DESIGN.md §7).

Every operation the schema declares is called by three personas — a
caseworker and a landlord adviser of pair A of the two-pair world
(tests/test_access_matrix.py), and a national staff member — with data that
schemathesis generates from the schema: valid data (positive mode) and data
the schema forbids (negative mode: wrong types, NUL bytes, missing fields).
Each answer must be:

- never a server error (no 5xx), bad input included: a 4xx;
- a status the operation declares (412/428 on writes, 400, 403, 404…);
- a declared content type, and a body that conforms to the declared schema
  for *this* role (fields a role may not see are not required).

How it runs:

- in-process: the WSGI application of ``config.wsgi`` is called in the
  test's thread through schemathesis' WSGI transport (no server, no
  network), so it sees the rows of the test's transaction;
- the world is built once per module inside one transaction that is rolled
  back at the end (``django_db_blocker``), and each generated case runs in
  a savepoint of its own, so that a write does not leak into the next case.
  Stricter than production (autocommit): a statement PostgreSQL refuses
  outside a service's own atomic block poisons the savepoint, and the rest
  of that request fails with a 500, so any input that reaches the database
  unvalidated shows up here;
- the Hypothesis test is a plain function defined inside each pytest test
  and takes no pytest fixture (so no function-scoped-fixture health check
  to silence): the fixtures are module-scoped and read from the closure;
- reproducible and bounded: a fixed Hypothesis seed per operation and role
  (from its label), ``database=None`` (no ``.hypothesis/`` under the repo),
  ``deadline=None``, no shrinking, a few examples per operation and role
  (4 to 10, from a budget of requests for the whole file);
- ids that exist: a path ``{id}`` is drawn from the rows of the view's model
  (the role's own and another organisation's, for 200 and 404) as well as
  generated; a body field that is a foreign key of the model is drawn from
  existing rows too; ``If-Match: *`` is tried on writes so that the write
  path is reached, not only the 428.

Operations are discovered from the schema at collection time, so an
endpoint added to a ``routes.py`` joins the test without editing it.
"""

from __future__ import annotations

import json
import os
import tempfile
import zlib
from collections import Counter
from pathlib import Path

import hypothesis
import hypothesis.configuration
import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.test import override_settings
from django.urls import Resolver404, resolve
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import token_for

# Hypothesis caches (constants read from the source, Unicode tables) go to the temporary directory,
# never to .hypothesis/ under the repository; the example database is off (database=None below).
if not os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY"):
    hypothesis.configuration.set_hypothesis_home_dir(Path(tempfile.gettempdir()) / f"hypothesis-{os.getuid()}")

#: "METHOD path role" → statuses received (printed by ``-s`` runs with SCHEMATHESIS_STATS=1;
#: SCHEMATHESIS_MAX_EXAMPLES=50 for a longer hunt than the suite's)
STATS: dict = {}
ROLES = ["caseworker", "adviser", "national"]
#: Examples per operation and role, valid and invalid data mixed: about 25 ms each (idle machine), so that the
#: whole file stays near a minute on 2 cores however many operations the schema grows to (never
#: fewer than 4 per operation and role).
EXAMPLE_BUDGET = 1500
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
HTTP_METHODS = {"get", "put", "post", "patch", "delete"}


def _raw_schema() -> dict:
    """The schema /api/schema/ serves (drf-spectacular's generator), as plain JSON."""
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.renderers import OpenApiJsonRenderer

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return json.loads(OpenApiJsonRenderer().render(schema, renderer_context={}))


RAW_SCHEMA = _raw_schema()
OPERATIONS = sorted(
    (method.upper(), path)
    for path, item in RAW_SCHEMA["paths"].items()
    for method in item
    if method in HTTP_METHODS and path.startswith("/api/v1/")
)

MAX_EXAMPLES = int(
    os.environ.get("SCHEMATHESIS_MAX_EXAMPLES") or min(10, max(4, EXAMPLE_BUDGET // (len(ROLES) * max(1, len(OPERATIONS)))))
)


def _load_schema():
    from config.wsgi import application

    schema = schemathesis.openapi.from_dict(RAW_SCHEMA)
    schema.app = application
    return schema


@pytest.fixture(scope="module")
def fuzz_world(django_db_setup, django_db_blocker):
    """The two-pair world, built once, rolled back after the module."""
    from partners.models import Role
    from tests import factories as f
    from tests.test_access_matrix import build_pair

    # The WSGI handler closes "obsolete" connections at each request's start and end,
    # and a connection inside a transaction is one: Django's test client disconnects
    # that handler the same way, for the same reason.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Hundreds of requests a minute per token: above the production rate, which is not what is tested here.
    rates = override_settings(REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {
        "api_token": "100000/min", "api_session": "100000/min"}})
    rates.enable()
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            ush = f.OrganisationFactory(federation=True, name="USH")
            state = f.OrganisationFactory(state=True, name="DDETS")
            a = build_pair("A", state)
            b = build_pair("B", None)
            national = f.MembershipFactory(organisation=ush, role=Role.NATIONAL_STAFF)
            members = {"caseworker": a["people"]["caseworker"], "adviser": a["people"]["adviser"], "national": national}
            tokens = {role: token_for(membership) for role, membership in members.items()}
            yield {"a": a, "b": b, "tokens": tokens, "members": members}
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            request_started.connect(close_old_connections)
            request_finished.connect(close_old_connections)
            rates.disable()
            if os.environ.get("SCHEMATHESIS_STATS"):
                for key, statuses in sorted(STATS.items()):
                    print(key, dict(sorted(Counter(statuses).items())))


@pytest.fixture(scope="module")
def api_schema():
    return _load_schema()


def _view_model(path: str):
    """The model behind an operation's path (``None`` for a plain view)."""
    probe = path.replace("{id}", "1")
    try:
        match = resolve(probe)
    except Resolver404:
        return None
    cls = getattr(match.func, "cls", None) or getattr(match.func, "view_class", None)
    return getattr(cls, "model", None)


def _ids(model) -> list[int]:
    return sorted(model._default_manager.values_list("pk", flat=True)) if model is not None else []


def _fk_ids(model, membership) -> dict[str, list]:
    """Body field name → existing ids of the related model (those the role sees first), for its foreign keys."""
    from core import access
    from tests.test_access_matrix import actor

    if model is None:
        return {}
    found = {}
    for field in model._meta.get_fields():
        if field.many_to_one and field.concrete:
            try:
                visible = list(access.visible_to(actor(membership), field.related_model).values_list("pk", flat=True))
            except Exception:  # noqa: BLE001 - a model without an access policy (users…)
                visible = []
            # Twice the visible rows: most bodies name a row the role may use.
            found[field.name] = sorted(visible) * 2 + _ids(field.related_model)
    return found


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_keeps_its_schema(fuzz_world, api_schema, role, method, path):
    operation = api_schema[path][method]
    model = _view_model(path)
    headers = {"Authorization": f"Bearer {fuzz_world['tokens'][role]}"}
    existing_id = None
    if "{id}" in path and _ids(model):
        from core import access
        from tests.test_access_matrix import actor

        visible = sorted(access.visible_to(actor(fuzz_world["members"][role]), model).values_list("pk", flat=True))
        # Mostly rows the role sees (200, 403), some it does not (404), some generated ids.
        existing_id = st.sampled_from(visible or _ids(model)) | st.sampled_from(_ids(model))
    foreign_keys = {name: st.sampled_from(ids) for name, ids in _fk_ids(model, fuzz_world["members"][role]).items() if ids}
    strategy = operation.as_strategy(generation_mode=GenerationMode.POSITIVE) | operation.as_strategy(
        generation_mode=GenerationMode.NEGATIVE
    )
    statuses = STATS.setdefault(f"{method} {path} {role}", [])
    parameters = RAW_SCHEMA["paths"][path][method.lower()].get("parameters", [])
    takes_if_match = method in {"PUT", "PATCH", "DELETE"} or any(p["name"] == "If-Match" for p in parameters)

    @hypothesis.settings(
        max_examples=MAX_EXAMPLES,
        database=None,  # no .hypothesis/ directory under the repository
        deadline=None,  # a request's time depends on the machine's load
        suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.filter_too_much],
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: the report names the case
    )
    @hypothesis.seed(zlib.crc32(f"{method} {path} {role}".encode()))  # fixed: the same cases at every run
    @hypothesis.given(case=strategy, data=st.data())
    def call(case, data):
        # Three cases in four on a row that exists (the role's, or another organisation's).
        if existing_id is not None and data.draw(st.integers(0, 3), label="generated id") < 3:
            case.path_parameters = {**(case.path_parameters or {}), "id": data.draw(existing_id, label="id")}
        if isinstance(case.body, dict):
            for name, ids in foreign_keys.items():
                if name in case.body and not data.draw(st.booleans(), label=f"generated {name}"):
                    case.body[name] = data.draw(ids, label=name)
        sent = dict(headers)
        if takes_if_match and not data.draw(st.booleans(), label="no If-Match: *"):
            sent["If-Match"] = "*"  # past the precondition, into the service
        with transaction.atomic():  # each case in a savepoint: a write does not leak into the next case
            try:
                response = case.call_and_validate(headers=sent, checks=CHECKS)
                statuses.append(response.status_code)
            finally:
                transaction.set_rollback(True)

    call()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_every_operation_refuses_a_caller_without_credentials(fuzz_world, api_schema, method, path):
    """No token: a 401 in the one error shape, before any id is looked up (and a declared status once 401 is)."""
    operation = api_schema[path][method]
    case = operation.Case(path_parameters={name: "1" for name in _path_names(path)})
    with transaction.atomic():
        try:
            response = case.call()
        finally:
            transaction.set_rollback(True)
    assert response.status_code == 401, (method, path, response.status_code, response.content[:300])
    assert set(response.json()) == {"code", "message", "errors"}
    assert response.headers["www-authenticate"][0].startswith("Bearer")
    declared = RAW_SCHEMA["paths"][path][method.lower()].get("responses", {})
    if "401" in declared:
        case.validate_response(response, checks=[status_code_conformance, content_type_conformance])


def _path_names(path: str) -> list[str]:
    import re

    return re.findall(r"{(\w+)}", path)


NUL = "a\x00b"
#: Operations with at least one query or path parameter (bulk contacts and removals' POST have none).
WITH_PARAMETERS = [
    (method, path) for method, path in OPERATIONS
    if any(p["in"] in ("query", "path") for p in RAW_SCHEMA["paths"][path][method.lower()].get("parameters", []))
]


@pytest.mark.parametrize(("method", "path"), WITH_PARAMETERS, ids=[f"{m} {p}" for m, p in WITH_PARAMETERS])
def test_a_nul_character_in_a_parameter_is_a_400_naming_it(fuzz_world, api_schema, method, path):
    """PostgreSQL refuses NUL in text: every parameter (query: filters, search, ``ordering``,
    ``cursor``, ``updated_since``, ``page_size``; path: ids and references) answers 400 naming it, never a 500."""
    operation = api_schema[path][method]
    raw = RAW_SCHEMA["paths"][path][method.lower()]
    params = raw.get("parameters", [])
    names = {"query": [p["name"] for p in params if p["in"] == "query"],
             "path_parameters": [p["name"] for p in params if p["in"] == "path"]}
    path_parameters = {name: "1" for name in _path_names(path)}
    for location, params in names.items():
        for name in params:
            case = operation.Case(
                path_parameters={**path_parameters, **({name: NUL} if location == "path_parameters" else {})},
                query={name: NUL} if location == "query" else None,
            )
            with transaction.atomic():
                try:
                    response = case.call(headers={"Authorization": f"Bearer {fuzz_world['tokens']['caseworker']}"})
                finally:
                    transaction.set_rollback(True)
            if name == "format" and response.status_code == 404:
                continue  # REST framework's answer to a format it has no renderer for
            assert response.status_code == 400, (method, path, name, response.status_code, response.content[:300])
            assert name in response.json()["errors"], response.json()


# What the runs above found, pinned case by case (each was a failure of the schemathesis test).


def _get(token: str, url: str, params: dict):
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    with transaction.atomic():
        try:
            return client.get(url, params)
        finally:
            transaction.set_rollback(True)


def test_the_schema_does_not_require_a_field_a_role_may_not_see():
    components = RAW_SCHEMA["components"]["schemas"]
    assert "note" in components["ContactDetail"]["properties"]  # the team reads it…
    assert "note" not in components["ContactDetail"].get("required", [])  # …the landlord adviser gets no such key
    household = components["HouseholdDetail"]
    assert not {"health_notes", "violence_notes", "domestic_violence"} & set(household.get("required", []))


def test_a_choice_not_made_yet_is_declared_as_blank():
    outcome = RAW_SCHEMA["components"]["schemas"]["SupportMeasure"]["properties"]["outcome"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in outcome["oneOf"]  # "" before the measure ends


def test_updated_since_with_an_offset_postgresql_refuses_is_read_in_utc(fuzz_world):
    token = fuzz_world["tokens"]["caseworker"]
    response = _get(token, "/api/v1/households/", {"updated_since": "2026-01-01T00:00:00+20:37"})
    assert response.status_code == 200, response.content
    response = _get(token, "/api/v1/households/", {"updated_since": "0001-01-01T00:00:00+05:00"})
    assert response.status_code == 400 and "updated_since" in response.json()["errors"]


def test_a_forged_cursor_is_a_400_naming_it(fuzz_world):
    import base64

    token = fuzz_world["tokens"]["caseworker"]
    for cursor in ["pas-un-curseur", base64.b64encode(b"o=0&p=abc").decode()]:
        response = _get(token, "/api/v1/households/", {"cursor": cursor, "ordering": "id"})
        assert response.status_code == 400, (cursor, response.content)
        assert list(response.json()["errors"]) == ["cursor"]

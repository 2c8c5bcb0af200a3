"""Database constraints: each one refuses what it should, at the database level.

The model and service layers validate too, but the database is the last
line: a bulk import, a raw ``update()`` or a concurrent write must not slip
through. Each test writes past Django's validation (``objects.create`` or
``QuerySet.update``) and checks that PostgreSQL names the expected
constraint in its error, so a test cannot pass because a *different*
constraint happened to fire.

This module holds the shared ``violates`` helper, the constraints of
``core`` and ``reporting``, and the meta-test that every constraint of the
six apps is covered by some test. The other apps' constraints are tested in
``tests/<app>/test_constraints.py``.
"""

from __future__ import annotations

import datetime
import importlib
import inspect
import re
from contextlib import contextmanager

import factory
import pytest
from django.apps import apps
from django.db import IntegrityError, transaction
from factory.django import DjangoModelFactory

from core.models import User
from reporting.models import ReportRun, ReportScope, ReportStatus
from tests import factories
from tests.factories import OrganisationFactory, ReportRunFactory, UserFactory

APPS = ("core", "partners", "projects", "households", "housing", "reporting")

#: Modules whose ``COVERED`` lists are gathered by the meta-test.
CONSTRAINT_TEST_MODULES = (
    "tests.test_constraints",
    "tests.partners.test_constraints",
    "tests.projects.test_constraints",
    "tests.households.test_constraints",
    "tests.housing.test_constraints",
    "tests.reporting.test_constraints",
)


@contextmanager
def violates(name: str, *, in_message: bool = True):
    """The block must fail with an IntegrityError raised by constraint ``name``.

    The block runs in its own savepoint, so the test can go on using the
    database afterwards. PostgreSQL reports the constraint in the error's
    diagnostics (``constraint_name``) and, for CHECK and UNIQUE constraints,
    in the message too; a trigger puts it in the diagnostics only
    (``in_message=False``).
    """
    with pytest.raises(IntegrityError) as info:
        with transaction.atomic():
            yield
    cause = info.value.__cause__
    diag = getattr(cause, "diag", None)
    assert diag is not None, f"not a PostgreSQL error: {info.value!r}"
    assert diag.constraint_name == name, f"expected {name!r}, PostgreSQL reported {diag.constraint_name!r}: {info.value}"
    if in_message:
        assert f'"{name}"' in str(info.value), str(info.value)


# --------------------------------------------------------------------- core

COVERED = [
    "user_email_lowercase",
    "report_period_ordered",
    "report_project_scope_has_project",
    "report_org_scope_has_organisation",
    "report_departement_scope_has_code",
    "report_failure_has_error",
]


@pytest.mark.django_db
def test_user_email_must_be_stored_lowercase():
    with violates("user_email_lowercase"):
        User.objects.create(email="Alice.Martin@Exemple.test")


@pytest.mark.django_db
def test_user_email_cannot_be_updated_to_mixed_case():
    alice = UserFactory(email="alice@exemple.test")
    with violates("user_email_lowercase"):
        User.objects.filter(pk=alice.pk).update(email="ALICE@exemple.test")


@pytest.mark.django_db
def test_create_user_lowercases_the_email():
    """The manager is the normal door: it folds the case, so the constraint holds."""
    bob = User.objects.create_user("Bob.Durand@Exemple.TEST", "x")
    assert bob.email == "bob.durand@exemple.test"


# ---------------------------------------------------------------- reporting


@pytest.mark.django_db
def test_report_period_must_not_end_before_it_starts():
    with violates("report_period_ordered"):
        ReportRunFactory(period_start=datetime.date(2024, 12, 31), period_end=datetime.date(2024, 1, 1))


@pytest.mark.django_db
def test_report_period_of_one_day_is_accepted():
    run = ReportRunFactory(period_start=datetime.date(2024, 6, 30), period_end=datetime.date(2024, 6, 30))
    assert run.pk


@pytest.mark.django_db
def test_project_report_needs_a_project():
    with violates("report_project_scope_has_project"):
        ReportRunFactory(scope=ReportScope.PROJECT, project=None)
    assert ReportRunFactory(project_scope=True).project is not None


@pytest.mark.django_db
@pytest.mark.parametrize("scope", [ReportScope.LANDLORD, ReportScope.ASSOCIATION, ReportScope.FUNDER])
def test_organisation_report_needs_an_organisation(scope):
    with violates("report_org_scope_has_organisation"):
        ReportRunFactory(scope=scope, organisation=None)
    assert ReportRunFactory(scope=scope, organisation=OrganisationFactory()).pk


@pytest.mark.django_db
def test_departement_report_needs_a_departement_code():
    with violates("report_departement_scope_has_code"):
        ReportRunFactory(scope=ReportScope.DEPARTEMENT, departement="")
    assert ReportRunFactory(departement_scope=True).departement == "69"


@pytest.mark.django_db
def test_failed_report_must_say_why():
    run = ReportRunFactory(status=ReportStatus.RUNNING)
    with violates("report_failure_has_error"):
        ReportRun.objects.filter(pk=run.pk).update(status=ReportStatus.FAILED)
    ReportRun.objects.filter(pk=run.pk).update(status=ReportStatus.FAILED, error="Délai dépassé")


# -------------------------------------------- factories satisfy constraints


def _factories() -> dict[type, type]:
    found = {}
    for _, obj in inspect.getmembers(factories, inspect.isclass):
        if issubclass(obj, DjangoModelFactory) and obj._meta.model is not None:
            assert obj._meta.model not in found, f"two factories for {obj._meta.model}"
            found[obj._meta.model] = obj
    return found


def _factory_variants() -> list:
    variants = []
    for model, factory_cls in sorted(_factories().items(), key=lambda item: item[1].__name__):
        variants.append(pytest.param(factory_cls, None, id=factory_cls.__name__))
        for name, declaration in factory_cls._meta.parameters.items():
            if isinstance(declaration, factory.Trait):
                variants.append(pytest.param(factory_cls, name, id=f"{factory_cls.__name__}-{name}"))
    return variants


def test_every_model_has_a_factory():
    models = {model for label in APPS for model in apps.get_app_config(label).get_models()}
    assert models - set(_factories()) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(("factory_cls", "trait"), _factory_variants())
def test_factory_defaults_and_traits_satisfy_every_constraint(factory_cls, trait):
    """Two objects from the same factory (and trait) save side by side: the
    defaults break no CHECK, no UNIQUE and no lease overlap."""
    kwargs = {trait: True} if trait else {}
    first, second = factory_cls.create_batch(2, **kwargs)
    assert first.pk != second.pk
    for obj in (first, second):
        obj.full_clean(validate_constraints=True, exclude=["password"])


# ---------------------------------------------------------------- meta-test


def _declared_constraints() -> dict[str, str]:
    """Constraint name -> "app.Model" for every Meta.constraints entry of the six apps."""
    found: dict[str, str] = {}
    for label in APPS:
        for model in apps.get_app_config(label).get_models():
            for constraint in model._meta.constraints:
                assert constraint.name not in found, f"{constraint.name} declared twice"
                found[constraint.name] = f"{label}.{model.__name__}"
    return found


def _covered_by_module() -> dict[str, list[str]]:
    return {name: importlib.import_module(name).COVERED for name in CONSTRAINT_TEST_MODULES}


def test_every_declared_constraint_has_a_test():
    """A new constraint without a test fails here: add a test that violates it
    and list its name in the ``COVERED`` list of its app's test module."""
    covered = {name for names in _covered_by_module().values() for name in names}
    missing = {name: where for name, where in _declared_constraints().items() if name not in covered}
    assert not missing, f"constraints without a test: {missing}"


def test_covered_lists_name_real_constraints_exercised_by_a_test():
    """No stale or wishful entries: each covered name is a declared constraint
    (or the lease trigger) and is passed to ``violates`` in its module."""
    declared = set(_declared_constraints()) | {"lease_no_overlap_on_unit"}
    for module_name, names in _covered_by_module().items():
        source = inspect.getsource(importlib.import_module(module_name))
        used = set(re.findall(r'violates\(\s*"([a-z0-9_]+)"', source))
        assert len(names) == len(set(names)), f"{module_name}: duplicate entries"
        for name in names:
            assert name in declared, f"{module_name}: {name} is not a constraint"
            assert name in used, f"{module_name}: {name} is listed but no test calls violates({name!r})"


def test_constraint_names_fit_postgresql_identifiers():
    """PostgreSQL truncates identifiers past 63 bytes: the error would then
    name something else than the model declares."""
    too_long = [name for name in _declared_constraints() if len(name.encode()) > 63]
    assert not too_long

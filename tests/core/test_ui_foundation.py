"""Shared UI plumbing: French formats, assets fetcher, optimistic locking, lists, role home pages."""

import base64
import datetime
import hashlib
import io
import json
import tarfile
from decimal import Decimal

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from core import access
from core import assets as assets_module
from core.access import Actor
from core.lists import build_listing
from core.models import AuditLog
from core.services import VersionConflict, update_object
from core.templatetags.ui import money
from households.models import Household
from partners.models import Role
from tests import factories as f


def actor(membership) -> Actor:
    return Actor(user=membership.user, membership_id=membership.pk, organisation_id=membership.organisation_id, role=membership.role)


# ---------------------------------------------------------------- formats


@pytest.mark.parametrize(
    "value, expected",
    [(Decimal("1234.56"), "1\u202f234,56\u00a0€"), (0, "0,00\u00a0€"), (Decimal("1541.185"), "1\u202f541,19\u00a0€"), (None, ""), ("x", "")],
)
def test_amounts_read_the_french_way(value, expected):
    assert money(value) == expected


def test_dates_render_day_month_year():
    rendered = Template("{{ d }} {{ d|date:'SHORT_DATE_FORMAT' }}").render(Context({"d": datetime.date(2026, 3, 9)}))

    assert rendered == "09/03/2026 09/03/2026"


@pytest.mark.parametrize("typed", ["1 234,56", "1\u00a0234,56 €", "1234.56", "1234,56"])
def test_amounts_are_typed_the_french_way(typed):
    from core.forms import MoneyField

    assert MoneyField().clean(typed) == Decimal("1234.56")


def test_ids_are_never_grouped_in_pages():
    assert Template("{{ n }}").render(Context({"n": 1350})) == "1350"
    assert Template("{% load ui %}{{ n|number }}").render(Context({"n": 1350})) == "1\u202f350"


# ---------------------------------------------------------------- assets


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _lock(tmp_path, data: bytes, files: dict[str, str]):
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    lock = tmp_path / "assets.lock.json"
    lock.write_text(json.dumps({"packages": [{"name": "@scope/lib", "version": "1.0.0", "integrity": integrity, "files": files}]}))
    return lock


def test_assets_are_fetched_checked_and_extracted_once(tmp_path):
    data = _tarball({"package/dist/lib.js": b"console.log(1)", "package/other.js": b"x"})
    lock = _lock(tmp_path, data, {"package/dist/lib.js": "vendor/lib/lib.js"})
    urls = []

    def fetch(url):
        urls.append(url)
        return data

    target = tmp_path / "assets"
    assert assets_module.install(lock, target, fetch=fetch) == ["@scope/lib@1.0.0"]
    assert (target / "vendor/lib/lib.js").read_bytes() == b"console.log(1)"
    assert not (target / "package").exists()  # only the listed files
    assert urls == ["https://registry.npmjs.org/@scope/lib/-/lib-1.0.0.tgz"]
    assert assets_module.install(lock, target, fetch=fetch) == []  # stamp: nothing fetched again
    assert len(urls) == 1


def test_an_asset_that_does_not_match_its_integrity_is_refused(tmp_path):
    lock = _lock(tmp_path, b"expected", {"package/a.js": "a.js"})
    with pytest.raises(assets_module.AssetError, match="integrity"):
        assets_module.install(lock, tmp_path / "assets", fetch=lambda url: _tarball({"package/a.js": b"evil"}))
    assert not (tmp_path / "assets" / "a.js").exists()


def test_an_asset_cannot_be_written_outside_its_folder(tmp_path):
    data = _tarball({"package/a.js": b"x"})
    lock = _lock(tmp_path, data, {"package/a.js": "../escape.js"})
    with pytest.raises(assets_module.AssetError, match="leaves"):
        assets_module.install(lock, tmp_path / "assets", fetch=lambda url: data)


def test_the_pinned_htmx_is_installed_for_the_suite():
    # `make test` runs core.assets before pytest: the pages of the suite load it.
    assert (assets_module.assets_dir() / "vendor/htmx/htmx.min.js").stat().st_size > 10_000


# ---------------------------------------------------------------- optimistic locking


@pytest.fixture
def team():
    household = f.HouseholdFactory()
    measure = f.SupportMeasureFactory(household=household)
    caseworker = measure.referent
    f.TeamMemberFactory(measure=measure, membership=caseworker, role="referent")
    landlord_adviser = f.MembershipFactory(organisation=f.OrganisationFactory(landlord=True), role=Role.LANDLORD_ADVISER)
    return household, caseworker, landlord_adviser


@pytest.mark.django_db
def test_an_update_bumps_the_version_and_writes_an_audit_row(team):
    household, caseworker, _ = team

    saved = update_object(actor=actor(caseworker), obj=household, changes={"resources_kind": "AAH"}, version=household.version)

    assert (saved.resources_kind, saved.version) == ("AAH", household.version + 1)
    row = AuditLog.objects.filter(model_label="households.Household", object_id=str(household.pk)).latest("id")
    assert row.action == "update" and row.fields == ["resources_kind"]


@pytest.mark.django_db
def test_the_second_of_two_concurrent_edits_is_told_what_changed(team):
    household, caseworker, _ = team
    read_by_both = household.version
    update_object(actor=actor(caseworker), obj=household, changes={"resources_kind": "AAH"}, version=read_by_both)

    with pytest.raises(VersionConflict) as conflict:
        update_object(actor=actor(caseworker), obj=household, changes={"resources_kind": "RSA"}, version=read_by_both)

    assert conflict.value.changed_fields == ["resources_kind"]
    assert Household.objects.get(pk=household.pk).resources_kind == "AAH"  # not overwritten


@pytest.mark.django_db
def test_a_field_the_actor_may_not_write_is_named_and_nothing_is_written(team):
    household, caseworker, _ = team
    colleague = f.MembershipFactory(organisation=caseworker.organisation, role=Role.CASEWORKER)  # not on the team

    with pytest.raises(access.FieldsNotWritable) as refused:
        update_object(actor=actor(colleague), obj=household, changes={"health_notes": "x", "resources_kind": "AAH"}, version=None)

    assert refused.value.fields == ["health_notes"]
    assert Household.objects.get(pk=household.pk).resources_kind == household.resources_kind


# ---------------------------------------------------------------- lists


@pytest.mark.django_db
def test_a_listing_sorts_both_ways_pages_and_ignores_unknown_keys():
    for name in ("Bravo", "Alpha", "Charlie"):
        f.HouseholdFactory(display_name=f"Ménage {name}")
    sorts = {"nom": ("display_name",)}

    def names(query):
        listing = build_listing(RequestFactory().get("/", query), Household.objects.all(), sorts=sorts, default_sort="nom", per_page=2)
        return [h.display_name for h in listing.rows], listing

    assert names({})[0] == ["Ménage Alpha", "Ménage Bravo"]
    assert names({"tri": "-nom"})[0] == ["Ménage Charlie", "Ménage Bravo"]
    assert names({"tri": "nope"})[0] == ["Ménage Alpha", "Ménage Bravo"]
    rows, listing = names({"tri": "nom", "page": "2"})
    assert rows == ["Ménage Charlie"] and listing.total == 3 and listing.query_string == "tri=nom"


# ---------------------------------------------------------------- home pages


@pytest.mark.django_db
@pytest.mark.parametrize(
    "kind, role, lands_on",
    [
        ("association", Role.CASEWORKER, "households/home_caseworker.html"),
        ("association", Role.TEAM_LEAD, "households/home_team.html"),
        ("landlord", Role.LANDLORD_ADVISER, "housing/home_landlord.html"),
        ("federation", Role.NATIONAL_STAFF, "reporting/programme_home.html"),
    ],
)
def test_each_role_lands_on_its_home_page(client, kind, role, lands_on):
    membership = f.MembershipFactory(organisation=f.OrganisationFactory(**{kind: True}), role=role)
    client.force_login(membership.user)

    response = client.get("/")

    assert response.status_code == 200
    assert lands_on in [t.name for t in response.templates]


@pytest.mark.django_db
def test_a_user_without_organisation_lands_on_the_account_page(client):
    client.force_login(f.UserFactory())

    assert client.get("/")["Location"] == "/compte/"


@pytest.mark.django_db
def test_relations_are_worked_out_once_per_request_and_forgotten_after_a_write(team, django_assert_num_queries):
    from core import audit
    from households.access import TEAM, household_audiences

    household, caseworker, _ = team
    me = actor(caseworker)
    with access.request_scope():
        assert TEAM in household_audiences(me, household)
        with django_assert_num_queries(0):  # remembered for the rest of the request
            assert TEAM in household_audiences(me, household)
        household.measures.update(referent=None)
        household.measures.first().team.all().delete()
        audit.record_write(actor=me, obj=household, action="update")  # every service write ends here
        assert TEAM not in household_audiences(me, household)
    # Outside a request nothing is remembered.
    assert TEAM not in household_audiences(me, household)


@pytest.mark.django_db
def test_filter_choices_are_narrowed_even_after_the_schema_built_the_class_fields(client):
    from households.filtersets import HouseholdFilterSet

    # The OpenAPI generator builds form fields on the class's filters.
    for flt in HouseholdFilterSet.base_filters.values():
        flt.field  # noqa: B018
    mine = f.MembershipFactory(role=Role.TEAM_LEAD)
    other = f.MembershipFactory(role=Role.CASEWORKER)  # another organisation
    request = RequestFactory().get("/menages/")
    request.actor = actor(mine)
    choices = HouseholdFilterSet(None, queryset=Household.objects.all(), request=request).form.fields["referent"].queryset
    assert mine in choices and other not in choices

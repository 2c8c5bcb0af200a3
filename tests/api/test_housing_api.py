"""Tenancy side of the API v1, read and write: units, leases, attribution steps, eviction files.

Personas of tests/test_access_matrix.py: ``adviser`` (landlord adviser of
landlord A, the lessor of household A's lease), ``caseworker`` (référent at
association A, which supports the household), ``colleague`` (association
A, off the team), pair B's adviser (another landlord), ``national`` (USH).
Writes go through ``housing.services``: the database changes and an audit
row names the fields, never their values.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditLog
from households.models import Household
from housing.models import (
    AttributionStep,
    EvictionCase,
    EvictionCaseStatus,
    EvictionStep,
    Glissement,
    HousingUnit,
    Lease,
    LeaseKind,
)
from tests import factories as f
from tests.api.conftest import assert_error_shape, client_for

pytestmark = pytest.mark.django_db

UNIT_BODY = {
    "kind": "ordinary", "address": "12 rue des Lilas", "postcode": "69003", "commune_insee": "69383", "city": "Lyon",
    "typology": "T3", "surface": "64.50", "floor": 2, "financing": "PLAI", "rent": "412.30", "charges": "85.00",
}
PROTECTED_UNIT_FIELDS = {"address", "postcode", "commune_insee", "rpls_id", "floor"}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def audit_rows(model, pk, action: str = "create"):
    return list(AuditLog.objects.filter(model_label=model._meta.label, object_id=str(pk), action=action))


def lease_of(pair: dict) -> Lease:
    return Lease.objects.select_related("unit").get(occupant=pair["household"])


def case_of(pair: dict) -> EvictionCase:
    return EvictionCase.objects.get(lease__occupant=pair["household"])


@pytest.fixture
def vacant_unit(world):
    """A unit of landlord A with no lease yet."""
    return f.HousingUnitFactory(landlord=world["a"]["landlord"], project=world["a"]["project"])


# --------------------------------------------------------------------------
# Housing units
# --------------------------------------------------------------------------


def test_units_list_without_protected_fields_and_detail_per_object(world, api_as):
    a = world["a"]
    unit = lease_of(a).unit
    adviser = api_as("a", "adviser")
    rows = {row["id"]: row for row in adviser.get("/api/v1/housing-units/").json()["results"]}
    assert unit.pk in rows and not PROTECTED_UNIT_FIELDS & set(rows[unit.pk])
    assert rows[unit.pk]["city"] == unit.city and rows[unit.pk]["typology"] == unit.typology
    detail = adviser.get(f"/api/v1/housing-units/{unit.pk}/")
    assert detail.status_code == 200 and detail["ETag"] == f'"{unit.version}"'
    assert detail.json()["address"] == unit.address and detail.json()["rpls_id"] == unit.rpls_id
    # The supporting association reads the unit of its household (not protected).
    assert api_as("a", "caseworker").get(f"/api/v1/housing-units/{unit.pk}/").json()["address"] == unit.address
    # Another landlord: 404, same body as a unit that does not exist.
    other = api_as("b", "adviser")
    hidden = assert_error_shape(other.get(f"/api/v1/housing-units/{unit.pk}/"), 404, "not_found")
    assert hidden == assert_error_shape(other.get("/api/v1/housing-units/999999999/"), 404, "not_found")
    assert unit.pk not in ids(other.get("/api/v1/housing-units/"))
    assert ids(client_for(world["national"]).get("/api/v1/housing-units/")) == set()


def test_the_unit_of_a_protected_household_is_for_the_team_and_its_landlord(world, api_as):
    a = world["a"]
    Household.objects.filter(pk=a["household"].pk).update(domestic_violence=True)
    unit = lease_of(a).unit
    url = f"/api/v1/housing-units/{unit.pk}/"
    for role in ("caseworker", "adviser"):
        assert api_as("a", role).get(url).json()["address"] == unit.address, role
    # Off the team: the unit is not even listed, and its detail is a 404.
    colleague = api_as("a", "colleague")
    assert unit.pk not in ids(colleague.get("/api/v1/housing-units/"))
    assert_error_shape(colleague.get(url), 404, "not_found")


def test_the_landlord_creates_and_updates_a_unit_with_audit(world, api_as):
    adviser = api_as("a", "adviser")
    response = adviser.post("/api/v1/housing-units/", {**UNIT_BODY, "rpls_id": "RPLS0001"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    unit = HousingUnit.objects.get(pk=body["id"])
    assert unit.landlord == world["a"]["landlord"] and body["landlord"] == world["a"]["landlord"].pk
    assert body["address"] == "12 rue des Lilas" and response["ETag"] == '"1"'
    [row] = audit_rows(HousingUnit, unit.pk)
    assert "address" in row.fields and "12 rue des Lilas" not in str(row.fields)
    # Update: If-Match required, then applied.
    url = f"/api/v1/housing-units/{unit.pk}/"
    assert_error_shape(adviser.patch(url, {"rent": "430.00"}, format="json"), 428, "precondition_required")
    updated = adviser.patch(url, {"rent": "430.00"}, format="json", HTTP_IF_MATCH='"1"')
    assert updated.status_code == 200 and updated.json()["rent"] == "430.00" and updated["ETag"] == '"2"'
    assert audit_rows(HousingUnit, unit.pk, "update")[0].fields == ["rent"]
    assert_error_shape(adviser.patch(url, {"rent": "440.00"}, format="json", HTTP_IF_MATCH='"1"'), 412, "precondition_failed")


@pytest.mark.parametrize("role", ["caseworker", "lead", "colleague"])
def test_the_association_reads_units_but_writes_none(world, api_as, role):
    unit = lease_of(world["a"]).unit
    client = api_as("a", role)
    assert_error_shape(client.post("/api/v1/housing-units/", UNIT_BODY, format="json"), 403)
    if role != "colleague":
        response = client.patch(f"/api/v1/housing-units/{unit.pk}/", {"rent": "1.00"}, format="json",
                                HTTP_IF_MATCH=f'"{unit.version}"')
        assert_error_shape(response, 403)
    assert HousingUnit.objects.get(pk=unit.pk).rent == unit.rent


def test_another_landlord_cannot_change_a_unit_it_cannot_see(world, api_as):
    unit = lease_of(world["a"]).unit
    response = api_as("b", "adviser").patch(f"/api/v1/housing-units/{unit.pk}/", {"rent": "1.00"}, format="json",
                                             HTTP_IF_MATCH='"1"')
    assert_error_shape(response, 404, "not_found")


def test_unit_upsert_by_rpls_create_update_stale_and_missing_precondition(world, api_as):
    adviser = api_as("a", "adviser")
    url = "/api/v1/housing-units/rpls/RPLS123456/"
    created = adviser.put(url, UNIT_BODY, format="json")
    assert created.status_code == 201, created.content
    unit = HousingUnit.objects.get(rpls_id="RPLS123456")
    assert unit.landlord == world["a"]["landlord"] and created.json()["rpls_id"] == "RPLS123456"
    assert_error_shape(adviser.put(url, {**UNIT_BODY, "rent": "500.00"}, format="json"), 428, "precondition_required")
    updated = adviser.put(url, {**UNIT_BODY, "rent": "500.00"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert updated.status_code == 200 and updated.json()["id"] == unit.pk
    assert HousingUnit.objects.get(pk=unit.pk).rent == Decimal("500.00")
    stale = adviser.put(url, {**UNIT_BODY, "rent": "510.00"}, format="json", HTTP_IF_MATCH=created["ETag"])
    assert_error_shape(stale, 412, "precondition_failed")
    # The version in the body is the alternative to If-Match.
    again = adviser.put(url, {**UNIT_BODY, "rent": "520.00", "version": updated.json()["version"]}, format="json")
    assert again.status_code == 200 and again.json()["rent"] == "520.00"
    assert HousingUnit.objects.filter(rpls_id="RPLS123456").count() == 1
    assert len(audit_rows(HousingUnit, unit.pk)) == 1 and len(audit_rows(HousingUnit, unit.pk, "update")) == 2


def test_rpls_uniqueness_is_a_french_400_never_a_500(world, api_as):
    theirs = lease_of(world["b"]).unit
    # Landlord A does not own that RPLS id: the upsert would create it, and the register refuses a duplicate.
    response = api_as("a", "adviser").put(f"/api/v1/housing-units/rpls/{theirs.rpls_id}/", UNIT_BODY, format="json")
    body = assert_error_shape(response, 400, "invalid")
    assert body["errors"]["rpls_id"] == ["Un logement porte déjà cet identifiant RPLS."]
    mine = lease_of(world["a"]).unit
    response = api_as("a", "adviser").post("/api/v1/housing-units/", {**UNIT_BODY, "rpls_id": mine.rpls_id}, format="json")
    assert assert_error_shape(response, 400)["errors"]["rpls_id"]
    # A malformed RPLS id in the address: the model's French message.
    bad = api_as("a", "adviser").put("/api/v1/housing-units/rpls/abc-1/", UNIT_BODY, format="json")
    assert "majuscules" in assert_error_shape(bad, 400)["errors"]["rpls_id"][0]
    # The body may repeat the reference, not contradict it.
    other = api_as("a", "adviser").put("/api/v1/housing-units/rpls/RPLS9/", {**UNIT_BODY, "rpls_id": "RPLS8"}, format="json")
    assert "rpls_id" in assert_error_shape(other, 400)["errors"]


def test_unit_upsert_by_landlord_reference_looks_only_in_my_stock(world, api_as):
    theirs = lease_of(world["b"]).unit
    url = f"/api/v1/housing-units/landlord-reference/{theirs.landlord_reference}/"
    created = api_as("a", "adviser").put(url, UNIT_BODY, format="json")
    assert created.status_code == 201, created.content  # the same reference at another landlord is another unit
    assert HousingUnit.objects.get(pk=created.json()["id"]).landlord == world["a"]["landlord"]
    assert HousingUnit.objects.get(pk=theirs.pk).landlord == world["b"]["landlord"]
    assert api_as("a", "adviser").put(url, UNIT_BODY, format="json", HTTP_IF_MATCH='"1"').status_code == 200
    # The association may not create units.
    assert_error_shape(api_as("a", "caseworker").put("/api/v1/housing-units/landlord-reference/X1/", UNIT_BODY,
                                                     format="json"), 403)


def test_unit_bad_input_is_a_french_400(world, api_as):
    adviser = api_as("a", "adviser")
    unknown = assert_error_shape(adviser.post("/api/v1/housing-units/", {**UNIT_BODY, "colour": "blue"}, format="json"), 400)
    assert unknown["errors"] == {"colour": ["Ce champ n'existe pas dans cette ressource."]}
    read_only = assert_error_shape(adviser.post("/api/v1/housing-units/", {**UNIT_BODY, "landlord": 1}, format="json"), 400)
    assert read_only["errors"] == {"landlord": ["Ce champ est en lecture seule."]}
    bad = adviser.post("/api/v1/housing-units/", {**UNIT_BODY, "postcode": "6900", "rent": "-3", "surface": "0"}, format="json")
    errors = assert_error_shape(bad, 400)["errors"]
    assert errors["postcode"] == ["Code postal : 5 chiffres."]
    assert set(errors) >= {"postcode", "rent"}
    nul = adviser.post("/api/v1/housing-units/", {**UNIT_BODY, "address": "12 rue\x00"}, format="json")
    assert_error_shape(nul, 400)
    zero = adviser.post("/api/v1/housing-units/", {**UNIT_BODY, "surface": "0.00"}, format="json")
    assert assert_error_shape(zero, 400)["errors"]["surface"] == ["La surface doit être supérieure à 0 m²."]
    assert not HousingUnit.objects.filter(address__startswith="12 rue").exists()


# --------------------------------------------------------------------------
# Leases
# --------------------------------------------------------------------------


def lease_body(unit, household, **extra) -> dict:
    return {
        "unit": unit.pk, "kind": "direct", "occupant": household.pk, "signed_on": "2024-05-20",
        "starts_on": "2024-06-01", "monthly_rent": "412.30", "monthly_charges": "85.00", **extra,
    }


def test_the_lessor_updates_a_lease_with_if_match(world, api_as):
    lease = lease_of(world["a"])
    url = f"/api/v1/leases/{lease.pk}/"
    adviser = api_as("a", "adviser")
    assert_error_shape(adviser.patch(url, {"monthly_rent": "450.00"}, format="json"), 428, "precondition_required")
    response = adviser.patch(url, {"monthly_rent": "450.00", "tenant_reference": "LOC-9"}, format="json",
                             HTTP_IF_MATCH=f'"{lease.version}"')
    assert response.status_code == 200, response.content
    assert response.json()["monthly_rent"] == "450.00" and response.json()["unit_address"] == lease.unit.address
    assert sorted(audit_rows(Lease, lease.pk, "update")[0].fields) == ["monthly_rent", "tenant_reference"]
    stale = adviser.patch(url, {"monthly_rent": "460.00"}, format="json", HTTP_IF_MATCH=f'"{lease.version}"')
    assert_error_shape(stale, 412, "precondition_failed")
    # A GET then PUT of the whole lease is accepted; fixed fields may not change.
    current = adviser.get(url)
    body = {k: v for k, v in current.json().items() if k not in {"lessor", "unit_address", "unit_postcode", "unit_city"}}
    assert adviser.put(url, body, format="json", HTTP_IF_MATCH=current["ETag"]).status_code == 200
    changed = adviser.put(url, {**body, "starts_on": "2024-01-01"}, format="json", HTTP_IF_MATCH=current["ETag"])
    assert assert_error_shape(changed, 400)["errors"] == {"starts_on": ["Ce champ ne se modifie pas après la création."]}


@pytest.mark.parametrize("role", ["caseworker", "colleague"])
def test_the_association_reads_the_lease_but_may_not_change_it(world, api_as, role):
    lease = lease_of(world["a"])
    client = api_as("a", role)
    assert client.get(f"/api/v1/leases/{lease.pk}/").status_code == 200
    response = client.patch(f"/api/v1/leases/{lease.pk}/", {"monthly_rent": "1.00"}, format="json",
                            HTTP_IF_MATCH=f'"{lease.version}"')
    assert_error_shape(response, 403)
    assert_error_shape(client.post("/api/v1/leases/", lease_body(lease.unit, lease.occupant), format="json"), 403)


def test_another_landlord_gets_a_404_and_a_read_only_token_a_403(world, api_as):
    lease = lease_of(world["a"])
    response = api_as("b", "adviser").patch(f"/api/v1/leases/{lease.pk}/", {"monthly_rent": "1.00"}, format="json",
                                             HTTP_IF_MATCH='"1"')
    assert_error_shape(response, 404, "not_found")
    read_only = api_as("a", "adviser", scope="read")
    response = read_only.patch(f"/api/v1/leases/{lease.pk}/", {"monthly_rent": "1.00"}, format="json", HTTP_IF_MATCH='"1"')
    assert_error_shape(response, 403)
    assert Lease.objects.get(pk=lease.pk).monthly_rent == lease.monthly_rent


def test_lease_invalid_dates_and_amounts_and_overlap_are_french_400(world, api_as):
    lease = lease_of(world["a"])
    url = f"/api/v1/leases/{lease.pk}/"
    adviser = api_as("a", "adviser")
    etag = f'"{lease.version}"'
    before = adviser.patch(url, {"ends_on": "2024-01-01"}, format="json", HTTP_IF_MATCH=etag)
    assert assert_error_shape(before, 400)["errors"]["ends_on"] == ["La fin du bail précède sa prise d'effet (01/03/2024)."]
    negative = adviser.patch(url, {"monthly_rent": "-1"}, format="json", HTTP_IF_MATCH=etag)
    assert "monthly_rent" in assert_error_shape(negative, 400)["errors"]
    bad_date = adviser.patch(url, {"ends_on": "31/02/2024"}, format="json", HTTP_IF_MATCH=etag)
    assert "ends_on" in assert_error_shape(bad_date, 400)["errors"]
    # Overlap: a new lease on a unit already let from March 2024, open-ended.
    overlap = adviser.post("/api/v1/leases/", lease_body(lease.unit, lease.occupant), format="json")
    body = assert_error_shape(overlap, 400)
    assert body["errors"]["starts_on"] == ["Un autre bail occupe déjà ce logement sur cette période."]
    assert Lease.objects.filter(unit=lease.unit).count() == 1


def test_the_overlap_trigger_is_a_400_when_the_check_is_raced(world, api_as, monkeypatch):
    from housing import services

    lease = lease_of(world["a"])
    monkeypatch.setattr(services, "lease_period_errors", lambda **kwargs: {})
    response = api_as("a", "adviser").post("/api/v1/leases/", lease_body(lease.unit, lease.occupant), format="json")
    body = assert_error_shape(response, 400, "invalid")
    assert body["errors"] == {"non_field_errors": ["Un autre bail occupe déjà ce logement sur cette période."]}


def test_lease_upsert_by_tenant_reference(world, api_as, vacant_unit):
    a = world["a"]
    adviser = api_as("a", "adviser")
    url = "/api/v1/leases/tenant-reference/LOC-777/"
    created = adviser.put(url, lease_body(vacant_unit, a["household"]), format="json")
    assert created.status_code == 201, created.content
    lease = Lease.objects.get(tenant_reference="LOC-777")
    assert lease.lessor == a["landlord"] and lease.tenant_household == a["household"] and lease.kind == LeaseKind.DIRECT
    assert len(audit_rows(Lease, lease.pk)) == 1
    body = lease_body(vacant_unit, a["household"], monthly_rent="420.00")
    assert_error_shape(adviser.put(url, body, format="json"), 428, "precondition_required")
    updated = adviser.put(url, body, format="json", HTTP_IF_MATCH=created["ETag"])
    assert updated.status_code == 200 and updated.json()["id"] == lease.pk
    assert Lease.objects.get(pk=lease.pk).monthly_rent == Decimal("420.00")
    assert_error_shape(adviser.put(url, body, format="json", HTTP_IF_MATCH=created["ETag"]), 412, "precondition_failed")
    assert Lease.objects.filter(tenant_reference="LOC-777").count() == 1
    # Another landlord with the same tenant number: not found among its leases, and A's unit is not its to let.
    other = api_as("b", "adviser").put(url, lease_body(vacant_unit, world["b"]["household"]), format="json")
    assert "unit" in assert_error_shape(other, 400)["errors"]
    # The association may not create leases.
    assert_error_shape(api_as("a", "caseworker").put("/api/v1/leases/tenant-reference/LOC-1/",
                                                     lease_body(vacant_unit, a["household"]), format="json"), 403)


def test_lease_creation_follows_the_tenant_rules(world, api_as, vacant_unit):
    a = world["a"]
    adviser = api_as("a", "adviser")
    no_association = adviser.post("/api/v1/leases/", lease_body(vacant_unit, a["household"], kind="sublet"), format="json")
    assert "tenant_organisation" in assert_error_shape(no_association, 400)["errors"]
    glissement_on_direct = adviser.post(
        "/api/v1/leases/", lease_body(vacant_unit, a["household"], planned_glissement_on="2025-06-01"), format="json"
    )
    assert "planned_glissement_on" in assert_error_shape(glissement_on_direct, 400)["errors"]
    sliding = adviser.post("/api/v1/leases/", lease_body(
        vacant_unit, a["household"], kind="sliding", tenant_organisation=a["association"].pk,
        planned_glissement_on="2025-06-01", ends_on="2026-05-31",
    ), format="json")
    assert sliding.status_code == 201, sliding.content
    lease = Lease.objects.get(pk=sliding.json()["id"])
    assert lease.tenant_organisation == a["association"] and lease.tenant_household is None and lease.rent_debtor == a["association"]
    # Another pair's household reads as one that does not exist.
    hidden = adviser.post("/api/v1/leases/", lease_body(f.HousingUnitFactory(landlord=a["landlord"]), world["b"]["household"]),
                          format="json")
    assert "occupant" in assert_error_shape(hidden, 400)["errors"]


def test_the_glissement_ends_the_association_lease_and_starts_the_direct_one(world, api_as, vacant_unit):
    a = world["a"]
    sliding = f.LeaseFactory(unit=vacant_unit, lessor=a["landlord"], occupant=a["household"], kind=LeaseKind.SLIDING,
                             planned_glissement_on=datetime.date(2025, 3, 1))
    url = f"/api/v1/leases/{sliding.pk}/glissement/"
    body = {"caleol_decided_on": "2025-02-10", "effective_on": "2025-03-01", "monthly_rent": "415.00"}
    assert_error_shape(api_as("a", "caseworker").post(url, body, format="json"), 403)
    assert_error_shape(api_as("b", "adviser").post(url, body, format="json"), 404)
    wrong = api_as("a", "adviser").post(url, {**body, "effective_on": "2025-02-01"}, format="json")
    assert "effective_on" in assert_error_shape(wrong, 400)["errors"]
    response = api_as("a", "adviser").post(url, body, format="json")
    assert response.status_code == 201, response.content
    glissement = Glissement.objects.get(pk=response.json()["id"])
    assert glissement.from_lease_id == sliding.pk and response.json()["to_lease"] == glissement.to_lease_id
    assert Lease.objects.get(pk=sliding.pk).ends_on == datetime.date(2025, 2, 28)
    direct = glissement.to_lease
    assert direct.kind == LeaseKind.DIRECT and direct.tenant_household == a["household"] and direct.monthly_rent == Decimal("415.00")
    assert audit_rows(Glissement, glissement.pk) and audit_rows(Lease, direct.pk)
    again = api_as("a", "adviser").post(url, body, format="json")
    assert assert_error_shape(again, 400)["errors"]["non_field_errors"] == ["Le glissement de ce bail est déjà enregistré."]


# --------------------------------------------------------------------------
# Attribution steps
# --------------------------------------------------------------------------


def test_attribution_steps_are_read_by_the_tenancy_side_and_recorded_by_the_supporting_association(world, api_as):
    a = world["a"]
    step = a["attribution"]
    AttributionStep.objects.filter(pk=step.pk).update(notes="SECRET-precision")
    caseworker = api_as("a", "caseworker")
    listed = {row["id"]: row for row in caseworker.get("/api/v1/attribution-steps/").json()["results"]}
    assert step.pk in listed and not {"unit", "notes"} & set(listed[step.pk])
    detail = caseworker.get(f"/api/v1/attribution-steps/{step.pk}/").json()
    assert detail["unit"] == step.unit_id and detail["notes"] == "SECRET-precision"
    assert_error_shape(api_as("b", "adviser").get(f"/api/v1/attribution-steps/{step.pk}/"), 404)
    assert ids(client_for(world["national"]).get("/api/v1/attribution-steps/")) == set()
    body = {"household": a["household"].pk, "kind": "caleol", "occurred_on": "2024-02-08", "decision": "granted",
            "notes": "Dossier complet"}
    created = caseworker.post("/api/v1/attribution-steps/", body, format="json")
    assert created.status_code == 201, created.content
    new = AttributionStep.objects.get(pk=created.json()["id"])
    assert new.organisation == a["association"] and new.decision == "granted"
    assert "notes" in audit_rows(AttributionStep, new.pk)[0].fields
    # The commission's decision is required at a CALEOL; a future date is refused (French).
    missing = caseworker.post("/api/v1/attribution-steps/", {**body, "decision": ""}, format="json")
    assert assert_error_shape(missing, 400)["errors"]["decision"] == ["Indiquez la décision de la commission."]
    future = caseworker.post("/api/v1/attribution-steps/", {**body, "occurred_on": "2999-01-01"}, format="json")
    assert "futur" in assert_error_shape(future, 400)["errors"]["occurred_on"][0]
    # The caseworker does not name a unit (the address is the landlord's to write).
    with_unit = caseworker.post("/api/v1/attribution-steps/", {**body, "unit": step.unit_id}, format="json")
    assert assert_error_shape(with_unit, 400, "field_not_writable")["errors"] == {"unit": ["Vous ne pouvez pas modifier ce champ."]}
    # Another pair's household reads as missing.
    hidden = caseworker.post("/api/v1/attribution-steps/", {**body, "household": world["b"]["household"].pk}, format="json")
    assert "household" in assert_error_shape(hidden, 400)["errors"]


def test_the_landlord_records_an_attribution_step_on_its_own_unit(world, api_as, vacant_unit):
    a = world["a"]
    adviser = api_as("a", "adviser")
    body = {"household": a["household"].pk, "kind": "proposal", "occurred_on": "2024-01-15"}
    assert_error_shape(adviser.post("/api/v1/attribution-steps/", body, format="json"), 403)  # no unit: not the landlord's step
    created = adviser.post("/api/v1/attribution-steps/", {**body, "unit": vacant_unit.pk}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["unit"] == vacant_unit.pk


# --------------------------------------------------------------------------
# Eviction prevention
# --------------------------------------------------------------------------


def test_eviction_case_open_step_and_close(world, api_as):
    a = world["a"]
    case_of(a).__class__.objects.filter(lease__occupant=a["household"]).update(
        status=EvictionCaseStatus.AVOIDED, closed_on=datetime.date(2025, 1, 10)
    )
    lease = lease_of(a)
    adviser = api_as("a", "adviser")
    body = {"lease": lease.pk, "opened_on": "2025-02-03", "arrears_amount": "1245.90"}
    assert_error_shape(api_as("a", "caseworker").post("/api/v1/eviction-cases/", body, format="json"), 403)
    before = adviser.post("/api/v1/eviction-cases/", {**body, "opened_on": "2024-01-01"}, format="json")
    assert assert_error_shape(before, 400)["errors"]["opened_on"] == [
        "Le dossier ne peut pas être ouvert avant la prise d'effet du bail (01/03/2024)."]
    negative = adviser.post("/api/v1/eviction-cases/", {**body, "arrears_amount": "-5"}, format="json")
    assert "arrears_amount" in assert_error_shape(negative, 400)["errors"]
    opened = adviser.post("/api/v1/eviction-cases/", body, format="json")
    assert opened.status_code == 201, opened.content
    case = EvictionCase.objects.get(pk=opened.json()["id"])
    assert opened.json()["status"] == "open" and opened.json()["household"] == a["household"].pk
    assert audit_rows(EvictionCase, case.pk)
    twice = adviser.post("/api/v1/eviction-cases/", body, format="json")
    assert assert_error_shape(twice, 400)["errors"]["non_field_errors"] == ["Un dossier de prévention est déjà ouvert sur ce bail."]

    # A step: the computed legal deadline with its rule (the rules loaded by housing.0003).
    step_body = {"case": case.pk, "kind": "payment_order", "occurred_on": "2025-02-10", "amount": "1245.90"}
    assert_error_shape(api_as("a", "caseworker").post("/api/v1/eviction-steps/", step_body, format="json"), 403)
    step = adviser.post("/api/v1/eviction-steps/", step_body, format="json")
    assert step.status_code == 201, step.content
    recorded = EvictionStep.objects.get(pk=step.json()["id"])
    assert recorded.deadline_on and recorded.deadline_rule
    assert step.json()["deadline_on"] == recorded.deadline_on.isoformat()
    assert step.json()["deadline_label"] == recorded.deadline_rule.label
    assert step.json()["deadline_legal_reference"] == recorded.deadline_rule.legal_reference
    assert audit_rows(EvictionStep, recorded.pk)
    judgment = adviser.post("/api/v1/eviction-steps/", {**step_body, "kind": "judgment"}, format="json")
    assert assert_error_shape(judgment, 400)["errors"]["judgment_result"] == ["Indiquez le sens du jugement."]
    early = adviser.post("/api/v1/eviction-steps/", {**step_body, "occurred_on": "2025-01-01"}, format="json")
    assert "occurred_on" in assert_error_shape(early, 400)["errors"]

    # Close: If-Match (or version) required; the new step bumped the version.
    url = f"/api/v1/eviction-cases/{case.pk}/close/"
    close = {"status": "settled", "closed_on": "2025-03-01"}
    assert_error_shape(adviser.post(url, close, format="json"), 428, "precondition_required")
    assert_error_shape(adviser.post(url, close, format="json", HTTP_IF_MATCH=opened["ETag"]), 412, "precondition_failed")
    assert_error_shape(api_as("a", "caseworker").post(url, close, format="json", HTTP_IF_MATCH="*"), 403)
    assert_error_shape(api_as("b", "adviser").post(url, close, format="json", HTTP_IF_MATCH="*"), 404)
    open_again = adviser.post(url, {**close, "status": "open"}, format="json", HTTP_IF_MATCH="*")
    assert "status" in assert_error_shape(open_again, 400)["errors"]
    current = adviser.get(f"/api/v1/eviction-cases/{case.pk}/")
    closed = adviser.post(url, {**close, "version": current.json()["version"]}, format="json")
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "settled" and closed.json()["closed_on"] == "2025-03-01"
    assert sorted(audit_rows(EvictionCase, case.pk, "update")[0].fields) == ["closed_on", "status"]
    late = adviser.post("/api/v1/eviction-steps/", step_body, format="json")
    assert "clos" in assert_error_shape(late, 400)["errors"]["non_field_errors"][0]


def test_unknown_field_on_actions_is_a_400(world, api_as):
    case = case_of(world["a"])
    response = api_as("a", "adviser").post(f"/api/v1/eviction-cases/{case.pk}/close/", {"status": "settled",
                                           "closed_on": "2025-03-01", "reason": "x"}, format="json", HTTP_IF_MATCH="*")
    assert assert_error_shape(response, 400)["errors"] == {"reason": ["Ce champ n'existe pas dans cette ressource."]}
    step = api_as("a", "adviser").post("/api/v1/eviction-steps/", {"case": case.pk, "kind": "arrears", "occurred_on": "2025-01-10",
                                       "deadline_on": "2025-02-01"}, format="json")
    assert assert_error_shape(step, 400)["errors"] == {"deadline_on": ["Ce champ est en lecture seule."]}


# --------------------------------------------------------------------------
# Ordering and query counts
# --------------------------------------------------------------------------


def test_ordering_on_the_declared_fields_only(world, api_as):
    adviser = api_as("a", "adviser")
    for resource, field in [("housing-units", "city"), ("leases", "starts_on"), ("attribution-steps", "occurred_on"),
                            ("eviction-cases", "opened_on"), ("eviction-steps", "occurred_on")]:
        assert adviser.get(f"/api/v1/{resource}/", {"ordering": f"-{field}"}).status_code == 200, resource
    f.LeaseFactory(unit=f.HousingUnitFactory(landlord=world["a"]["landlord"]), lessor=world["a"]["landlord"],
                   occupant=world["a"]["household"], starts_on=datetime.date(2023, 1, 1), ends_on=datetime.date(2023, 12, 31))
    rows = adviser.get("/api/v1/leases/", {"ordering": "starts_on"}).json()["results"]
    assert [row["starts_on"] for row in rows] == sorted(row["starts_on"] for row in rows)


def add_rows(pair: dict, resource: str, n: int) -> None:
    landlord, household = pair["landlord"], pair["household"]
    for _ in range(n):
        if resource == "housing-units":
            f.HousingUnitFactory(landlord=landlord)
        elif resource == "attribution-steps":
            f.AttributionStepFactory(household=household, unit=f.HousingUnitFactory(landlord=landlord))
        elif resource == "leases":
            f.LeaseFactory(unit=f.HousingUnitFactory(landlord=landlord), lessor=landlord, occupant=household)
        elif resource == "eviction-cases":
            f.EvictionCaseFactory(lease=f.LeaseFactory(unit=f.HousingUnitFactory(landlord=landlord), lessor=landlord,
                                                       occupant=household))
        elif resource == "eviction-steps":
            f.EvictionStepFactory(case=case_of(pair), payment_order=True, deadline_rule=f.DeadlineRuleFactory(),
                                  deadline_on=datetime.date(2024, 12, 16))


# Per list request (after a warm-up): 1 token lookup, 1 page SELECT whose scope
# is subqueries. Lists carry no protected field: no policy check per row.
@pytest.mark.parametrize("resource", ["housing-units", "attribution-steps", "leases", "eviction-cases", "eviction-steps"])
def test_a_list_page_costs_the_same_for_1_and_20_rows(world, api_as, resource):
    client = api_as("a", "adviser")
    client.get(f"/api/v1/{resource}/")  # warm up (token last-use stamp)
    add_rows(world["a"], resource, 20)
    counts = []
    for size in (1, 20):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/{resource}/", {"page_size": size})
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        counts.append(len(captured))
    assert counts[0] == counts[1] == 2, counts


@pytest.mark.parametrize("who", ["national", "funder"])
def test_national_and_funder_roles_see_and_write_nothing(world, who):
    client = client_for(world[who])
    for resource in ("housing-units", "leases", "attribution-steps", "eviction-cases", "eviction-steps"):
        assert ids(client.get(f"/api/v1/{resource}/")) == set(), resource
    lease = lease_of(world["a"])
    assert_error_shape(client.get(f"/api/v1/leases/{lease.pk}/"), 404, "not_found")
    assert_error_shape(client.post("/api/v1/housing-units/", UNIT_BODY, format="json"), 403)


def test_a_malformed_date_or_amount_is_a_french_400(world, api_as):
    lease = lease_of(world["a"])
    response = api_as("a", "adviser").patch(f"/api/v1/leases/{lease.pk}/", {"ends_on": "31/02/2024", "monthly_rent": "beaucoup"},
                                             format="json", HTTP_IF_MATCH=f'"{lease.version}"')
    errors = assert_error_shape(response, 400, "invalid")["errors"]
    assert "format" in errors["ends_on"][0] and "nombre" in errors["monthly_rent"][0], errors


def test_a_raced_rpls_id_is_still_a_french_400(world, api_as, monkeypatch):
    from housing import services

    theirs = lease_of(world["b"]).unit
    # As if the other unit committed between the checks and the INSERT: the unique index answers.
    monkeypatch.setattr(services, "_unit_errors", lambda *args, **kwargs: {})
    monkeypatch.setattr(HousingUnit, "validate_constraints", lambda self, exclude=None: None)
    response = api_as("a", "adviser").post("/api/v1/housing-units/", {**UNIT_BODY, "rpls_id": theirs.rpls_id}, format="json")
    assert assert_error_shape(response, 400)["errors"] == {"rpls_id": ["Un logement porte déjà cet identifiant RPLS."]}


def test_if_match_on_an_upsert_of_a_missing_row_is_a_412(world, api_as, vacant_unit):
    response = api_as("a", "adviser").put("/api/v1/housing-units/rpls/NOPE1/", UNIT_BODY, format="json", HTTP_IF_MATCH='"1"')
    assert_error_shape(response, 412, "precondition_failed")
    assert not HousingUnit.objects.filter(rpls_id="NOPE1").exists()


def test_a_tenant_number_kept_across_leases_finds_the_current_lease(world, api_as, vacant_unit):
    a = world["a"]
    landlord, household = a["landlord"], a["household"]
    old = f.LeaseFactory(unit=vacant_unit, lessor=landlord, occupant=household, tenant_reference="LOC-42",
                         starts_on=datetime.date(2022, 1, 1), ends_on=datetime.date(2022, 12, 31))
    current = f.LeaseFactory(unit=vacant_unit, lessor=landlord, occupant=household, tenant_reference="LOC-42",
                             starts_on=datetime.date(2023, 1, 1))
    response = api_as("a", "adviser").put("/api/v1/leases/tenant-reference/LOC-42/", {"monthly_rent": "399.00"},
                                          format="json", HTTP_IF_MATCH=f'"{current.version}"')
    assert response.status_code == 200 and response.json()["id"] == current.pk
    assert Lease.objects.get(pk=old.pk).monthly_rent == old.monthly_rent

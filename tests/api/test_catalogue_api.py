"""The catalogue side of the API v1: organisations, projects with their children and money, report runs.

Personas of tests/test_access_matrix.py: pair A (landlord A leads project A
with association A) and pair B; ``national`` (USH) sees every project;
``funder`` (the State service) funds project A only.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from core.models import AuditLog
from projects.models import BudgetLine, CommitteeDecision, CommitteeMeeting, Expense, Funding, Payment, ProjectCarrier, ProjectTarget
from projects.models import Action as ProjectAction
from reporting.models import ReportRun
from tests import factories as f
from tests.api.conftest import assert_error_shape, client_for

pytestmark = pytest.mark.django_db

CHILDREN = {
    "project-carriers": ProjectCarrier,
    "project-actions": ProjectAction,
    "project-targets": ProjectTarget,
    "budget-lines": BudgetLine,
    "fundings": Funding,
    "payments": Payment,
    "expenses": Expense,
    "committee-meetings": CommitteeMeeting,
}


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def rows(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def child_ids(pair: dict, model) -> set[int]:
    return set(model.objects.filter(project=pair["project"]).values_list("pk", flat=True))


# ---------------------------------------------------------------- organisations


@pytest.mark.parametrize("who", ["adviser", "caseworker", "national", "funder"])
def test_every_role_reads_the_directory_without_contact_persons(world, who):
    membership = world[who] if who in ("national", "funder") else world["a"]["people"][who]
    client = client_for(membership)
    listed = rows(client.get("/api/v1/organisations/", {"page_size": 100}))
    every = {world[p][k].pk for p in ("a", "b") for k in ("landlord", "association")}
    assert every <= {row["id"] for row in listed}
    row = next(r for r in listed if r["id"] == world["b"]["association"].pk)
    assert {"name", "short_name", "kind", "siren", "departement", "city", "version"} <= set(row)
    assert row["kind"] == "association"
    # The list is the directory; the address and e-mail are on the card; no person anywhere.
    assert not {"address", "email", "memberships", "members"} & set(row)
    detail = client.get(f"/api/v1/organisations/{world['b']['association'].pk}/")
    assert detail.status_code == 200 and detail["ETag"]
    assert {"address", "email", "postcode"} <= set(detail.json())
    assert not {"memberships", "members", "normalized_name"} & set(detail.json())


def test_organisations_filter_and_order(world, api_as):
    f.OrganisationFactory(association=True, name="Habitat et Humanisme Rhône", short_name="HH", siren="123456789")
    client = api_as("a", "caseworker")
    kinds = {row["kind"] for row in rows(client.get("/api/v1/organisations/", {"kind": "association", "page_size": 100}))}
    assert kinds == {"association"}
    found = rows(client.get("/api/v1/organisations/", {"q": "humanisme rhone"}))
    assert [row["name"] for row in found] == ["Habitat et Humanisme Rhône"]
    assert [row["siren"] for row in rows(client.get("/api/v1/organisations/", {"q": "1234"}))] == ["123456789"]
    assert len(rows(client.get("/api/v1/organisations/", {"siren": "123456789"}))) == 1
    names = [row["name"] for row in rows(client.get("/api/v1/organisations/", {"ordering": "name", "page_size": 100}))]
    assert names == sorted(names)
    names = [row["name"] for row in rows(client.get("/api/v1/organisations/", {"ordering": "-name", "page_size": 100}))]
    assert names == sorted(names, reverse=True)
    assert_error_shape(client.get("/api/v1/organisations/", {"kind": "pirate"}), 400, "invalid")


def test_an_organisation_admin_updates_its_own_card_only(world, api_as):
    association = world["a"]["association"]
    url = f"/api/v1/organisations/{association.pk}/"
    admin = api_as("a", "admin")
    etag = admin.get(url)["ETag"]
    assert_error_shape(admin.patch(url, {"city": "Villeurbanne"}, format="json"), 428, "precondition_required")
    assert_error_shape(admin.patch(url, {"city": "Villeurbanne"}, format="json", HTTP_IF_MATCH='"999"'), 412)
    response = admin.patch(url, {"city": "Villeurbanne", "siren": "552100554", "email": "contact@asso-a.example"},
                           format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["city"] == "Villeurbanne" and response["ETag"] == f'"{association.version + 1}"'
    association.refresh_from_db()
    assert (association.city, association.siren) == ("Villeurbanne", "552100554")
    row = AuditLog.objects.get(action="update", model_label="partners.Organisation", object_id=str(association.pk))
    assert sorted(row.fields) == ["city", "email", "siren"]
    etag = response["ETag"]
    # The kind stays with the platform administrators: a 400 naming the field.
    body = assert_error_shape(admin.patch(url, {"kind": "landlord"}, format="json", HTTP_IF_MATCH=etag), 400)
    assert list(body["errors"]) == ["kind"]
    body = assert_error_shape(admin.patch(url, {"siren": "12"}, format="json", HTTP_IF_MATCH=etag), 400)
    assert "siren" in body["errors"]
    body = assert_error_shape(admin.patch(url, {"name": world["b"]["association"].name.upper()}, format="json",
                                          HTTP_IF_MATCH=etag), 400)
    assert "name" in body["errors"]
    body = assert_error_shape(admin.patch(url, {"city": "Ly\x00on"}, format="json", HTTP_IF_MATCH=etag), 400)
    assert list(body["errors"]) == ["city"]
    body = assert_error_shape(admin.patch(url, {"nickname": "x"}, format="json", HTTP_IF_MATCH=etag), 400)
    assert list(body["errors"]) == ["nickname"]
    # Another organisation's card, a member who is not admin, a read-only token: 403.
    other = f"/api/v1/organisations/{world['a']['landlord'].pk}/"
    assert_error_shape(admin.patch(other, {"city": "X"}, format="json", HTTP_IF_MATCH=f'"{world["a"]["landlord"].version}"'), 403)
    assert_error_shape(api_as("a", "caseworker").patch(url, {"city": "X"}, format="json", HTTP_IF_MATCH=etag), 403)
    assert_error_shape(api_as("a", "admin", scope="read").patch(url, {"city": "X"}, format="json", HTTP_IF_MATCH=etag), 403)
    association.refresh_from_db()
    assert association.city == "Villeurbanne" and association.kind == "association"


# ---------------------------------------------------------------- projects and their children


def test_the_project_detail_carries_its_children(world, api_as):
    a = world["a"]
    f.PaymentFactory(project=a["project"], payer=a["landlord"], payee=a["association"])
    body = api_as("a", "adviser").get(f"/api/v1/projects/{a['project'].pk}/").json()
    assert {row["organisation"] for row in body["carriers"]} == {a["landlord"].pk, a["association"].pk}
    assert {row["organisation_name"] for row in body["carriers"]} == {a["landlord"].name, a["association"].name}
    assert [row["id"] for row in body["actions"]] == [a["action"].pk]
    assert [row["id"] for row in body["targets"]] == [a["target"].pk]
    assert [row["id"] for row in body["budget_lines"]] == [a["budget"].pk]
    expense = Expense.objects.get(budget_line=a["budget"])
    assert Decimal(body["budget_lines"][0]["spent"]) == expense.amount
    funding = body["fundings"][0]
    assert {"amount_requested", "amount_awarded", "received", "decision", "funder"} <= set(funding)
    assert set(row["id"] for row in body["payments"]) == child_ids(a, Payment)
    # No household data in a project.
    assert not {"households", "measures"} & set(body)


def test_the_project_detail_costs_the_same_whatever_its_children(world, api_as, django_assert_num_queries):
    project = world["a"]["project"]
    client = api_as("a", "adviser")
    url = f"/api/v1/projects/{project.pk}/"
    client.get(url)  # first use of the token writes last_used_at

    # token, project (scope in subqueries), carriers + organisations, actions, targets, budget lines,
    # fundings, payments: 8, whatever the number of children.
    with django_assert_num_queries(8):
        assert client.get(url).status_code == 200
    for year in range(2025, 2030):
        f.BudgetLineFactory(project=project, year=year)
        f.ActionFactory(project=project)
        f.ProjectTargetFactory(project=project)
        f.PaymentFactory(project=project, payer=world["a"]["landlord"], payee=world["a"]["association"])
        f.FundingFactory(project=project)
    with django_assert_num_queries(8):
        body = client.get(url).json()
    assert len(body["budget_lines"]) == 6 and len(body["payments"]) == 6


@pytest.mark.parametrize("resource", list(CHILDREN))
def test_children_lists_are_scoped_per_role(world, resource):
    model = CHILDREN[resource]
    a, b = world["a"], world["b"]
    mine, theirs = child_ids(a, model), child_ids(b, model)
    assert mine and theirs
    for role in ("adviser", "caseworker"):
        client = client_for(a["people"][role])
        assert ids(client.get(f"/api/v1/{resource}/", {"page_size": 100})) == mine
        assert client.get(f"/api/v1/{resource}/{min(mine)}/").status_code == 200
        assert_error_shape(client.get(f"/api/v1/{resource}/{min(theirs)}/"), 404, "not_found")
    # National staff see every project's rows; the funder those of the project it funds.
    assert ids(client_for(world["national"]).get(f"/api/v1/{resource}/", {"page_size": 100})) >= mine | theirs
    funder = client_for(world["funder"])
    assert ids(funder.get(f"/api/v1/{resource}/", {"page_size": 100})) == mine
    assert_error_shape(funder.get(f"/api/v1/{resource}/{min(theirs)}/"), 404, "not_found")
    # Filter by project (a project one cannot see filters to nothing).
    national = client_for(world["national"])
    assert ids(national.get(f"/api/v1/{resource}/", {"project": b["project"].pk, "page_size": 100})) == theirs
    assert ids(client_for(a["people"]["adviser"]).get(f"/api/v1/{resource}/", {"project": b["project"].pk})) == set()


def test_funders_and_national_staff_see_projects_and_money(world):
    a, b = world["a"], world["b"]
    funder = client_for(world["funder"])
    assert ids(funder.get("/api/v1/projects/")) == {a["project"].pk}
    body = funder.get(f"/api/v1/projects/{a['project'].pk}/").json()
    assert body["fundings"] and body["budget_lines"] and body["payments"]
    assert_error_shape(funder.get(f"/api/v1/projects/{b['project'].pk}/"), 404, "not_found")
    assert {a["project"].pk, b["project"].pk} <= ids(client_for(world["national"]).get("/api/v1/projects/"))
    assert_error_shape(client_for(a["people"]["caseworker"]).get(f"/api/v1/projects/{b['project'].pk}/"), 404)
    numbers = [row["number"] for row in rows(client_for(world["national"]).get("/api/v1/projects/", {"ordering": "-number"}))]
    assert numbers == sorted(numbers, reverse=True)


def test_children_lists_filter_order_and_sync(world, api_as):
    a = world["a"]
    project = a["project"]
    for day in (3, 1, 2):
        f.PaymentFactory(project=project, payer=a["landlord"], payee=a["association"], paid_on=datetime.date(2025, 1, day))
    client = api_as("a", "adviser")
    paid = [row["paid_on"] for row in rows(client.get("/api/v1/payments/", {"ordering": "paid_on", "page_size": 100}))]
    assert paid == sorted(paid)
    paid = [row["paid_on"] for row in rows(client.get("/api/v1/payments/", {"ordering": "-paid_on", "page_size": 100}))]
    assert paid == sorted(paid, reverse=True)
    assert {row["kind"] for row in rows(client.get("/api/v1/payments/", {"kind": "partner_transfer"}))} == {"partner_transfer"}
    assert rows(client.get("/api/v1/payments/", {"kind": "grant_instalment"})) == []
    years = [row["year"] for row in rows(client.get("/api/v1/budget-lines/", {"ordering": "-year"}))]
    assert years == sorted(years, reverse=True)
    # updated_since (inherited): rows changed long ago are not sent again.
    Payment.objects.filter(project=project).update(updated_at=timezone.now() - datetime.timedelta(days=10))
    newest = Payment.objects.filter(project=project).first()
    Payment.objects.filter(pk=newest.pk).update(updated_at=timezone.now())
    since = (timezone.now() - datetime.timedelta(days=1)).isoformat()
    assert ids(client.get("/api/v1/payments/", {"updated_since": since})) == {newest.pk}


def test_committee_minutes_are_for_the_carriers_only(world):
    a, b = world["a"], world["b"]
    meeting = a["meeting"]
    CommitteeMeeting.objects.filter(pk=meeting.pk).update(summary="SECRET-releve")
    decision = CommitteeDecision.objects.get(meeting=meeting)
    CommitteeDecision.objects.filter(pk=decision.pk).update(subject="SECRET-objet", decision="SECRET-decision", owner="SECRET-resp")
    protected = {"subject", "decision", "owner"}
    for who in ("adviser", "caseworker"):
        client = client_for(a["people"][who])
        assert client.get(f"/api/v1/committee-meetings/{meeting.pk}/").json()["summary"] == "SECRET-releve"
        body = client.get(f"/api/v1/committee-decisions/{decision.pk}/").json()
        assert {body[name] for name in protected} == {"SECRET-objet", "SECRET-decision", "SECRET-resp"}
        assert body["project"] == a["project"].pk
        # Lists never carry the protected fields (no policy check per row).
        assert all("summary" not in row for row in rows(client.get("/api/v1/committee-meetings/")))
        assert all(not protected & set(row) for row in rows(client.get("/api/v1/committee-decisions/")))
        assert ids(client.get("/api/v1/committee-decisions/", {"project": a["project"].pk})) == {decision.pk}
        assert ids(client.get("/api/v1/committee-decisions/", {"project": b["project"].pk})) == set()
    # Funders and national staff see the meeting and the decision's dates, not what was said.
    for membership in (world["funder"], world["national"]):
        client = client_for(membership)
        body = client.get(f"/api/v1/committee-meetings/{meeting.pk}/").json()
        assert body["held_on"] and "summary" not in body
        body = client.get(f"/api/v1/committee-decisions/{decision.pk}/").json()
        assert body["id"] == decision.pk and not protected & set(body)
    assert "SECRET" not in client_for(world["national"]).get("/api/v1/committee-decisions/").content.decode()
    theirs = CommitteeDecision.objects.filter(meeting__project=b["project"]).first()
    assert_error_shape(client_for(a["people"]["adviser"]).get(f"/api/v1/committee-decisions/{theirs.pk}/"), 404)


# ---------------------------------------------------------------- writes on the money


def test_the_lead_landlord_records_a_payment_to_its_partner(world, api_as):
    a = world["a"]
    payload = {"project": a["project"].pk, "kind": "partner_transfer", "payer": a["landlord"].pk,
               "payee": a["association"].pk, "amount": "12500.00", "paid_on": "2025-03-31", "reference": "VIR-2025-03"}
    response = api_as("a", "adviser").post("/api/v1/payments/", payload, format="json")
    assert response.status_code == 201, response.content
    payment = Payment.objects.get(pk=response.json()["id"])
    assert (payment.amount, payment.payee) == (Decimal("12500.00"), a["association"]) and response["ETag"] == '"1"'
    assert AuditLog.objects.filter(action="create", model_label="projects.Payment", object_id=str(payment.pk)).exists()
    # Refusals: caseworker (not an editor), national staff, funder, read-only token.
    before = Payment.objects.count()
    for client in (api_as("a", "caseworker"), client_for(world["national"]), client_for(world["funder"]),
                   api_as("a", "adviser", scope="read")):
        assert_error_shape(client.post("/api/v1/payments/", payload, format="json"), 403)
    # Another pair's project reads as a missing one; the payer of a transfer is the lead landlord.
    body = assert_error_shape(api_as("b", "adviser").post("/api/v1/payments/", payload, format="json"), 400)
    assert "project" in body["errors"]
    body = assert_error_shape(api_as("a", "adviser").post(
        "/api/v1/payments/", {**payload, "payer": a["association"].pk, "payee": a["landlord"].pk}, format="json"), 400)
    assert list(body["errors"]) == ["payer"]
    body = assert_error_shape(api_as("a", "adviser").post("/api/v1/payments/", {**payload, "amount": "0"}, format="json"), 400)
    assert "amount" in body["errors"]
    body = assert_error_shape(api_as("a", "adviser").post("/api/v1/payments/", {**payload, "id": 5, "note": "x"},
                                                          format="json"), 400)
    assert "note" in body["errors"]
    assert Payment.objects.count() == before


def test_a_funder_instalment_goes_to_its_funding(world, api_as):
    a = world["a"]
    funding = a["funding"]
    payload = {"project": a["project"].pk, "kind": "grant_instalment", "payer": funding.funder_id,
               "payee": a["landlord"].pk, "amount": "20000.00", "paid_on": "2025-02-01"}
    client = api_as("a", "adviser")
    body = assert_error_shape(client.post("/api/v1/payments/", payload, format="json"), 400)
    assert list(body["errors"]) == ["funding"]
    # A funding of another project is refused (the other pair's one is not even visible).
    body = assert_error_shape(client.post("/api/v1/payments/", {**payload, "funding": world["b"]["funding"].pk},
                                          format="json"), 400)
    assert "funding" in body["errors"]
    response = client.post("/api/v1/payments/", {**payload, "funding": funding.pk}, format="json")
    assert response.status_code == 201, response.content
    received = client.get(f"/api/v1/fundings/{funding.pk}/").json()["received"]
    assert Decimal(received) == Decimal("20000.00")


def test_expenses_are_recorded_on_a_visible_budget_line(world, api_as):
    a = world["a"]
    payload = {"budget_line": a["budget"].pk, "spent_on": "2025-04-30", "amount": "800.00", "label": "Quote-part salaire"}
    response = api_as("a", "adviser").post("/api/v1/expenses/", payload, format="json")
    assert response.status_code == 201, response.content
    expense = Expense.objects.get(pk=response.json()["id"])
    assert expense.project == a["project"] and response.json()["project"] == a["project"].pk
    assert AuditLog.objects.filter(action="create", model_label="projects.Expense", object_id=str(expense.pk)).exists()
    line = api_as("a", "adviser").get(f"/api/v1/budget-lines/{a['budget'].pk}/").json()
    assert Decimal(line["spent"]) == sum(e.amount for e in Expense.objects.filter(budget_line=a["budget"]))
    body = assert_error_shape(api_as("b", "adviser").post("/api/v1/expenses/", payload, format="json"), 400)
    assert "budget_line" in body["errors"]
    assert_error_shape(client_for(world["funder"]).post("/api/v1/expenses/", payload, format="json"), 403)
    body = assert_error_shape(api_as("a", "adviser").post("/api/v1/expenses/", {**payload, "project": 1}, format="json"), 400)
    assert list(body["errors"]) == ["project"]


def test_the_carriers_record_a_funding_decision(world, api_as):
    funding = world["a"]["funding"]
    url = f"/api/v1/fundings/{funding.pk}/"
    client = api_as("a", "adviser")
    etag = client.get(url)["ETag"]
    assert_error_shape(client.patch(url, {"decision": "granted"}, format="json"), 428)
    response = client.patch(url, {"decision": "granted", "amount_awarded": "45000.00", "decided_on": "2025-01-15"},
                            format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    funding.refresh_from_db()
    assert (funding.decision, funding.amount_awarded) == ("granted", Decimal("45000.00"))
    row = AuditLog.objects.get(action="update", model_label="projects.Funding", object_id=str(funding.pk))
    assert sorted(row.fields) == ["amount_awarded", "decided_on", "decision"]
    etag = response["ETag"]
    body = assert_error_shape(client.patch(url, {"decision": "refused"}, format="json", HTTP_IF_MATCH=etag), 400)
    assert "amount_awarded" in body["errors"]
    body = assert_error_shape(client.patch(url, {"funder": world["b"]["landlord"].pk}, format="json", HTTP_IF_MATCH=etag), 400)
    assert list(body["errors"]) == ["funder"]
    # The funder itself and national staff read it, and may not write it.
    assert client_for(world["funder"]).get(url).status_code == 200
    assert_error_shape(client_for(world["funder"]).patch(url, {"reference": "X"}, format="json", HTTP_IF_MATCH=etag), 403)
    assert_error_shape(client_for(world["national"]).patch(url, {"reference": "X"}, format="json", HTTP_IF_MATCH=etag), 403)
    assert_error_shape(api_as("b", "adviser").patch(url, {"reference": "X"}, format="json", HTTP_IF_MATCH=etag), 404)


# ---------------------------------------------------------------- report runs


def test_report_runs_are_scoped_and_filterable(world, api_as):
    a, b = world["a"], world["b"]
    mine = set(ReportRun.objects.filter(organisation=a["association"]).values_list("pk", flat=True))
    theirs = set(ReportRun.objects.filter(organisation=b["association"]).values_list("pk", flat=True))
    national_run = f.ReportRunFactory(scope="national", kind="funding", status="succeeded")
    project_run = f.ReportRunFactory(scope="project", project=a["project"], kind="outcome")
    funder_run = f.ReportRunFactory(scope="funder", organisation=world["funder"].organisation, kind="funding")
    caseworker = api_as("a", "caseworker")
    assert ids(caseworker.get("/api/v1/report-runs/")) == mine | {project_run.pk}
    assert_error_shape(caseworker.get(f"/api/v1/report-runs/{min(theirs)}/"), 404, "not_found")
    assert ids(client_for(world["national"]).get("/api/v1/report-runs/")) == {national_run.pk}
    assert ids(client_for(world["funder"]).get("/api/v1/report-runs/")) == {funder_run.pk}
    assert ids(caseworker.get("/api/v1/report-runs/", {"project": a["project"].pk})) == {project_run.pk}
    assert ids(caseworker.get("/api/v1/report-runs/", {"scope": "association"})) == mine
    assert ids(caseworker.get("/api/v1/report-runs/", {"kind": "funding"})) == set()
    assert ids(client_for(world["national"]).get("/api/v1/report-runs/", {"status": "pending"})) == set()
    ordered = [r["period_start"] for r in rows(caseworker.get("/api/v1/report-runs/", {"ordering": "-period_start"}))]
    assert ordered == sorted(ordered, reverse=True)
    # A caseworker may not ask for a report (leads, admins and national staff do).
    assert_error_shape(caseworker.post("/api/v1/report-runs/", {}, format="json"), 403)


def test_a_lead_requests_a_report_and_relaunches_it(world, api_as, django_capture_on_commit_callbacks):
    from reporting.models import ReportStatus

    a = world["a"]
    lead = api_as("a", "lead")
    payload = {"kind": "indicators", "scope": "association", "organisation": a["association"].pk,
               "period_start": "2026-01-01", "period_end": "2026-06-30"}
    with django_capture_on_commit_callbacks(execute=False):
        response = lead.post("/api/v1/report-runs/", payload, format="json")
    assert response.status_code == 201, response.content
    run = ReportRun.objects.get(pk=response.json()["id"])
    assert (run.status, run.kind, run.organisation) == (ReportStatus.PENDING, "indicators", a["association"])
    body = assert_error_shape(lead.post("/api/v1/report-runs/", {**payload, "period_end": "2025-01-01"}, format="json"), 400)
    assert body["errors"]
    ReportRun.objects.filter(pk=run.pk).update(status=ReportStatus.FAILED, error="Échec de test", attempts=4)
    run.refresh_from_db()
    assert_error_shape(lead.post(f"/api/v1/report-runs/{run.pk}/relaunch/", {}, format="json"), 428)
    with django_capture_on_commit_callbacks(execute=False):
        relaunched = lead.post(f"/api/v1/report-runs/{run.pk}/relaunch/", {"version": run.version}, format="json")
    assert relaunched.status_code == 200, relaunched.content
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (ReportStatus.PENDING, 0, "")
    assert_error_shape(api_as("a", "caseworker").post(f"/api/v1/report-runs/{run.pk}/relaunch/", {"version": run.version},
                                                      format="json"), 403)
    assert_error_shape(api_as("b", "lead").post(f"/api/v1/report-runs/{run.pk}/relaunch/", {}, format="json"), 404)


def test_the_file_of_a_report_run_is_a_link_only_when_it_exists(world, api_as, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    a = world["a"]
    run = ReportRun.objects.filter(organisation=a["association"]).first()
    caseworker = api_as("a", "caseworker")
    body = caseworker.get(f"/api/v1/report-runs/{run.pk}/").json()
    assert body["file"] is None
    assert_error_shape(caseworker.get(f"/api/v1/report-runs/{run.pk}/file/"), 404)
    run.file.save("bilan-2024.csv", ContentFile(b"categorie;projets\n2.1;3\n"))
    body = caseworker.get(f"/api/v1/report-runs/{run.pk}/").json()
    assert body["file"].endswith(f"/api/v1/report-runs/{run.pk}/file/")
    download = caseworker.get(f"/api/v1/report-runs/{run.pk}/file/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"categorie;projets\n2.1;3\n"
    assert download["Content-Type"] == "application/octet-stream"
    assert caseworker.get(f"/api/v1/report-runs/{run.pk}/file/", HTTP_ACCEPT="application/octet-stream").status_code == 200
    # Another organisation's run and its file: 404.
    assert_error_shape(api_as("b", "caseworker").get(f"/api/v1/report-runs/{run.pk}/file/"), 404, "not_found")


# ---------------------------------------------------------------- query counts

# Queries of one token-authenticated list request, whatever the page size:
# the token (1), the page (1: scoping is subqueries of the same SELECT;
# annotations of spent/received are subqueries too). Cursor pagination
# needs no COUNT.
LIST_QUERIES = {
    "/api/v1/organisations/": 2,
    "/api/v1/projects/": 2,
    "/api/v1/project-carriers/": 2,
    "/api/v1/project-actions/": 2,
    "/api/v1/project-targets/": 2,
    "/api/v1/budget-lines/": 2,
    "/api/v1/fundings/": 2,
    "/api/v1/payments/": 2,
    "/api/v1/expenses/": 2,
    # token, page, participants prefetch
    "/api/v1/committee-meetings/": 3,
    "/api/v1/committee-decisions/": 2,
    "/api/v1/report-runs/": 2,
}


@pytest.mark.parametrize("url", list(LIST_QUERIES))
def test_list_query_counts_do_not_grow_with_the_page(world, url, django_assert_num_queries):
    a = world["a"]
    for year in range(2025, 2047):
        project = f.ProjectFactory(lead_landlord=a["landlord"])
        f.ProjectCarrierFactory(project=project, organisation=a["landlord"], role="lead")
        f.ActionFactory(project=project, partner=a["association"])
        f.ProjectTargetFactory(project=project)
        line = f.BudgetLineFactory(project=project, year=year)
        f.ExpenseFactory(budget_line=line)
        f.FundingFactory(project=project)
        f.PaymentFactory(project=project, payer=a["landlord"], payee=a["association"])
        f.ReportRunFactory(organisation=a["landlord"], scope="landlord")
        f.CommitteeDecisionFactory(meeting=f.CommitteeMeetingFactory(project=project))
    client = client_for(a["people"]["adviser"])
    client.get(url)  # first use of the token writes last_used_at
    for size in (1, 20):
        with django_assert_num_queries(LIST_QUERIES[url]):
            response = client.get(url, {"page_size": size})
        assert response.status_code == 200, response.content
        assert len(response.json()["results"]) == size, url

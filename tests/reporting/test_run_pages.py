"""Pages of the report runs: the list (/rapports/), the request form, the detail with its file and
the re-launch, per role; French errors; query counts.

Personas: ``lead`` (team lead of association A1, partner of project P1 led by landlord L1),
``l1_admin`` (org admin of L1), ``caseworker`` (A1), ``l2_lead`` (team lead of landlord L2,
which leads P2), ``national`` (USH staff), ``funder`` (the State, funds P1).

Runs: ``p1_failed`` (funding report of P1, failed), ``a1_pending`` (outcome report of A1,
pending), ``l2_done`` (indicators of L2, succeeded), ``national_done`` (national, succeeded).
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditLog
from partners.acting import SESSION_KEY
from partners.models import Role
from projects.models import CarrierRole, FundingDecision
from reporting.models import ReportKind, ReportRun, ReportScope, ReportStatus
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
TODAY = D(2025, 6, 15)


@pytest.fixture(autouse=True)
def _no_second_factor(settings):
    settings.SECOND_FACTOR_REQUIRED = False  # the second factor has its own tests


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: TODAY)


def login(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


@pytest.fixture
def world():
    l1 = f.OrganisationFactory(landlord=True, name="Bailleur Un")
    a1 = f.OrganisationFactory(association=True, name="Association Une")
    l2 = f.OrganisationFactory(landlord=True, name="Bailleur Deux")
    state = f.OrganisationFactory(state=True, name="DDETS Un")
    p1 = f.ProjectFactory(lead_landlord=l1, number="2.3.1", title="Accès et maintien à Lyon")
    f.ProjectCarrierFactory(project=p1, organisation=l1, role=CarrierRole.LEAD)
    f.ProjectCarrierFactory(project=p1, organisation=a1, role=CarrierRole.PARTNER)
    p2 = f.ProjectFactory(lead_landlord=l2, number="3.1.2", title="Santé mentale à Lille")
    f.ProjectCarrierFactory(project=p2, organisation=l2, role=CarrierRole.LEAD)
    f.FundingFactory(project=p1, funder=state, decision=FundingDecision.GRANTED, amount_awarded=60000, report_due_on=D(2025, 6, 20))
    f.FundingFactory(project=p2, decision=FundingDecision.GRANTED, amount_awarded=1000, report_due_on=D(2025, 6, 25))
    people = {
        "lead": f.MembershipFactory(organisation=a1, role=Role.TEAM_LEAD),
        "l1_admin": f.MembershipFactory(organisation=l1, role=Role.ORG_ADMIN),
        "caseworker": f.MembershipFactory(organisation=a1, role=Role.CASEWORKER),
        "l2_lead": f.MembershipFactory(organisation=l2, role=Role.TEAM_LEAD),
        "national": f.MembershipFactory(national_staff=True),
        "funder": f.MembershipFactory(organisation=state, role=Role.FUNDER),
    }
    now = timezone.now()
    runs = {
        "p1_failed": f.ReportRunFactory(
            kind=ReportKind.FUNDING, scope=ReportScope.PROJECT, project=p1, status=ReportStatus.FAILED, attempts=4,
            started_at=now - datetime.timedelta(minutes=3), finished_at=now - datetime.timedelta(minutes=2),
            error="Échec après 4 tentatives : OperationalError : connexion perdue",
        ),
        "a1_pending": f.ReportRunFactory(kind=ReportKind.OUTCOME, scope=ReportScope.ASSOCIATION, organisation=a1),
        "l2_done": f.ReportRunFactory(
            kind=ReportKind.INDICATORS, scope=ReportScope.LANDLORD, organisation=l2, status=ReportStatus.SUCCEEDED, attempts=1,
            started_at=now - datetime.timedelta(seconds=90), finished_at=now - datetime.timedelta(seconds=78),
        ),
        "national_done": f.ReportRunFactory(
            kind=ReportKind.OUTCOME, status=ReportStatus.SUCCEEDED, attempts=1,
            started_at=now - datetime.timedelta(seconds=30), finished_at=now - datetime.timedelta(seconds=18),
        ),
    }
    return {"l1": l1, "a1": a1, "l2": l2, "p1": p1, "p2": p2, "people": people, "runs": runs}


def list_page(client, membership, **params):
    login(client, membership)
    response = client.get("/rapports/", params)
    assert response.status_code == 200
    return response.content.decode()


def detail_url(run, suffix=""):
    return f"/rapports/{run.pk}/{suffix}"


# --------------------------------------------------------------------------
# The list
# --------------------------------------------------------------------------


def test_lead_sees_the_runs_of_its_organisation_and_projects_with_a_failed_one_standing_out(client, world):
    html = list_page(client, world["people"]["lead"])
    runs = world["runs"]
    assert detail_url(runs["p1_failed"]) in html and detail_url(runs["a1_pending"]) in html
    assert detail_url(runs["l2_done"]) not in html and detail_url(runs["national_done"]) not in html
    assert "Projet 2.3.1" in html and "Association Une" in html
    assert "runs-table__row--failed" in html
    assert '<span class="badge badge--danger">Échec</span>' in html
    assert "Échec après 4 tentatives : OperationalError : connexion perdue" in html
    assert '<span class="badge badge--info">En attente</span>' in html
    assert "01/01/2024 →</span> <span class=\"nowrap\">31/12/2024" in html
    assert "1 min 00 s" in html  # duration of the failed run
    assert 'href="/rapports/nouveau/"' in html  # "Demander un rapport"
    assert 'href="/rapports/"' in html and ">Rapports</a>" in html  # nav link


def test_comptes_rendus_a_venir_lists_the_due_dates_of_the_actors_projects(client, world):
    html = list_page(client, world["people"]["lead"])
    assert "Comptes rendus à venir" in html
    assert "20/06/2025" in html and "dans 5 jours" in html and "DDETS Un" in html
    assert f"/rapports/nouveau/?project={world['p1'].pk}&amp;kind=funding" in html
    assert "25/06/2025" not in html  # P2's funding: another landlord's project
    html = list_page(client, world["people"]["national"])
    assert "Comptes rendus à venir" not in html  # aggregate-only roles: no project list


def test_caseworker_sees_the_list_without_the_request_button_and_gets_403_on_the_form(client, world):
    html = list_page(client, world["people"]["caseworker"])
    assert detail_url(world["runs"]["a1_pending"]) in html
    assert 'href="/rapports/nouveau/"' not in html
    assert ">Rapports</a>" not in html  # no nav link for a caseworker
    assert client.get("/rapports/nouveau/").status_code == 403
    assert client.post("/rapports/nouveau/", {"kind": "funding"}).status_code == 403
    detail = client.get(detail_url(world["runs"]["p1_failed"]))
    assert detail.status_code == 200 and "Relancer" not in detail.content.decode()
    assert client.post(detail_url(world["runs"]["p1_failed"], "relancer/"), {"version": 1}).status_code == 403
    assert ReportRun.objects.get(pk=world["runs"]["p1_failed"].pk).status == ReportStatus.FAILED


def test_another_organisations_run_is_a_404_on_detail_file_status_and_relaunch(client, world):
    login(client, world["people"]["lead"])
    run = world["runs"]["l2_done"]
    for suffix in ("", "fichier/", "etat/"):
        assert client.get(detail_url(run, suffix)).status_code == 404
    assert client.post(detail_url(run, "relancer/"), {"version": run.version}).status_code == 404
    assert ReportRun.objects.get(pk=run.pk).status == ReportStatus.SUCCEEDED


def test_national_staff_see_the_national_runs_only(client, world):
    html = list_page(client, world["people"]["national"])
    runs = world["runs"]
    assert detail_url(runs["national_done"]) in html
    assert all(detail_url(runs[name]) not in html for name in ("p1_failed", "a1_pending", "l2_done"))
    assert client.get(detail_url(runs["a1_pending"])).status_code == 404


def test_funder_sees_no_organisation_run_and_cannot_request(client, world):
    html = list_page(client, world["people"]["funder"])
    assert "Aucun rapport pour l'instant" in html
    assert client.get("/rapports/nouveau/").status_code == 403


def test_filters_by_status_kind_scope_and_period(client, world):
    lead = world["people"]["lead"]
    runs = world["runs"]
    html = list_page(client, lead, status="failed")
    assert detail_url(runs["p1_failed"]) in html and detail_url(runs["a1_pending"]) not in html
    html = list_page(client, lead, kind="outcome", scope="association")
    assert detail_url(runs["a1_pending"]) in html and detail_url(runs["p1_failed"]) not in html
    html = list_page(client, lead, period_after="2025-01-01")
    assert "Aucun rapport ne correspond à ces filtres" in html
    html = list_page(client, lead, period_after="2024-06-01", period_before="2024-06-30")
    assert detail_url(runs["p1_failed"]) in html  # overlapping periods are kept
    login(client, lead)
    assert client.get("/rapports/", {"status": "perdu"}).status_code == 400


def test_a_stale_running_run_is_shown_as_such(client, world, settings):
    old = timezone.now() - datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT) - datetime.timedelta(minutes=10)
    stale = f.ReportRunFactory(scope=ReportScope.ASSOCIATION, organisation=world["a1"], status=ReportStatus.RUNNING, started_at=old, attempts=1)
    fresh = f.ReportRunFactory(
        scope=ReportScope.ASSOCIATION, organisation=world["a1"], status=ReportStatus.RUNNING, started_at=timezone.now(), attempts=1
    )
    html = list_page(client, world["people"]["lead"], status="running")
    assert html.count("Bloqué ?") == 1
    assert "génération probablement perdue" in html
    assert '<span class="badge badge--warn">En cours</span>' in html
    detail = client.get(detail_url(stale)).content.decode()
    assert "le traitement a probablement été perdu" in detail
    assert 'hx-trigger="every' not in detail  # no polling of a lost run
    assert 'hx-trigger="every 3s"' in client.get(detail_url(fresh)).content.decode()


def test_the_list_queries_do_not_grow_with_the_runs(client, world, django_assert_max_num_queries):
    lead = world["people"]["lead"]
    login(client, lead)
    client.get("/rapports/")  # warm the session and the acting membership caches

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/rapports/").status_code == 200
        return len(queries)

    few = count()
    for index in range(30):
        f.ReportRunFactory(
            kind=ReportKind.FUNDING, scope=ReportScope.PROJECT, project=world["p1"], status=ReportStatus.FAILED,
            error=f"Erreur {index}", attempts=4,
        )
        f.ReportRunFactory(scope=ReportScope.ASSOCIATION, organisation=world["a1"])
    assert count() == few
    # Session, user, acting membership (with its organisation): 3; the session saved again
    # (savepoint, update, release): 3; the page: count of the visible runs, one page of runs
    # with project and organisation (one JOIN), the upcoming comptes rendus (fundings with
    # project and funder, one JOIN): 3. Nothing per row.
    with django_assert_max_num_queries(9):
        client.get("/rapports/")


# --------------------------------------------------------------------------
# The request form
# --------------------------------------------------------------------------


def test_lead_requests_a_funding_report_of_its_project(client, world):
    login(client, world["people"]["lead"])
    form = client.get("/rapports/nouveau/").content.decode()
    assert 'value="2024-01-01"' in form and 'value="2024-12-31"' in form  # last year by default
    assert 'value="funding"' in form and 'value="outcome"' in form and 'value="indicators"' in form
    assert 'value="national"' not in form and 'value="departement"' not in form  # programme scopes: national staff
    assert 'value="association"' in form and 'value="landlord"' not in form
    response = client.post("/rapports/nouveau/", {
        "kind": "funding", "scope": "project", "project": world["p1"].pk,
        "period_start": "2025-01-01", "period_end": "2025-03-31", "format": "pdf",
    })
    run = ReportRun.objects.latest("created_at")
    assert response.status_code == 302 and response["Location"] == f"/rapports/{run.pk}/"
    assert (run.kind, run.scope, run.project, run.status) == ("funding", "project", world["p1"], "pending")
    assert (run.period_start, run.period_end, run.parameters) == (D(2025, 1, 1), D(2025, 3, 31), {"format": "pdf"})
    assert run.requested_by == world["people"]["lead"].user
    assert AuditLog.objects.filter(model_label="reporting.ReportRun", object_id=str(run.pk), action="create").exists()
    detail = client.get(response["Location"]).content.decode()
    assert "Rapport demandé" in detail and 'hx-trigger="every 3s"' in detail


def test_an_association_report_is_for_the_acting_organisation(client, world):
    login(client, world["people"]["lead"])
    response = client.post("/rapports/nouveau/", {
        "kind": "outcome", "scope": "association", "period_start": "2025-01-01", "period_end": "2025-05-31", "format": "xlsx",
    })
    assert response.status_code == 302
    run = ReportRun.objects.latest("created_at")
    assert (run.scope, run.organisation, run.parameters) == ("association", world["a1"], {"format": "xlsx"})


def test_the_form_says_what_is_wrong_in_french_and_keeps_the_input(client, world):
    login(client, world["people"]["lead"])
    before = ReportRun.objects.count()
    response = client.post("/rapports/nouveau/", {
        "kind": "funding", "scope": "project", "project": "", "period_start": "2025-03-31", "period_end": "2025-03-01", "format": "pdf",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert "Choisissez le projet du rapport." in html
    assert "La fin de période doit suivre son début." in html
    assert "Le rapport n'a pas été demandé : corrigez les champs signalés." in html
    assert 'value="2025-03-31"' in html and 'value="2025-03-01"' in html
    response = client.post("/rapports/nouveau/", {
        "kind": "funding", "scope": "project", "project": world["p2"].pk,  # another landlord's project
        "period_start": "", "period_end": "2025-03-01", "format": "docx",
    })
    html = response.content.decode()
    assert response.status_code == 400
    assert "Sélectionnez un choix valide" in html
    assert "Ce champ est obligatoire." in html
    response = client.post("/rapports/nouveau/", {
        "kind": "outcome", "scope": "national", "period_start": "2025-01-01", "period_end": "2025-03-01", "format": "pdf",
    })
    assert response.status_code == 400 and "Sélectionnez un choix valide" in response.content.decode()
    assert ReportRun.objects.count() == before


def test_the_reminder_link_prefills_the_project_and_the_kind(client, world):
    login(client, world["people"]["l1_admin"])
    html = client.get("/rapports/nouveau/", {"project": world["p1"].pk, "kind": "funding"}).content.decode()
    assert f'<option value="{world["p1"].pk}" selected>' in html
    assert '<option value="funding" selected>' in html
    assert '<option value="project" selected>' in html
    assert 'value="landlord"' in html  # a landlord's admin may ask for its organisation's report


def test_period_buttons_fill_the_dates_and_keep_the_rest(client, world):
    login(client, world["people"]["lead"])
    response = client.post("/rapports/nouveau/", {
        "preset": "last_month", "kind": "outcome", "scope": "project", "project": world["p1"].pk,
        "period_start": "2020-01-01", "period_end": "2020-01-02", "format": "csv",
    })
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="2025-05-01"' in html and 'value="2025-05-31"' in html
    assert '<option value="outcome" selected>' in html and 'value="csv" id="id_format_2" required checked' in html
    assert "errorlist" not in html
    html = client.post("/rapports/nouveau/", {"preset": "current_year", "kind": "outcome"}).content.decode()
    assert 'value="2025-01-01"' in html and 'value="2025-06-15"' in html
    assert not ReportRun.objects.filter(created_at__date=timezone.now().date(), project=world["p1"], kind="outcome").exists()


def test_national_staff_request_national_and_departement_reports(client, world):
    login(client, world["people"]["national"])
    form = client.get("/rapports/nouveau/").content.decode()
    assert '<option value="national" selected>' in form and 'value="departement"' in form
    response = client.post("/rapports/nouveau/", {
        "kind": "indicators", "scope": "departement", "departement": "", "period_start": "2025-01-01", "period_end": "2025-03-31", "format": "csv",
    })
    assert response.status_code == 400 and "Indiquez le code du département." in response.content.decode()
    response = client.post("/rapports/nouveau/", {
        "kind": "indicators", "scope": "departement", "departement": "69", "period_start": "2025-01-01", "period_end": "2025-03-31", "format": "csv",
    })
    assert response.status_code == 302
    assert ReportRun.objects.latest("created_at").departement == "69"


# --------------------------------------------------------------------------
# Detail, status, file, re-launch
# --------------------------------------------------------------------------


def test_detail_shows_parameters_timings_error_and_the_relaunch_button_to_a_lead(client, world):
    login(client, world["people"]["lead"])
    html = client.get(detail_url(world["runs"]["p1_failed"])).content.decode()
    assert "Rapport financier — Projet 2.3.1" in html
    assert "Période du 01/01/2024 au 31/12/2024" in html
    assert "La génération a échoué." in html and "OperationalError : connexion perdue" in html
    assert "<dt>Tentatives</dt><dd>4</dd>" in html
    assert "Relancer" in html and 'name="version"' in html
    assert 'hx-trigger' not in html  # finished: no polling


def test_relaunch_puts_the_run_back_in_the_queue(client, world):
    login(client, world["people"]["lead"])
    run = world["runs"]["p1_failed"]
    response = client.post(detail_url(run, "relancer/"), {"version": run.version})
    assert response.status_code == 302 and response["Location"] == detail_url(run)
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error, run.started_at) == (ReportStatus.PENDING, 0, "", None)
    assert AuditLog.objects.filter(model_label="reporting.ReportRun", object_id=str(run.pk), action="update").exists()


def test_relaunch_with_an_old_version_is_a_conflict(client, world):
    login(client, world["people"]["lead"])
    run = world["runs"]["p1_failed"]
    seen = run.version
    ReportRun.objects.filter(pk=run.pk).update(version=seen + 1)  # the worker or a colleague moved it meanwhile
    response = client.post(detail_url(run, "relancer/"), {"version": seen})
    html = response.content.decode()
    assert response.status_code == 409
    assert "Ce rapport a changé entre-temps" in html
    assert f'name="version" value="{seen + 1}"' in html  # the form now carries the current version
    assert ReportRun.objects.get(pk=run.pk).status == ReportStatus.FAILED
    assert client.post(detail_url(run, "relancer/"), {"version": seen + 1}).status_code == 302


def test_a_running_run_cannot_be_relaunched(client, world):
    login(client, world["people"]["lead"])
    run = f.ReportRunFactory(scope=ReportScope.ASSOCIATION, organisation=world["a1"], status=ReportStatus.RUNNING, started_at=timezone.now())
    html = client.get(detail_url(run)).content.decode()
    assert "Un rapport en cours de génération ne peut pas être relancé." in html
    assert "/relancer/" not in html
    response = client.post(detail_url(run, "relancer/"), {"version": run.version})
    assert response.status_code == 409 and "attendez sa fin" in response.content.decode()
    assert client.get(detail_url(run, "relancer/")).status_code == 405


def test_the_status_fragment_polls_until_the_run_is_done(client, world):
    login(client, world["people"]["lead"])
    run = world["runs"]["a1_pending"]
    fragment = client.get(detail_url(run, "etat/"), headers={"HX-Request": "true"}).content.decode()
    assert fragment.startswith("\n<section id=\"run-status\"") or '<section id="run-status"' in fragment[:200]
    assert "<html" not in fragment and 'hx-trigger="every 3s"' in fragment and "En attente de traitement" in fragment
    ReportRun.objects.filter(pk=run.pk).update(status=ReportStatus.SUCCEEDED, finished_at=timezone.now(), file="reports/2025/06/resultats.pdf")
    fragment = client.get(detail_url(run, "etat/"), headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment and "Terminé" in fragment and "Télécharger le fichier (PDF)" in fragment


@pytest.mark.parametrize(("name", "content_type"), [
    ("resultats.pdf", "application/pdf"),
    ("financier.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("indicateurs.csv", "text/csv"),
    ("rapports.zip", "application/zip"),
])
def test_the_file_downloads_with_its_content_type_and_name(client, world, media, name, content_type):
    run = world["runs"]["a1_pending"]
    run.file.save(name, ContentFile(b"contenu du rapport"), save=False)
    ReportRun.objects.filter(pk=run.pk).update(status=ReportStatus.SUCCEEDED, file=run.file.name)
    login(client, world["people"]["caseworker"])  # reading a file is for whoever sees the run
    response = client.get(detail_url(run, "fichier/"))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    assert b"".join(response.streaming_content) == b"contenu du rapport"
    html = list_page(client, world["people"]["caseworker"])
    assert f'href="/rapports/{run.pk}/fichier/"' in html


def test_a_run_without_file_sends_back_to_its_page(client, world, media):
    login(client, world["people"]["lead"])
    run = world["runs"]["a1_pending"]
    response = client.get(detail_url(run, "fichier/"))
    assert response.status_code == 302 and response["Location"] == detail_url(run)
    ReportRun.objects.filter(pk=run.pk).update(status=ReportStatus.SUCCEEDED, file="reports/2025/06/disparu.pdf")
    response = client.get(detail_url(run, "fichier/"), follow=True)
    assert "Le fichier de ce rapport est introuvable" in response.content.decode()

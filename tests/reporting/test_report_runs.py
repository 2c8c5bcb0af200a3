"""Report runs: request and re-launch (policy, audit), the build task (CSV of rollup figures,
retries with backoff then recorded failure), stale runs, scheduled runs and the beat schedule."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from core.models import AuditLog
from partners.models import Role
from reporting import builders, rollups, schedules, services
from reporting.models import ReportKind, ReportRun, ReportScope, ReportStatus
from reporting.tasks import MAX_RETRIES, build_report, detect_stale_runs
from tests import factories as f
from tests.reporting.conftest import NOW, actor

pytestmark = pytest.mark.django_db

D = datetime.date


def read_csv(run: ReportRun) -> dict[tuple[str, str, str], str]:
    run.file.open("rb")
    try:
        text = run.file.read().decode("utf-8-sig")
    finally:
        run.file.close()
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == ["Rubrique", "Indicateur", "Détail", "Valeur"]
    return {(section, label, detail): value for section, label, detail, value in rows[1:]}


# --------------------------------------------------------------------------
# The build task
# --------------------------------------------------------------------------


@pytest.fixture
def retries_run_eagerly():
    """Eager retries: ``apply()`` re-applies the task on Retry only when errors do not propagate."""
    conf = build_report.app.conf
    previous = conf.task_eager_propagates
    conf.task_eager_propagates = False
    yield
    conf.task_eager_propagates = previous


def test_the_indicators_csv_holds_the_rollup_figures_of_the_scope_and_period(caseload, media):
    rollups.rebuild(now=NOW)
    run = f.ReportRunFactory(kind=ReportKind.INDICATORS, scope=ReportScope.PROJECT, project=caseload["project"])
    assert build_report.apply(args=[run.pk]).get() == ReportRun.objects.get(pk=run.pk).file.name
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error) == (ReportStatus.SUCCEEDED, 1, "")
    assert run.started_at and run.finished_at and run.finished_at >= run.started_at
    assert (media / run.file.name).exists()
    figures = read_csv(run)
    assert figures[("Ménages", "Ménages accompagnés", "")] == "1"
    assert figures[("Ménages", "Ménages sortis", "")] == "1"
    assert figures[("Sorties", "Issue", "Maintenu dans le logement")] == "1"
    assert figures[("Durées moyennes (jours)", "Orientation → diagnostic", "moyenne")] == "58,0"
    assert figures[("Durées moyennes (jours)", "Orientation → entrée dans les lieux", "moyenne")] == "87,0"
    assert figures[("Situation à l'entrée et à la sortie", "Dette locative moyenne (€)", "à l'entrée")] == "640,00"
    assert figures[("Contacts", "Mois-ménages d'accompagnement", "")] == "12"
    assert figures[("Contacts", "Contacts par mois-ménage", "tous types")] == "0,17"  # 2 / 12
    assert figures[("Contacts", "Contacts par mois-ménage", "Visite à domicile")] == "0,08"  # 1 / 12
    assert figures[("Objectifs annuels", "Part de l'objectif atteinte (%)", "année 1 du projet")] == "10,0"  # 1 / 10
    assert figures[("Budget (années civiles de la période)", "Prévu (€)", "Total")] == "25000,00"
    assert figures[("Budget (années civiles de la période)", "Dépensé (€)", "Gestion locative adaptée")] == "1000,00"
    assert figures[("Budget (années civiles de la période)", "Consommation du budget (%)", "Total")] == "12,0"
    funder = f"{caseload['state'].name} — FNAVDL / AVDL"
    assert figures[("Financements (années civiles de la période)", "Accordé (€)", funder)] == "60000,00"
    assert figures[("Financements (années civiles de la période)", "Reçu (€)", funder)] == "30000,00"
    assert figures[("Reversements du porteur aux partenaires", "Reversé (€)", caseload["association"].name)] == "15000,00"


def test_a_national_csv_suppresses_small_household_counts_but_not_money(caseload, media):
    rollups.rebuild(now=NOW)
    run = f.ReportRunFactory(kind=ReportKind.INDICATORS, scope=ReportScope.NATIONAL)
    build_report.apply(args=[run.pk])
    run.refresh_from_db()
    figures = read_csv(run)
    assert figures[("Ménages", "Ménages accompagnés", "")] == "< 11"
    assert figures[("Sorties", "Issue", "Total")] == "< 11"
    assert figures[("Budget (années civiles de la période)", "Prévu (€)", "Total")] == "25000,00"
    assert figures[("Généralités", "Projets", "")] == "1"


def test_a_failing_build_is_retried_then_recorded_failed_with_its_error(caseload, monkeypatch, media, retries_run_eagerly):
    calls = []

    def broken(run):
        calls.append(run.pk)
        raise RuntimeError("base de données indisponible")

    monkeypatch.setitem(builders.BUILDERS, ReportKind.INDICATORS, broken)
    run = f.ReportRunFactory(kind=ReportKind.INDICATORS)
    result = build_report.apply(args=[run.pk])
    assert result.failed() and isinstance(result.result, RuntimeError)  # raised, never swallowed
    run.refresh_from_db()
    assert len(calls) == MAX_RETRIES + 1
    assert (run.status, run.attempts) == (ReportStatus.FAILED, MAX_RETRIES + 1)
    assert run.error == "Échec après 4 tentatives : RuntimeError : base de données indisponible"
    assert run.finished_at is not None and not run.file


def test_the_task_retries_with_exponential_backoff():
    assert build_report.autoretry_for == (Exception,)
    assert build_report.retry_backoff and build_report.max_retries == MAX_RETRIES == 3


def test_a_build_that_fails_once_then_succeeds(caseload, monkeypatch, media, retries_run_eagerly):
    rollups.rebuild(now=NOW)
    real = builders.BUILDERS[ReportKind.INDICATORS]
    calls = []

    def flaky(run):
        calls.append(run.pk)
        if len(calls) == 1:
            raise ConnectionError("coupure")
        return real(run)

    monkeypatch.setitem(builders.BUILDERS, ReportKind.INDICATORS, flaky)
    run = f.ReportRunFactory(kind=ReportKind.INDICATORS)
    assert build_report.apply(args=[run.pk]).successful()
    run.refresh_from_db()
    assert (run.status, run.attempts, run.error, len(calls)) == (ReportStatus.SUCCEEDED, 2, "", 2)
    assert run.file


def test_a_kind_without_builder_fails_at_once_with_a_french_error(db, media):
    run = f.ReportRunFactory(kind=ReportKind.CATALOGUE)
    ReportRun.objects.filter(pk=run.pk).update(kind="bilan")  # a kind whose builder was withdrawn
    with pytest.raises(Exception, match="Aucun générateur"):
        build_report.apply(args=[run.pk])
    run.refresh_from_db()
    assert (run.status, run.attempts) == (ReportStatus.FAILED, 1)
    assert "Aucun générateur" in run.error


def test_stale_running_runs_are_marked_failed(db):
    limit = datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    now = timezone.now()
    stale = f.ReportRunFactory(status=ReportStatus.RUNNING, started_at=now - limit - datetime.timedelta(minutes=6))
    recent = f.ReportRunFactory(status=ReportStatus.RUNNING, started_at=now - datetime.timedelta(minutes=1))
    done = f.ReportRunFactory(succeeded=True, started_at=now - limit * 3)
    assert detect_stale_runs.apply().get() == 1
    stale.refresh_from_db()
    recent.refresh_from_db()
    done.refresh_from_db()
    assert stale.status == ReportStatus.FAILED and stale.error.startswith("Génération interrompue")
    assert (recent.status, done.status) == (ReportStatus.RUNNING, ReportStatus.SUCCEEDED)


# --------------------------------------------------------------------------
# Services: request and re-launch
# --------------------------------------------------------------------------


def test_a_lead_requests_a_run_with_an_audit_row_and_the_build_enqueued(caseload, django_capture_on_commit_callbacks):
    lead = actor(caseload["people"]["lead"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        run = services.report_run_request(
            actor=lead, kind=ReportKind.INDICATORS, scope=ReportScope.ASSOCIATION, organisation=caseload["association"],
            period_start=D(2024, 1, 1), period_end=D(2024, 12, 31),
        )
    assert (run.status, run.requested_by) == (ReportStatus.PENDING, caseload["people"]["lead"].user)
    assert len(callbacks) == 1
    assert AuditLog.objects.filter(action="create", model_label="reporting.ReportRun", object_id=str(run.pk)).exists()


def test_a_request_is_refused_with_french_field_errors(caseload):
    lead = actor(caseload["people"]["lead"])
    with pytest.raises(ValidationError) as excinfo:
        services.report_run_request(
            actor=lead, kind="bilan", scope=ReportScope.NATIONAL, period_start=D(2024, 1, 1), period_end=D(2023, 1, 1),
        )
    errors = excinfo.value.message_dict
    assert errors["kind"] == ["Ce type de rapport n'est pas encore disponible."]
    assert errors["scope"] == ["Ce périmètre est réservé à l'équipe nationale."]
    assert errors["period_end"] == ["La fin de période doit suivre son début."]
    with pytest.raises(ValidationError) as excinfo:
        services.report_run_request(
            actor=lead, kind=ReportKind.INDICATORS, scope=ReportScope.LANDLORD, organisation=caseload["landlord"],
            period_start=D(2024, 1, 1), period_end=D(2024, 12, 31),
        )
    assert "organisation" in excinfo.value.message_dict
    with pytest.raises(PermissionDenied):
        services.report_run_request(
            actor=actor(caseload["people"]["caseworker"]), kind=ReportKind.INDICATORS, scope=ReportScope.PROJECT,
            project=caseload["project"], period_start=D(2024, 1, 1), period_end=D(2024, 12, 31),
        )
    assert not ReportRun.objects.exists()


def test_relaunch_by_a_lead_by_a_caseworker_and_by_another_organisation(caseload, django_capture_on_commit_callbacks):
    run = f.ReportRunFactory(failed=True, scope=ReportScope.ASSOCIATION, organisation=caseload["association"], kind=ReportKind.INDICATORS)
    with pytest.raises(PermissionDenied):
        services.report_run_relaunch(actor=actor(caseload["people"]["caseworker"]), run=run)
    other_lead = actor(f.MembershipFactory(role=Role.TEAM_LEAD))  # another association
    with pytest.raises(Http404):
        services.report_run_relaunch(actor=other_lead, run=run)
    run.refresh_from_db()
    assert run.status == ReportStatus.FAILED

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        relaunched = services.report_run_relaunch(actor=actor(caseload["people"]["lead"]), run=run, version=run.version)
    assert (relaunched.status, relaunched.attempts, relaunched.error, relaunched.version) == (ReportStatus.PENDING, 0, "", run.version + 1)
    assert len(callbacks) == 1
    assert AuditLog.objects.filter(action="update", model_label="reporting.ReportRun", object_id=str(run.pk)).exists()


def test_a_running_run_cannot_be_relaunched(caseload):
    run = f.ReportRunFactory(status=ReportStatus.RUNNING, scope=ReportScope.ASSOCIATION, organisation=caseload["association"])
    with pytest.raises(ValidationError):
        services.report_run_relaunch(actor=actor(caseload["people"]["lead"]), run=run)


# --------------------------------------------------------------------------
# Scheduled runs and the beat schedule
# --------------------------------------------------------------------------


def test_scheduled_runs_of_the_period_are_created_once_per_scope_entity(caseload, django_capture_on_commit_callbacks):
    rollups.rebuild(now=NOW)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        created = services.report_runs_schedule(frequency="yearly", scope=ReportScope.PROJECT, today=D(2025, 1, 2))
    # One run of every kind that has a builder (funding, outcome, indicators) per scope entity.
    assert [(run.kind, run.project_id, run.period_start, run.period_end, run.status) for run in created] == [
        (kind, caseload["project"].pk, D(2024, 1, 1), D(2024, 12, 31), ReportStatus.PENDING)
        for kind in (ReportKind.FUNDING, ReportKind.OUTCOME, ReportKind.INDICATORS)]
    assert len(callbacks) == 1
    assert services.report_runs_schedule(frequency="yearly", scope=ReportScope.PROJECT, today=D(2025, 1, 20)) == []
    monthly = services.report_runs_schedule(frequency="monthly", scope=ReportScope.DEPARTEMENT, today=D(2024, 4, 1))
    assert [(run.departement, run.period_start, run.period_end) for run in monthly] == [("69", D(2024, 3, 1), D(2024, 3, 31))] * 3
    funders = services.report_runs_schedule(frequency="yearly", scope=ReportScope.FUNDER, today=D(2025, 1, 2))
    assert [run.organisation for run in funders] == [caseload["state"]] * 3
    associations = services.report_runs_schedule(frequency="yearly", scope=ReportScope.ASSOCIATION, today=D(2025, 1, 2))
    assert [run.organisation for run in associations] == [caseload["association"]] * 3
    assert len(services.report_runs_schedule(frequency="monthly", scope=ReportScope.NATIONAL, today=D(2025, 1, 2))) == 3
    # The catalogue: once a year, national only.
    yearly = services.report_runs_schedule(frequency="yearly", scope=ReportScope.NATIONAL, today=D(2025, 1, 2))
    assert sorted(run.kind for run in yearly) == sorted(["catalogue", "funding", "indicators", "outcome"])


def test_the_beat_schedule_is_registered_in_the_database(db):
    tasks = {task.name: task for task in PeriodicTask.objects.all()}
    refresh = tasks["Agrégats : rafraîchissement incrémental"]
    assert (refresh.task, refresh.interval.every, refresh.interval.period, refresh.enabled) == ("reporting.refresh_rollups", 10, "minutes", True)
    assert tasks["Agrégats : reconstruction complète"].task == "reporting.rebuild_rollups"
    assert tasks["Rapports : détection des générations bloquées"].task == "reporting.detect_stale_runs"
    scheduled = [task for task in tasks.values() if task.task == "reporting.schedule_reports"]
    import json

    assert sorted((json.loads(task.kwargs)["frequency"], json.loads(task.kwargs)["scope"]) for task in scheduled) == sorted(
        (frequency, scope) for frequency in ("monthly", "yearly") for scope in schedules.REPORT_SCOPES)
    monthly = tasks["Rapports mensuels par projet"].crontab
    assert (monthly.day_of_month, monthly.hour, monthly.minute) == ("1", "5", "0")
    assert schedules.ensure_schedules() == 0  # idempotent
    # Every registered task name exists in the Celery app.
    from config.celery import app

    app.loader.import_default_modules()
    assert {task.task for task in tasks.values() if task.task.startswith("reporting.")} <= set(app.tasks)


@pytest.mark.parametrize("scope", list(ReportScope.values))
def test_the_indicators_csv_builds_for_every_scope(caseload, media, scope):
    rollups.rebuild(now=NOW)
    target = {
        ReportScope.PROJECT: {"project": caseload["project"]},
        ReportScope.LANDLORD: {"organisation": caseload["landlord"]},
        ReportScope.ASSOCIATION: {"organisation": caseload["association"]},
        ReportScope.FUNDER: {"organisation": caseload["state"]},
        ReportScope.DEPARTEMENT: {"departement": "69"},
        ReportScope.NATIONAL: {},
    }[scope]
    run = f.ReportRunFactory(kind=ReportKind.INDICATORS, scope=scope, period_start=D(2024, 3, 1), period_end=D(2024, 3, 31), **target)
    build_report.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.status == ReportStatus.SUCCEEDED
    figures = read_csv(run)
    expected_supported = "< 11" if scope in builders.SUPPRESSED_SCOPES else "1"
    assert figures[("Ménages", "Ménages accompagnés", "")] == expected_supported
    assert figures[("Contacts", "Contacts réalisés", "")] == "2"  # March 2024 only
    assert figures[("Budget (années civiles de la période)", "Prévu (€)", "Total")] == "25000,00"


def test_an_unknown_file_format_is_refused_when_the_run_is_requested(caseload):
    with pytest.raises(ValidationError) as excinfo:
        services.report_run_request(
            actor=actor(caseload["people"]["lead"]), kind=ReportKind.FUNDING, scope=ReportScope.ASSOCIATION,
            organisation=caseload["association"], period_start=D(2024, 1, 1), period_end=D(2024, 12, 31),
            parameters={"format": "docx"},
        )
    assert "docx" in excinfo.value.message_dict["parameters"][0]
    assert not ReportRun.objects.filter(kind=ReportKind.FUNDING).exists()

"""CSV and XLSX exports of the lists (issue 8, point 6; core.exports).

The world of tests/test_access_matrix.py: two landlord–association pairs
(A and B) each working on one household, plus national staff and a
funder. Every export is read back as a person would open it: the CSV parsed
with ``;`` after its BOM, the XLSX opened with openpyxl.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from core.models import AuditLog, ExportJob
from core.tasks import purge_exports
from households.models import Phase
from partners.acting import SESSION_KEY
from partners.models import Role
from tests import factories as f
from tests.test_access_matrix import world  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def login_as(client, membership):
    client.force_login(membership.user)
    session = client.session
    session[SESSION_KEY] = membership.pk
    session.save()


def read_csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM for French Excel"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))


def read_xlsx(response):
    body = b"".join(response.streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    return sheet, [list(row) for row in sheet.iter_rows(values_only=True)]


def as_dicts(rows) -> list[dict]:
    header, *body = rows
    return [dict(zip(header, row)) for row in body]


# --------------------------------------------------------------------------
# Households list
# --------------------------------------------------------------------------


def test_household_csv_holds_the_caseworkers_rows_with_french_headers_and_dates(client, world):  # noqa: F811
    household = world["a"]["household"]
    f.ContactFactory(measure=world["a"]["measure"], occurred_on=datetime.date(2025, 2, 3))
    login_as(client, world["a"]["people"]["caseworker"])

    response = client.get("/menages/?export=csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="menages-')
    rows = read_csv(response)
    assert rows[0] == [
        "N° de dossier", "Ménage", "Projet", "Phase", "Intensité", "Issue", "Référent",
        "Dernier contact", "Prochain contact", "Fin du mandat",
    ]
    (row,) = as_dicts(rows)
    assert row["N° de dossier"] == household.reference
    assert row["Ménage"] == household.display_name
    assert row["Phase"] == "Accompagnement"
    assert row["Dernier contact"] == "03/02/2025"
    assert row["Référent"] == world["a"]["people"]["caseworker"].user.get_full_name()
    body = "\n".join(";".join(r) for r in rows)
    assert world["b"]["household"].reference not in body  # another organisation's rows never present
    assert "SECRET" not in body


def test_each_export_is_audited_with_list_filters_and_row_count(client, world):  # noqa: F811
    caseworker = world["a"]["people"]["caseworker"]
    login_as(client, caseworker)

    b"".join(client.get("/menages/?export=csv&phase=support&q=Dupont&tri=-nom").streaming_content)

    entry = AuditLog.objects.filter(action="export").latest("id")
    assert entry.user_id == caseworker.user_id and entry.membership_id == caseworker.pk
    assert entry.organisation_id == caseworker.organisation_id
    assert entry.model_label == "households.Household" and entry.object_id == "households"
    assert entry.reason.startswith("households csv 0 lignes")
    assert "phase=support" in entry.reason and "tri=-nom" in entry.reason
    assert "q=…" in entry.reason and "Dupont" not in entry.reason  # a search term may be a name


def test_household_xlsx_has_real_dates_and_the_filters_of_the_list(client, world):  # noqa: F811
    association = world["a"]["association"]
    project = world["a"]["project"]
    caseworker = world["a"]["people"]["caseworker"]
    other = f.HouseholdFactory(organisation=association, project=project, display_name="Ménage Zola")
    measure = f.SupportMeasureFactory(household=other, project=project, organisation=association, referent=caseworker, identification=True)
    f.TeamMemberFactory(measure=measure, membership=caseworker, role="referent")
    f.ContactFactory(measure=measure, occurred_on=datetime.date(2025, 1, 6))
    login_as(client, caseworker)

    sheet, rows = read_xlsx(client.get("/menages/?export=xlsx&tri=-nom"))
    names = [row["Ménage"] for row in as_dicts(rows)]
    assert names == sorted(names, reverse=True) and "Ménage Zola" in names  # the list's sort

    sheet, rows = read_xlsx(client.get(f"/menages/?export=xlsx&phase={Phase.IDENTIFICATION}"))
    (row,) = as_dicts(rows)  # only the filtered rows
    assert row["Ménage"] == "Ménage Zola" and row["Phase"] == "Repérage"
    assert row["Dernier contact"] == datetime.datetime(2025, 1, 6)  # a real date
    assert sheet.cell(row=2, column=8).number_format == "DD/MM/YYYY"


def test_the_landlord_adviser_gets_the_tenancy_side_only(client, world):  # noqa: F811
    login_as(client, world["a"]["people"]["adviser"])

    rows = read_csv(client.get("/menages/?export=csv"))

    assert "Référent" not in rows[0] and "Fin du mandat" not in rows[0]
    assert [r[0] for r in rows[1:]] == [world["a"]["household"].reference]


@pytest.mark.parametrize("who", ["national", "funder"])
def test_national_staff_and_funders_never_get_household_rows(client, world, who):  # noqa: F811
    login_as(client, world[who])
    assert client.get("/menages/?export=csv").status_code == 403
    assert client.get("/menages/?export=xlsx").status_code == 403
    assert not AuditLog.objects.filter(action="export").exists()


def test_a_text_cell_is_never_a_formula(client, world):  # noqa: F811
    household = world["a"]["household"]
    household.display_name = "=HYPERLINK(\"http://x\")"
    household.save()
    login_as(client, world["a"]["people"]["caseworker"])

    rows = read_csv(client.get("/menages/?export=csv"))
    assert as_dicts(rows)[0]["Ménage"] == "'=HYPERLINK(\"http://x\")"
    sheet, rows = read_xlsx(client.get("/menages/?export=xlsx"))
    assert sheet.cell(row=2, column=2).data_type == "s"


# --------------------------------------------------------------------------
# A household's contacts: the protected note
# --------------------------------------------------------------------------


def test_contact_notes_are_exported_to_the_team_only(client, world):  # noqa: F811
    household = world["a"]["household"]
    url = f"/menages/{household.pk}/contacts/"

    login_as(client, world["a"]["people"]["caseworker"])  # on the measure's team
    rows = read_csv(client.get(url + "?export=csv"))
    assert rows[0][-1] == "Note"
    assert any("SECRET-note" in row[-1] for row in rows[1:])
    assert rows[1][0] == "12/03/2024" and rows[1][1] == "Visite à domicile"

    for role in ("adviser", "colleague"):  # the landlord; a caseworker off the team
        login_as(client, world["a"]["people"][role])
        rows = read_csv(client.get(url + "?export=csv"))
        assert "Note" not in rows[0], role
        assert "SECRET" not in str(rows), role
        sheet, rows = read_xlsx(client.get(url + "?export=xlsx"))
        assert "Note" not in rows[0] and "SECRET" not in str(rows), role


def test_another_organisations_contacts_are_a_404(client, world):  # noqa: F811
    login_as(client, world["a"]["people"]["caseworker"])
    assert client.get(f"/menages/{world['b']['household'].pk}/contacts/?export=csv").status_code == 404


# --------------------------------------------------------------------------
# The landlord's lists and the projects
# --------------------------------------------------------------------------


def test_arrears_xlsx_has_amounts_as_numbers_in_euros(client, world):  # noqa: F811
    login_as(client, world["a"]["people"]["adviser"])

    sheet, rows = read_xlsx(client.get("/bailleur/impayes/?export=xlsx"))

    (row,) = as_dicts(rows)
    assert row["Ménage"] == world["a"]["household"].display_name
    assert row["Dette"] == pytest.approx(float(Decimal("1245.90")))
    debt = sheet.cell(row=2, column=rows[0].index("Dette") + 1)
    assert isinstance(debt.value, (int, float)) and "€" in debt.number_format
    assert row["Dossier ouvert le"] == datetime.datetime(2024, 10, 7)
    rows = read_csv(client.get("/bailleur/impayes/?export=csv"))
    assert as_dicts(rows)[0]["Dette"] == "1245,90"
    assert as_dicts(rows)[0]["Dossier ouvert le"] == "07/10/2024"


@pytest.mark.parametrize(("url", "header"), [
    ("/bailleur/locataires/", "Accompagné par"),
    ("/bailleur/attributions/", "Dernière étape"),
    ("/bailleur/glissements/", "Glissement prévu le"),
    ("/bailleur/impayes/", "Prochaine échéance légale"),
])
def test_every_landlord_list_exports_for_the_landlord_only(client, world, url, header):  # noqa: F811
    login_as(client, world["a"]["people"]["adviser"])
    rows = read_csv(client.get(url + "?export=csv"))
    assert header in rows[0]
    assert world["b"]["household"].display_name not in str(rows)
    login_as(client, world["a"]["people"]["caseworker"])  # an association: not its screens
    assert client.get(url + "?export=csv").status_code == 403


def test_tenants_export_lists_the_supporting_association_not_the_notes(client, world):  # noqa: F811
    login_as(client, world["a"]["people"]["adviser"])
    (row,) = as_dicts(read_csv(client.get("/bailleur/locataires/?export=csv")))
    assert row["Ménage"] == world["a"]["household"].display_name
    assert row["Accompagné par"] == "Association A" and row["Phase d'accompagnement"] == "Accompagnement"
    assert row["Bail"] == "Bail direct" and row["Dernier contact"] == "12/03/2024"
    assert "SECRET" not in str(row)


def test_projects_export_for_national_staff_with_money_as_numbers(client, world):  # noqa: F811
    f.FundingFactory(project=world["b"]["project"], granted=True)
    login_as(client, world["national"])

    sheet, rows = read_xlsx(client.get("/projets/?export=xlsx"))

    numbers = {row["N°"] for row in as_dicts(rows)}
    assert {world["a"]["project"].number, world["b"]["project"].number} <= numbers
    column = rows[0].index("Financement accordé") + 1
    assert all(isinstance(sheet.cell(row=r, column=column).value, (int, float)) for r in range(2, len(rows) + 1))
    assert "€" in sheet.cell(row=2, column=column).number_format


def test_projects_export_applies_the_filters(client, world):  # noqa: F811
    login_as(client, world["national"])
    number = world["a"]["project"].number
    rows = as_dicts(read_csv(client.get(f"/projets/?export=csv&q={number}")))
    assert [row["N°"] for row in rows] == [number]


# --------------------------------------------------------------------------
# The "Exporter" menu
# --------------------------------------------------------------------------


def test_the_list_page_offers_the_export_with_its_query_string(client, world):  # noqa: F811
    login_as(client, world["a"]["people"]["caseworker"])
    html = client.get("/menages/?phase=support&tri=-nom").content.decode()
    assert "Exporter" in html
    assert 'href="/menages/?phase=support&amp;tri=-nom&amp;export=csv"' in html
    assert 'href="/menages/?phase=support&amp;tri=-nom&amp;export=xlsx"' in html
    login_as(client, world["a"]["people"]["adviser"])
    assert 'href="/bailleur/impayes/?export=xlsx"' in client.get("/bailleur/impayes/").content.decode()


# --------------------------------------------------------------------------
# Query counts: constant whatever the number of rows
# --------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


def _more_households(world, count: int) -> None:  # noqa: F811
    association, project = world["a"]["association"], world["a"]["project"]
    caseworker = world["a"]["people"]["caseworker"]
    for _ in range(count):
        household = f.HouseholdFactory(organisation=association, project=project)
        measure = f.SupportMeasureFactory(household=household, project=project, organisation=association, referent=caseworker)
        f.TeamMemberFactory(measure=measure, membership=caseworker, role="referent")
        f.ContactFactory(measure=measure)
        f.MandateFactory(measure=measure)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_household_export_query_count_does_not_grow_with_rows(client, world, fmt):  # noqa: F811
    login_as(client, world["a"]["people"]["caseworker"])
    url = f"/menages/?export={fmt}"
    few = _queries(client, url)
    _more_households(world, 15)
    many = _queries(client, url)
    # 10 = session, user and acting membership (middleware); the list's
    # count; the organisation's kind (tenancy side or not); the audit row;
    # the session save and its SAVEPOINT pair (test transaction); the rows
    # themselves: ONE server-side cursor (annotations and select_related),
    # read in chunks of 2 000 rows. The filter's choices stay lazy.
    assert many == few
    assert many <= 10


def test_contacts_and_landlord_exports_query_count_does_not_grow_with_rows(client, world):  # noqa: F811
    household, measure = world["a"]["household"], world["a"]["measure"]
    login_as(client, world["a"]["people"]["caseworker"])
    url = f"/menages/{household.pk}/contacts/?export=csv"
    few = _queries(client, url)
    for day in range(1, 21):
        f.ContactFactory(measure=measure, occurred_on=datetime.date(2025, 1, day))
    many = _queries(client, url)
    # 18 = middleware (3); the household twice (scoped_object, then the
    # export's builder, which a background job also runs); the count; the
    # distinct measures and, once per measure (not per row), the five
    # queries of the note's readability; the audit row; session save (3);
    # the rows' cursor.
    assert many == few and many <= 18

    login_as(client, world["a"]["people"]["adviser"])
    url = "/bailleur/locataires/?export=xlsx"
    few = _queries(client, url)
    _more_households(world, 5)
    for household in world["a"]["association"].households.all():
        if not household.occupied_leases.exists():
            f.LeaseFactory(unit=f.HousingUnitFactory(landlord=world["a"]["landlord"], project=world["a"]["project"]),
                           lessor=world["a"]["landlord"], occupant=household, tenant_household=household)
    many = _queries(client, url)
    # 11 = middleware (3), landlord check, count, organisation kind, audit
    # row, session save (3), the rows' cursor — and the two prefetches (open
    # measures, current leases), which run once per chunk of 2 000 rows.
    assert many == few and many <= 13


# --------------------------------------------------------------------------
# Above the threshold: a background job
# --------------------------------------------------------------------------


def _big_export(client, settings, django_capture_on_commit_callbacks, membership, url="/menages/?export=xlsx&tri=-nom"):
    settings.EXPORT_BACKGROUND_ROWS = 0  # any row at all goes to the background
    login_as(client, membership)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(url)
    return response


def test_a_big_export_is_built_in_the_background_for_its_owner_only(client, settings, world, django_capture_on_commit_callbacks):  # noqa: F811
    caseworker = world["a"]["people"]["caseworker"]
    _more_households(world, 2)

    response = _big_export(client, settings, django_capture_on_commit_callbacks, caseworker)

    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/exports/{job.token}/"
    assert job.status == ExportJob.Status.DONE and job.progress == 100 and job.row_count == 3
    assert job.user == caseworker.user and job.membership_id == caseworker.pk and job.list_name == "households"
    assert job.expires_at > timezone.now() and job.started_at <= job.finished_at
    page = client.get(response["Location"]).content.decode()
    assert "Votre fichier est prêt : 3 lignes." in page and f"/exports/{job.token}/fichier/" in page
    assert "hx-get" not in page  # finished: no more polling

    download = client.get(f"/exports/{job.token}/fichier/")
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment;")
    sheet, rows = read_xlsx(download)
    names = [row["Ménage"] for row in as_dicts(rows)]
    assert len(names) == 3 and names == sorted(names, reverse=True)
    entry = AuditLog.objects.filter(action="export").latest("id")
    assert entry.reason.startswith("households xlsx 3 lignes") and entry.membership_id == caseworker.pk

    # Anybody else: 404 (another user of the same association, the lead).
    for other in (world["a"]["people"]["colleague"], world["a"]["people"]["lead"], world["b"]["people"]["caseworker"]):
        login_as(client, other)
        assert client.get(f"/exports/{job.token}/").status_code == 404
        assert client.get(f"/exports/{job.token}/fichier/").status_code == 404
    # The same person acting for another organisation: 404 too.
    second = f.MembershipFactory(user=caseworker.user, organisation=world["b"]["association"], role=Role.CASEWORKER)
    login_as(client, second)
    assert client.get(f"/exports/{job.token}/fichier/").status_code == 404
    client.logout()
    assert client.get(f"/exports/{job.token}/").status_code == 302  # login first


def test_a_pending_job_page_polls_with_htmx(client, settings, world):  # noqa: F811
    caseworker = world["a"]["people"]["caseworker"]
    settings.EXPORT_BACKGROUND_ROWS = 0
    login_as(client, caseworker)
    response = client.get("/menages/?export=csv")  # the on_commit callback is not run: the job waits
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.PENDING and job.format == "csv"
    page = client.get(response["Location"]).content.decode()
    assert f'hx-get="/exports/{job.token}/"' in page and 'hx-trigger="every 2s"' in page
    assert "<progress" in page and "<script>" not in page and "style=" not in page
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="export-status"')
    assert client.get(f"/exports/{job.token}/fichier/").status_code == 302  # not ready: back to the page


def test_a_background_csv_and_the_expiry(client, settings, world, django_capture_on_commit_callbacks):  # noqa: F811
    caseworker = world["a"]["people"]["caseworker"]
    _big_export(client, settings, django_capture_on_commit_callbacks, caseworker, url="/menages/?export=csv")
    job = ExportJob.objects.get()
    download = client.get(f"/exports/{job.token}/fichier/")
    assert read_csv(download)[1][0] == world["a"]["household"].reference
    path = job.file.path

    job.expires_at = timezone.now() - datetime.timedelta(minutes=1)
    job.save(update_fields=["expires_at"])
    assert purge_exports() == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.EXPIRED and not job.file
    assert "query" not in job.parameters  # the filters (a search term may be a name) go with the file
    import os

    assert not os.path.exists(path)
    response = client.get(f"/exports/{job.token}/fichier/")
    assert response.status_code == 410 and "a expiré" in response.content.decode()


def test_a_job_whose_membership_ended_fails_visibly(client, settings, world):  # noqa: F811
    from core import exports

    caseworker = world["a"]["people"]["caseworker"]
    settings.EXPORT_BACKGROUND_ROWS = 0
    login_as(client, caseworker)
    client.get("/menages/?export=xlsx")
    job = ExportJob.objects.get()
    caseworker.is_active = False
    caseworker.save(update_fields=["is_active"])
    exports.build_job(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and "plus accès" in job.error and not job.file


def test_the_purge_is_scheduled():
    from django_celery_beat.models import PeriodicTask

    assert PeriodicTask.objects.filter(task="core.purge_exports", enabled=True).exists()


@pytest.mark.parametrize(("who", "url", "name", "header"), [
    ("adviser", "/bailleur/impayes/?export=csv", "landlord_arrears", "Dette"),
    ("caseworker", "/menages/{pk}/contacts/?export=xlsx", "household_contacts", "Note"),
    ("national", "/projets/?export=csv", "projects", "Financement accordé"),
])
def test_every_list_can_go_to_the_background(client, settings, world, django_capture_on_commit_callbacks, who, url, name, header):  # noqa: F811
    membership = world[who] if who == "national" else world["a"]["people"][who]
    url = url.format(pk=world["a"]["household"].pk)
    response = _big_export(client, settings, django_capture_on_commit_callbacks, membership, url=url)
    job = ExportJob.objects.get()
    assert response.status_code == 302 and job.list_name == name and job.status == ExportJob.Status.DONE, job.error
    download = client.get(f"/exports/{job.token}/fichier/")
    rows = read_csv(download) if job.format == "csv" else read_xlsx(download)[1]
    assert header in rows[0] and len(rows) - 1 == job.row_count >= 1


def test_projects_export_query_count_is_pinned(client, world, django_assert_max_num_queries):  # noqa: F811
    login_as(client, world["national"])
    # Middleware (3), the list's count, the audit row, the session save and
    # its SAVEPOINT pair, the rows' cursor (select_related and a funding
    # subquery): 8, whatever the number of projects.
    with django_assert_max_num_queries(9):
        response = client.get("/projets/?export=csv")
        assert len(read_csv(response)) >= 3


def test_a_job_left_behind_is_expired_by_the_purge(client, world):  # noqa: F811
    stuck = f.ExportJobFactory(created_at=timezone.now() - datetime.timedelta(days=3))  # never built
    fresh = f.ExportJobFactory()
    assert purge_exports() == 1
    stuck.refresh_from_db()
    fresh.refresh_from_db()
    assert stuck.status == ExportJob.Status.EXPIRED and fresh.status == ExportJob.Status.PENDING
    from partners.models import Membership

    login_as(client, Membership.objects.get(pk=stuck.membership_id))
    page = client.get(f"/exports/{stuck.token}/").content.decode()
    assert "a expiré" in page and "hx-get" not in page


def test_a_job_runs_only_a_marked_export_builder(world):  # noqa: F811
    from core import exports

    caseworker = world["a"]["people"]["caseworker"]
    job = f.ExportJobFactory(membership=caseworker, builder="os.getcwd")
    exports.build_job(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and not job.file


def test_a_broker_that_does_not_answer_fails_the_job_visibly(client, settings, world, django_capture_on_commit_callbacks, monkeypatch):  # noqa: F811
    from core import tasks

    def down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.build_export, "delay", down)
    response = _big_export(client, settings, django_capture_on_commit_callbacks, world["a"]["people"]["caseworker"])
    job = ExportJob.objects.get()
    assert job.status == ExportJob.Status.FAILED
    assert "indisponible" in client.get(response["Location"]).content.decode()

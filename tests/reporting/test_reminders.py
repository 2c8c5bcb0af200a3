"""Report-due reminders: the project's leads are e-mailed at J-30, J-7 and J-1 before a funder's
deadline (``Funding.report_due_on``), only them, and never twice.

Personas of project P (lead landlord L, co-lead association A, partner association B):
``l_admin`` and ``l_lead`` (L, org admin and team lead) and ``a_lead`` (A, team lead) are
reminded; ``l_adviser`` (L, landlord adviser), ``a_caseworker`` (A), ``b_lead`` (B, a mere
partner), ``o_admin`` (another landlord O) and ``l_former`` (L, membership ended) are not.
"""

from __future__ import annotations

import datetime
import json

import pytest
from django.core import mail
from django_celery_beat.models import PeriodicTask

from partners.models import Role
from projects.models import CarrierRole, FundingDecision
from reporting import reminders
from reporting.models import ReportReminder
from reporting.tasks import send_report_reminders
from tests import factories as f

pytestmark = pytest.mark.django_db

D = datetime.date
DUE = D(2025, 7, 31)
ONE_DAY = datetime.timedelta(days=1)


@pytest.fixture
def world():
    landlord = f.OrganisationFactory(landlord=True, name="Bailleur Lumière")
    association = f.OrganisationFactory(association=True, name="Association Abri")
    partner = f.OrganisationFactory(association=True, name="Association Boussole")
    other = f.OrganisationFactory(landlord=True, name="Bailleur Ouest")
    state = f.OrganisationFactory(state=True, name="DDETS du Rhône")
    project = f.ProjectFactory(lead_landlord=landlord, number="2.3.7", title="Habiter et rester chez soi")
    f.ProjectCarrierFactory(project=project, organisation=landlord, role=CarrierRole.LEAD)
    f.ProjectCarrierFactory(project=project, organisation=association, role=CarrierRole.CO_LEAD)
    f.ProjectCarrierFactory(project=project, organisation=partner, role=CarrierRole.PARTNER)
    other_project = f.ProjectFactory(lead_landlord=other)
    people = {
        "l_admin": f.MembershipFactory(organisation=landlord, role=Role.ORG_ADMIN, user__email="directrice@lumiere.test"),
        "l_lead": f.MembershipFactory(organisation=landlord, role=Role.TEAM_LEAD, user__email="cheffe@lumiere.test"),
        "l_adviser": f.MembershipFactory(organisation=landlord, role=Role.LANDLORD_ADVISER, user__email="conseil@lumiere.test"),
        "l_former": f.MembershipFactory(
            organisation=landlord, role=Role.TEAM_LEAD, user__email="ancien@lumiere.test", is_active=False, ended_on=D(2024, 6, 30)
        ),
        "a_lead": f.MembershipFactory(organisation=association, role=Role.TEAM_LEAD, user__email="chef@abri.test"),
        "a_caseworker": f.MembershipFactory(organisation=association, role=Role.CASEWORKER, user__email="ts@abri.test"),
        "b_lead": f.MembershipFactory(organisation=partner, role=Role.TEAM_LEAD, user__email="chef@boussole.test"),
        "o_admin": f.MembershipFactory(organisation=other, role=Role.ORG_ADMIN, user__email="admin@ouest.test"),
    }
    funding = f.FundingFactory(
        project=project, funder=state, decision=FundingDecision.GRANTED, amount_awarded=60000, report_due_on=DUE,
        reference="CONV-2025-042",
    )
    # Not reminded: refused, undecided, without a due date.
    f.FundingFactory(project=project, funder=state, decision=FundingDecision.REFUSED, report_due_on=DUE)
    f.FundingFactory(project=project, report_due_on=DUE)
    f.FundingFactory(project=project, decision=FundingDecision.GRANTED, amount_awarded=1000)
    return {"project": project, "other_project": other_project, "funding": funding, "state": state, "people": people}


LEADS = {"directrice@lumiere.test", "cheffe@lumiere.test", "chef@abri.test"}


def recipients(messages) -> set[str]:
    return {address for message in messages for address in message.to}


def test_reminders_go_out_at_j30_j7_and_j1_only(world, mailoutbox):
    sent_on = {}
    day = DUE - datetime.timedelta(days=40)
    while day <= DUE + ONE_DAY:
        before = len(mailoutbox)
        reminders.send_report_reminders(today=day)
        if len(mailoutbox) > before:
            sent_on[day] = mailoutbox[before:]
        day += ONE_DAY
    assert sorted(sent_on) == [DUE - datetime.timedelta(days=30), DUE - datetime.timedelta(days=7), DUE - ONE_DAY]
    for messages in sent_on.values():
        assert len(messages) == 3  # one e-mail per lead: they do not see each other's addresses
        assert all(len(message.to) == 1 for message in messages)
    stored = ReportReminder.objects.filter(funding=world["funding"]).order_by("-days_before")
    assert [(r.days_before, r.due_on, sorted(r.recipients)) for r in stored] == [(d, DUE, sorted(LEADS)) for d in (30, 7, 1)]


def test_only_the_leads_of_the_lead_and_co_lead_organisations_are_reminded(world, mailoutbox):
    reminders.send_report_reminders(today=DUE - datetime.timedelta(days=7))
    assert recipients(mailoutbox) == LEADS  # not the adviser, the caseworker, the partner, another landlord, a former lead


def test_a_rerun_of_the_task_sends_nothing_twice(world, mailoutbox):
    today = DUE - datetime.timedelta(days=30)
    assert reminders.send_report_reminders(today=today) == 3
    assert reminders.send_report_reminders(today=today) == 0
    assert reminders.send_report_reminders(today=today + ONE_DAY) == 0  # J-29: the J-30 reminder is done
    assert len(mailoutbox) == 3
    assert ReportReminder.objects.count() == 1


def test_the_beat_task_sends_the_reminders_of_today_once(world, mailoutbox, monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *args, **kwargs: DUE - ONE_DAY)
    assert send_report_reminders.apply().get() == 3
    assert send_report_reminders.apply().get() == 0
    assert len(mailoutbox) == 3


def test_the_e_mail_is_in_french_with_the_project_funder_programme_date_and_link(world, mailoutbox):
    reminders.send_report_reminders(today=DUE - datetime.timedelta(days=7))
    message = next(m for m in mailoutbox if m.to == ["chef@abri.test"])
    project = world["project"]
    assert message.subject == "Compte rendu à remettre le 31/07/2025 — projet 2.3.7 (DDETS du Rhône)"
    body = message.body
    assert "dans 7 jours, le 31/07/2025" in body
    assert "2.3.7 — Habiter et rester chez soi" in body
    assert "Financeur : DDETS du Rhône" in body
    assert "Dispositif : FNAVDL / AVDL" in body
    assert "Convention : CONV-2025-042" in body
    assert f"/rapports/nouveau/?project={project.pk}&kind=funding" in body
    assert "Les rappels sont envoyés 30, 7 et 1 jours avant l'échéance." in body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert f'href="http://localhost:8000/rapports/nouveau/?project={project.pk}&amp;kind=funding"' in html or (
        f"/rapports/nouveau/?project={project.pk}&amp;kind=funding" in html
    )
    assert "<strong>dans 7 jours, le 31/07/2025</strong>" in html


def test_j1_says_tomorrow(world, mailoutbox):
    reminders.send_report_reminders(today=DUE - ONE_DAY)
    assert "attendu demain, le 31/07/2025" in mailoutbox[0].body


def test_a_missed_day_is_caught_up_once_with_the_nearest_reminder(world, mailoutbox):
    # The beat was stopped at J-30: the next run (J-20) sends the J-30 reminder, once.
    assert reminders.send_report_reminders(today=DUE - datetime.timedelta(days=20)) == 3
    assert "dans 20 jours" in mailoutbox[0].body
    assert reminders.send_report_reminders(today=DUE - datetime.timedelta(days=19)) == 0
    # Created five days before the deadline: only the J-7 reminder, not J-30 as well.
    late = f.FundingFactory(project=world["project"], decision=FundingDecision.GRANTED, amount_awarded=500, report_due_on=DUE)
    ReportReminder.objects.filter(funding=world["funding"]).delete()
    mail.outbox.clear()
    reminders.send_report_reminders(today=DUE - datetime.timedelta(days=5))
    assert set(ReportReminder.objects.filter(funding=late).values_list("days_before", flat=True)) == {7}


def test_a_due_date_moved_later_gets_its_own_reminders(world, mailoutbox):
    reminders.send_report_reminders(today=DUE - ONE_DAY)
    funding = world["funding"]
    funding.report_due_on = DUE + datetime.timedelta(days=30)
    funding.save()
    assert reminders.send_report_reminders(today=DUE) == 3  # J-30 of the new date
    assert ReportReminder.objects.filter(funding=funding).count() == 2


def test_the_offsets_come_from_the_setting(world, mailoutbox, settings):
    settings.REPORT_REMINDER_DAYS = (14,)
    assert reminders.send_report_reminders(today=DUE - datetime.timedelta(days=30)) == 0
    assert reminders.send_report_reminders(today=DUE - datetime.timedelta(days=14)) == 3
    assert reminders.send_report_reminders(today=DUE - ONE_DAY) == 0


def test_a_failed_sending_records_nothing_and_is_retried(world, mailoutbox, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("SMTP injoignable")

    monkeypatch.setattr("django.core.mail.backends.locmem.EmailBackend.send_messages", broken)
    with pytest.raises(ConnectionError):
        reminders.send_report_reminders(today=DUE - datetime.timedelta(days=7))
    assert not ReportReminder.objects.exists()
    monkeypatch.undo()
    assert reminders.send_report_reminders(today=DUE - datetime.timedelta(days=7)) == 3


def test_the_reminders_are_in_the_beat_schedule(db):
    task = PeriodicTask.objects.get(name="Rapports : rappels des comptes rendus à remettre")
    assert (task.task, task.enabled, json.loads(task.kwargs)) == ("reporting.send_report_reminders", True, {})
    assert (task.crontab.hour, task.crontab.minute, task.crontab.day_of_month) == ("7", "30", "*")
    from config.celery import app

    app.loader.import_default_modules()
    assert "reporting.send_report_reminders" in app.tasks


def test_query_count_does_not_grow_with_the_fundings(world, mailoutbox, django_assert_max_num_queries):
    for _ in range(5):
        project = f.ProjectFactory(lead_landlord=world["project"].lead_landlord)
        f.FundingFactory(project=project, decision=FundingDecision.GRANTED, amount_awarded=100, report_due_on=DUE)
    # 3 reads (fundings, their lead carriers, reminders already sent) + 1 read of the
    # memberships (+ users), then per reminder a savepoint, an insert and its release.
    with django_assert_max_num_queries(4 + 3 * 6):
        assert reminders.send_report_reminders(today=DUE - datetime.timedelta(days=7)) == 13  # 5 × 2 leads of the landlord + 3


def test_one_reminder_per_funding_due_date_and_offset(world):
    from django.utils import timezone

    from tests.test_constraints import violates

    funding = world["funding"]
    ReportReminder.objects.create(funding=funding, due_on=DUE, days_before=7, sent_at=timezone.now())
    ReportReminder.objects.create(funding=funding, due_on=DUE, days_before=1, sent_at=timezone.now())
    with violates("report_reminder_once"):
        ReportReminder.objects.create(funding=funding, due_on=DUE, days_before=7, sent_at=timezone.now())

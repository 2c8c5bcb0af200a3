"""Report-due reminders: the project lead hears of a funder's deadline at J-30, J-7 and J-1.

``projects.Funding.report_due_on`` is the date the funder expects the compte
rendu of a grant. The daily beat task ``reporting.send_report_reminders``
calls :func:`send_report_reminders`, which e-mails the project's lead — the
team leads and organisation admins of the lead landlord and of the carriers
with the role "porteur" or "co-porteur" — before each due date.

Each reminder sent is recorded (``ReportReminder``, unique per funding, due
date and offset) in the same transaction as the sending: a rerun of the task
sends nothing twice, and a failed sending is retried the next day. When the
task did not run on the exact day (beat stopped), the next run catches up
with the nearest offset not yet sent — one e-mail, never a burst.
"""

from __future__ import annotations

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from partners.models import Membership, Role
from projects.models import CarrierRole, Funding, FundingDecision, ProjectCarrier

from .models import ReportReminder

logger = logging.getLogger(__name__)

DEFAULT_DAYS = (30, 7, 1)
#: Roles of the lead organisations who receive the reminders.
RECIPIENT_ROLES = (Role.TEAM_LEAD, Role.ORG_ADMIN)
#: Carrier roles that make an organisation one of the project's leads.
LEAD_CARRIER_ROLES = (CarrierRole.LEAD, CarrierRole.CO_LEAD)


def reminder_days() -> tuple[int, ...]:
    """Offsets in days before the due date (setting ``REPORT_REMINDER_DAYS``), largest first."""
    days = getattr(settings, "REPORT_REMINDER_DAYS", DEFAULT_DAYS)
    return tuple(sorted({int(day) for day in days if int(day) > 0}, reverse=True))


def offset_for(days_left: int, days: tuple[int, ...]) -> int | None:
    """The reminder due when the deadline is ``days_left`` days away: the smallest offset ≥ days_left."""
    if days_left < 1:
        return None
    candidates = [day for day in days if days_left <= day]
    return min(candidates) if candidates else None


def due_fundings(today: datetime.date, days: tuple[int, ...]):
    """Granted fundings whose compte rendu is due within the largest offset, with what the e-mail needs."""
    if not days:
        return Funding.objects.none()
    return (
        Funding.objects.filter(
            decision=FundingDecision.GRANTED,
            report_due_on__gt=today,
            report_due_on__lte=today + datetime.timedelta(days=max(days)),
        )
        .select_related("project", "project__lead_landlord", "funder")
        .prefetch_related(
            Prefetch(
                "project__project_carriers",
                queryset=ProjectCarrier.objects.filter(role__in=LEAD_CARRIER_ROLES),
                to_attr="lead_carriers",
            )
        )
        .order_by("report_due_on", "pk")
    )


def lead_organisation_ids(funding: Funding) -> set[int]:
    project = funding.project
    ids = {carrier.organisation_id for carrier in getattr(project, "lead_carriers", [])}
    if project.lead_landlord_id:
        ids.add(project.lead_landlord_id)
    return ids


def recipients_by_organisation(organisation_ids: set[int], today: datetime.date) -> dict[int, list]:
    """Active team leads and admins of these organisations (one query), by organisation."""
    memberships = (
        Membership.objects.active()
        .filter(organisation_id__in=organisation_ids, role__in=RECIPIENT_ROLES, user__is_active=True)
        .filter(Q(started_on__isnull=True) | Q(started_on__lte=today), Q(ended_on__isnull=True) | Q(ended_on__gte=today))
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__email")
    )
    found: dict[int, list] = {}
    for membership in memberships:
        found.setdefault(membership.organisation_id, []).append(membership.user)
    return found


@dataclass
class Reminder:
    funding: Funding
    days_before: int
    days_left: int


def pending_reminders(today: datetime.date, days: tuple[int, ...]) -> list[Reminder]:
    """The reminders due today and not sent yet."""
    fundings = list(due_fundings(today, days))
    wanted = []
    for funding in fundings:
        days_left = (funding.report_due_on - today).days
        offset = offset_for(days_left, days)
        if offset is not None:
            wanted.append(Reminder(funding=funding, days_before=offset, days_left=days_left))
    if not wanted:
        return []
    sent = set(
        ReportReminder.objects.filter(funding__in=[r.funding.pk for r in wanted]).values_list("funding_id", "due_on", "days_before")
    )
    return [r for r in wanted if (r.funding.pk, r.funding.report_due_on, r.days_before) not in sent]


def site_url() -> str:
    return getattr(settings, "SITE_URL", "http://localhost:8000").rstrip("/")


def request_url(funding: Funding) -> str:
    return f"{site_url()}{reverse('reporting:run_new')}?project={funding.project_id}&kind=funding"


def build_messages(reminder: Reminder, users: list, connection) -> list[EmailMultiAlternatives]:
    """One e-mail per person (the leads of several organisations do not see each other's addresses)."""
    funding = reminder.funding
    messages = []
    for user in users:
        context = {
            "user": user,
            "project": funding.project,
            "funding": funding,
            "funder": funding.funder,
            "programme": funding.get_programme_display(),
            "due_on": funding.report_due_on,
            "days_left": reminder.days_left,
            "request_url": request_url(funding),
            "runs_url": f"{site_url()}{reverse('reporting:runs')}",
            "schedule": get_text_list([str(day) for day in reminder_days()], _("et")),
        }
        subject = " ".join(render_to_string("reporting/email/report_reminder_subject.txt", context).split())
        body = render_to_string("reporting/email/report_reminder.txt", context)
        html = render_to_string("reporting/email/report_reminder.html", context)
        message = EmailMultiAlternatives(subject, body, None, [user.email], connection=connection)
        message.attach_alternative(html, "text/html")
        messages.append(message)
    return messages


def send_report_reminders(today: datetime.date | None = None) -> int:
    """Send the reminders due ``today`` (default: the local date); returns how many e-mails were sent."""
    today = today or timezone.localdate()
    days = reminder_days()
    reminders = pending_reminders(today, days)
    if not reminders:
        return 0
    organisation_ids = set().union(*(lead_organisation_ids(r.funding) for r in reminders))
    people = recipients_by_organisation(organisation_ids, today)
    sent = 0
    connection = get_connection()
    with translation.override(settings.LANGUAGE_CODE or "fr"):
        for reminder in reminders:
            users = {}
            for organisation_id in sorted(lead_organisation_ids(reminder.funding)):
                for user in people.get(organisation_id, []):
                    users.setdefault(user.email.lower(), user)
            recipients = [users[email] for email in sorted(users)]
            if not recipients:
                logger.warning("Funding %s: compte rendu due on %s but the project has no lead to remind", reminder.funding.pk, reminder.funding.report_due_on)
            try:
                # The row first (its unique key stops a concurrent run), the e-mails
                # inside the same transaction: a failed sending records nothing.
                with transaction.atomic():
                    ReportReminder.objects.create(
                        funding=reminder.funding, due_on=reminder.funding.report_due_on, days_before=reminder.days_before,
                        sent_at=timezone.now(), recipients=[user.email for user in recipients],
                    )
                    if recipients:
                        sent += connection.send_messages(build_messages(reminder, recipients, connection)) or 0
            except IntegrityError:
                logger.info("Funding %s: reminder J-%s already sent", reminder.funding.pk, reminder.days_before)
    return sent

"""Retention of household files (DESIGN.md §3).

- *Active base*: while support runs and for ``RETENTION_ACTIVE_DAYS`` (2
  years) after the last measure ended.
- *Intermediate archive*: read-only, visible only to the organisation's
  admin (for funders' audits), for ``RETENTION_ARCHIVE_DAYS`` (5 years).
- *Anonymisation*: identity and free-text fields are cleared; the figures
  that reports count (dates, phases, outcomes, amounts, kinds) are kept.

Apps above ``households`` (housing) clear their own free text through the
``household_anonymised`` signal, and add their sections to the right of
access export through ``right_of_access_sections``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.dispatch import Signal
from django.utils import timezone

from core import audit

from .models import (
    Consent,
    Contact,
    GoalReview,
    Household,
    Person,
    Referral,
    SupportGoal,
    SupportMeasure,
    TeamMember,
)

#: Sent inside the anonymisation transaction with ``household``.
household_anonymised = Signal()

#: Callables ``(household) -> (title, rows)`` contributed by other apps.
_right_of_access_sections: list[Callable] = []

ANONYMISED_NAME = "Ménage anonymisé"


def register_right_of_access_section(section: Callable) -> None:
    if section not in _right_of_access_sections:
        _right_of_access_sections.append(section)


def active_days() -> int:
    return getattr(settings, "RETENTION_ACTIVE_DAYS", 2 * 365)


def archive_days() -> int:
    return getattr(settings, "RETENTION_ARCHIVE_DAYS", 5 * 365)


def households_due_for_archive(today: datetime.date):
    """Files whose support all ended more than the active period ago."""
    cutoff = today - datetime.timedelta(days=active_days())
    return (
        Household.objects.filter(archived_at__isnull=True, measures__isnull=False)
        .exclude(measures__ended_on__isnull=True)
        .annotate(last_end=Max("measures__ended_on"))
        .filter(last_end__lt=cutoff)
        .distinct()
    )


def households_due_for_anonymisation(now: datetime.datetime):
    return Household.objects.filter(
        archived_at__lt=now - datetime.timedelta(days=archive_days()), anonymised_at__isnull=True
    )


def archive_due(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    for household in households_due_for_archive(timezone.localdate(now)).iterator():
        with transaction.atomic():
            Household.objects.filter(pk=household.pk).update(archived_at=now, version=household.version + 1)
            audit.record_event(action="archive", model_label="households.Household", object_id=str(household.pk),
                               fields=["archived_at"])
        count += 1
    return count


def anonymise_due(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    for household in households_due_for_anonymisation(now).iterator():
        anonymise(household, now=now)
        count += 1
    return count


@transaction.atomic
def anonymise(household: Household, *, now: datetime.datetime) -> None:
    """Clear identity and free text; keep what reports count."""
    Household.objects.filter(pk=household.pk).update(
        display_name=ANONYMISED_NAME,
        reference=f"ANON-{household.pk}",
        search_key="",
        nur="",
        resources_kind="",
        situation_notes="",
        health_notes="",
        justice_notes="",
        violence_notes="",
        anonymised_at=now,
        version=household.version + 1,
    )
    people = Person.objects.filter(household=household)
    for person in people:
        # Keep the birth year (age bands in reports), drop the exact date.
        birth = person.birth_date.replace(month=1, day=1) if person.birth_date else None
        Person.objects.filter(pk=person.pk).update(first_name="", last_name="", birth_date=birth, employment="", search_key="")
    Referral.objects.filter(household=household).update(refusal_reason="")
    Consent.objects.filter(household=household).update(recorded_by=None)
    measures = SupportMeasure.objects.filter(household=household)
    measures.update(diagnostic_notes="", outcome_notes="", external_reference="")
    Contact.objects.filter(household=household).update(note="")
    SupportGoal.objects.filter(measure__household=household).update(notes="")
    GoalReview.objects.filter(goal__measure__household=household).update(notes="")
    TeamMember.objects.filter(measure__household=household).delete()
    household_anonymised.send(sender=Household, household=household)
    audit.record_event(action="anonymise", model_label="households.Household", object_id=str(household.pk))


def right_of_access(household: Household) -> dict:
    """Everything held on one household, for a right-of-access request (RGPD art. 15)."""

    def rows(queryset, fields):
        return [dict(zip(fields, values)) for values in queryset.values_list(*fields)]

    sections = {
        "ménage": rows(Household.objects.filter(pk=household.pk), [
            "reference", "display_name", "nur", "prior_situation", "monthly_resources", "resources_kind",
            "domestic_violence", "situation_notes", "health_notes", "justice_notes", "violence_notes",
            "created_at", "archived_at",
        ]),
        "personnes": rows(Person.objects.filter(household=household), ["role", "first_name", "last_name", "birth_date", "employment"]),
        "orientations": rows(Referral.objects.filter(household=household), [
            "source", "referring_organisation__name", "referred_on", "prior_situation", "decision", "decided_on", "refusal_reason",
        ]),
        "consentements": rows(Consent.objects.filter(household=household), ["partner__name", "purpose", "given_on", "withdrawn_on"]),
        "mesures": rows(SupportMeasure.objects.filter(household=household), [
            "project__number", "organisation__name", "kind", "phase", "intensity", "identified_on", "diagnostic_on",
            "contract_signed_on", "ended_on", "outcome", "diagnostic_notes", "outcome_notes",
        ]),
        "objectifs": rows(SupportGoal.objects.filter(measure__household=household), ["domain", "title", "set_on", "status", "closed_on", "notes"]),
        "bilans": rows(GoalReview.objects.filter(goal__measure__household=household), ["goal__title", "milestone", "due_on", "reviewed_on", "progress", "notes"]),
        "contacts": rows(Contact.objects.filter(household=household), ["occurred_on", "kind", "status", "duration_minutes", "note"]),
    }
    for section in _right_of_access_sections:
        title, section_rows = section(household)
        sections[title] = section_rows
    return sections

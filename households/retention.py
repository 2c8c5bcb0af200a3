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

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import F, Max, Q
from django.dispatch import Signal
from django.utils import timezone

from core import access, audit

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

#: Sections ``(title, model, household lookup, fields)`` contributed by other apps.
_right_of_access_sections: list[tuple] = []

ANONYMISED_NAME = "Ménage anonymisé"


def register_right_of_access_section(title: str, model, household_lookup: str, fields: list[str]) -> None:
    section = (title, model, household_lookup, fields)
    if section not in _right_of_access_sections:
        _right_of_access_sections.append(section)


def active_days() -> int:
    return getattr(settings, "RETENTION_ACTIVE_DAYS", 2 * 365)


def archive_days() -> int:
    return getattr(settings, "RETENTION_ARCHIVE_DAYS", 5 * 365)


def households_due_for_archive(today: datetime.date):
    """Files whose support all ended more than the active period ago; and files
    that never had a measure (orientation refused or abandoned) whose last
    orientation was decided, and which were opened, more than that ago."""
    cutoff = today - datetime.timedelta(days=active_days())
    ended = (
        Household.objects.filter(measures__isnull=False)
        .exclude(measures__ended_on__isnull=True)
        .annotate(last_end=Max("measures__ended_on"))
        .filter(last_end__lt=cutoff)
        .values("pk")
    )
    never_supported = (
        Household.objects.filter(measures__isnull=True, created_at__date__lt=cutoff)
        .exclude(referrals__decided_on__isnull=True, referrals__isnull=False)
        .exclude(referrals__decided_on__gte=cutoff)
        .values("pk")
    )
    return Household.objects.filter(archived_at__isnull=True).filter(Q(pk__in=ended) | Q(pk__in=never_supported))


def households_due_for_anonymisation(now: datetime.datetime):
    return Household.objects.filter(
        archived_at__lt=now - datetime.timedelta(days=archive_days()), anonymised_at__isnull=True
    )


def archive_due(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    due = households_due_for_archive(timezone.localdate(now))
    for household in due.iterator():
        with transaction.atomic():
            # Re-checked in the UPDATE: a measure opened meanwhile keeps the file active.
            if not due.filter(pk=household.pk).update(archived_at=now, version=F("version") + 1):
                continue
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
        version=F("version") + 1,
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
    SupportGoal.objects.filter(measure__household=household).update(title="", notes="")
    GoalReview.objects.filter(goal__measure__household=household).update(notes="")
    TeamMember.objects.filter(measure__household=household).delete()
    # Django's admin history keeps each object's label ("Ménage Martin (…)").
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Household), object_id=str(household.pk)
    ).update(object_repr=ANONYMISED_NAME, change_message="")
    household_anonymised.send(sender=Household, household=household)
    audit.record_event(action="anonymise", model_label="households.Household", object_id=str(household.pk))


def right_of_access(household: Household, actor) -> dict:
    """What ``actor``'s organisation holds on one household (RGPD art. 15).

    Built through the access mechanism: rows the actor may see, fields the
    actor may read; the sections of other apps (housing) likewise.
    """
    sections = {}
    for title, model, path, fields in _SECTIONS + _right_of_access_sections:
        sections[title] = export_rows(actor, model, {path: household.pk if path == "id" else household}, fields)
    return sections


def export_rows(actor, model, lookup: dict, fields: list[str]) -> list[dict]:
    """Rows of ``model`` visible to ``actor``, each with only its readable fields."""
    rows = []
    for obj in access.visible_to(actor, model).filter(**lookup).order_by("pk"):
        readable = set(access.readable_fields(actor, obj, [name.split("__")[0] for name in fields]))
        rows.append({name: access.follow(obj, name) for name in fields if name.split("__")[0] in readable})
    return rows


_SECTIONS = [
    ("ménage", Household, "id", [
        "reference", "display_name", "nur", "prior_situation", "monthly_resources", "resources_kind",
        "domestic_violence", "situation_notes", "health_notes", "justice_notes", "violence_notes",
        "created_at", "archived_at",
    ]),
    ("personnes", Person, "household", ["role", "first_name", "last_name", "birth_date", "employment"]),
    ("orientations", Referral, "household", [
        "source", "referring_organisation__name", "referred_on", "prior_situation", "decision", "decided_on", "refusal_reason",
    ]),
    ("consentements", Consent, "household", ["partner__name", "purpose", "given_on", "withdrawn_on"]),
    ("mesures", SupportMeasure, "household", [
        "project__number", "organisation__name", "kind", "phase", "intensity", "identified_on", "diagnostic_on",
        "contract_signed_on", "ended_on", "outcome", "diagnostic_notes", "outcome_notes",
    ]),
    ("objectifs", SupportGoal, "measure__household", ["domain", "title", "set_on", "status", "closed_on", "notes"]),
    ("bilans", GoalReview, "goal__measure__household", ["goal__title", "milestone", "due_on", "reviewed_on", "progress", "notes"]),
    ("contacts", Contact, "household", ["occurred_on", "kind", "status", "duration_minutes", "note"]),
]

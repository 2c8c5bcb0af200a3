"""Archive after the active period, anonymisation after the archive period,
figures unchanged, and the right-of-access export."""

import datetime
from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.utils import timezone

from core.models import AuditLog
from households import retention
from households.models import Contact, Household, Person, SupportMeasure
from households.tasks import apply_retention
from housing.models import EvictionStep
from tests import factories as f

pytestmark = pytest.mark.django_db

NOW = datetime.datetime(2026, 11, 23, 12, 0, tzinfo=datetime.UTC)


def ended_file(ended_on: datetime.date, **household):
    household = f.HouseholdFactory(health_notes="SECRET-sante", situation_notes="SECRET-situation", **household)
    f.PersonFactory(household=household, first_name="Zoé", last_name="Testanon", birth_date=datetime.date(1990, 6, 17))
    measure = f.SupportMeasureFactory(household=household, ended=True, identified_on=ended_on - datetime.timedelta(days=300),
                                      diagnostic_on=None, contract_signed_on=None, ended_on=ended_on, diagnostic_notes="SECRET-diag")
    f.ContactFactory(measure=measure, note="SECRET-contact", occurred_on=ended_on - datetime.timedelta(days=10))
    lease = f.LeaseFactory(occupant=household, tenant_household=household)
    case = f.EvictionCaseFactory(lease=lease)
    f.EvictionStepFactory(case=case, notes="SECRET-etape", amount=Decimal("812.40"))
    return household


def report_figures() -> dict:
    """What reports count: none of it may change with anonymisation."""
    return {
        "households": Household.objects.count(),
        "people": Person.objects.count(),
        "measures_by_outcome": dict(SupportMeasure.objects.values_list("outcome").annotate(n=Count("id"))),
        "contacts_by_kind": dict(Contact.objects.values_list("kind").annotate(n=Count("id"))),
        "arrears": EvictionStep.objects.aggregate(total=Sum("amount"))["total"],
        "birth_years": sorted(p.birth_date.year for p in Person.objects.exclude(birth_date=None)),
    }


def test_files_are_archived_two_years_after_the_end_of_support():
    old = ended_file(datetime.date(2024, 11, 1))
    recent = ended_file(datetime.date(2025, 6, 1))
    running = f.SupportMeasureFactory().household

    assert retention.archive_due(now=NOW) == 1

    old.refresh_from_db(); recent.refresh_from_db(); running.refresh_from_db()
    assert old.archived_at == NOW
    assert recent.archived_at is None and running.archived_at is None
    assert AuditLog.objects.filter(action="archive", object_id=str(old.pk)).exists()


def test_a_household_with_one_open_measure_is_not_archived():
    household = ended_file(datetime.date(2020, 1, 1))
    f.SupportMeasureFactory(household=household)  # another project, still open
    assert retention.archive_due(now=NOW) == 0


def test_anonymisation_at_the_end_of_the_archive_keeps_the_figures():
    household = ended_file(datetime.date(2018, 1, 10), nur="ABC123456")
    Household.objects.filter(pk=household.pk).update(archived_at=NOW - datetime.timedelta(days=5 * 365 + 1))
    untouched = ended_file(datetime.date(2025, 10, 1))
    before = report_figures()

    assert retention.anonymise_due(now=NOW) == 1

    assert report_figures() == before
    household.refresh_from_db()
    assert household.anonymised_at == NOW
    assert household.display_name == retention.ANONYMISED_NAME and household.nur == ""
    person = household.people.get()
    assert (person.first_name, person.last_name, person.birth_date) == ("", "", datetime.date(1990, 1, 1))
    texts = " ".join(
        str(v) for model, fields in (
            (Household, ["display_name", "health_notes", "situation_notes", "reference"]),
            (SupportMeasure, ["diagnostic_notes"]), (Contact, ["note"]), (EvictionStep, ["notes"]),
            (Person, ["first_name", "last_name"]),
        ) for row in model.objects.values_list(*fields) for v in row
    )
    assert texts.count("SECRET") == 5  # only the untouched file's five secrets remain
    assert "Testanon" in texts  # ... and its person
    assert untouched.people.get().last_name == "Testanon"
    assert AuditLog.objects.filter(action="anonymise", object_id=str(household.pk)).exists()


def test_the_daily_task_archives_and_anonymises(settings):
    ended_file(datetime.date(2015, 1, 1))
    result = apply_retention.delay().get()
    assert result == {"archived": 1, "anonymised": 0}


def test_beat_schedule_registers_retention():
    from django.conf import settings

    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"households.apply_retention", "core.purge_audit_log"} <= tasks


def test_right_of_access_export_gathers_what_the_organisation_holds():
    from core.access import Actor
    from partners.models import Role

    household = ended_file(datetime.date(2025, 1, 1))
    measure = household.measures.get()
    lead = f.MembershipFactory(organisation=measure.organisation, role=Role.TEAM_LEAD)
    f.TeamMemberFactory(measure=measure, membership=lead, role="lead")
    f.ReferralFactory(household=household)
    f.ConsentFactory(household=household)
    # Another association supports the same household in another project: its notes are not ours.
    other = f.SupportMeasureFactory(household=household, diagnostic_notes="AUTRE-diag")
    f.ContactFactory(measure=other, note="AUTRE-contact")
    me = Actor(user=lead.user, membership_id=lead.pk, organisation_id=lead.organisation_id, role=lead.role)

    export = retention.right_of_access(household, me)

    assert export["ménage"][0]["health_notes"] == "SECRET-sante"
    assert export["personnes"][0]["last_name"] == "Testanon"
    assert "SECRET-contact" in [row.get("note") for row in export["contacts"]]
    assert export["prévention des expulsions"][0]["notes"] == "SECRET-etape"
    assert export["baux"] and export["orientations"] and export["consentements"] and export["mesures"]
    flat = str(export)
    assert "AUTRE-diag" not in flat and "AUTRE-contact" not in flat


def test_anonymisation_clears_goal_titles_and_the_admin_history():
    from django.contrib.admin.models import CHANGE, LogEntry
    from django.contrib.contenttypes.models import ContentType

    household = ended_file(datetime.date(2018, 1, 10))
    goal = f.SupportGoalFactory(measure=household.measures.get(), title="Rembourser la dette de M. Testanon",
                                set_on=datetime.date(2017, 6, 1))
    admin = f.UserFactory(is_staff=True)
    LogEntry.objects.create(user=admin, content_type=ContentType.objects.get_for_model(Household),
                            object_id=str(household.pk), object_repr=str(household), action_flag=CHANGE,
                            change_message="Testanon")
    Household.objects.filter(pk=household.pk).update(archived_at=NOW - datetime.timedelta(days=5 * 365 + 1))

    retention.anonymise_due(now=NOW)

    goal.refresh_from_db()
    assert goal.title == ""
    entry = LogEntry.objects.get(object_id=str(household.pk))
    assert "Testanon" not in entry.object_repr + entry.change_message


def test_a_file_never_supported_is_archived_after_the_active_period():
    old = f.HouseholdFactory(created_at=NOW - datetime.timedelta(days=3 * 365))
    f.ReferralFactory(household=old, refused=True, referred_on=datetime.date(2023, 9, 1), decided_on=datetime.date(2023, 10, 1))
    pending = f.HouseholdFactory(created_at=NOW - datetime.timedelta(days=3 * 365))
    f.ReferralFactory(household=pending, referred_on=datetime.date(2023, 9, 1))  # still pending
    recent = f.HouseholdFactory(created_at=NOW - datetime.timedelta(days=30))

    assert retention.archive_due(now=NOW) == 1

    old.refresh_from_db(); pending.refresh_from_db(); recent.refresh_from_db()
    assert old.archived_at == NOW and pending.archived_at is None and recent.archived_at is None

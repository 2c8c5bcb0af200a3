"""The visit log and the caseload: contact services, household search, référent reassignment.

Writes (keyword-only, atomic, validated, audited in the same transaction):

- :func:`contact_log` records one contact. A contact carries the
  ``client_uuid`` its form (or offline draft) generated: posting the same
  draft twice, even concurrently, stores one row and returns it
  (DESIGN.md §7, exactly once);
- :func:`referent_reassign` gives a batch of measures a new référent and
  keeps their teams in step.

Reads: :func:`contactable_households` / :func:`search_households` (the
households an actor may log a contact for), :func:`my_measures`,
:func:`caseload` (measures annotated with last contact, next planned
contact, mandate end and overdue reviews, in one query).
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core import access, audit
from core.access import ADD, ORG_ADMIN, TEAM_LEAD, Actor
from core.text import fold
from partners.models import Membership, Role

from .access import active_team_q
from .models import (
    Contact,
    ContactKind,
    ContactStatus,
    GoalReview,
    GoalStatus,
    Household,
    Mandate,
    Phase,
    SupportGoal,
    SupportMeasure,
    TeamMember,
    TeamRole,
)

#: Roles that may hand a household to another référent.
REASSIGNERS = frozenset({TEAM_LEAD, ORG_ADMIN})
#: Roles a référent may have in the organisation.
REFERENT_ROLES = (Role.CASEWORKER, Role.TEAM_LEAD)
#: Days after which a household "has not been seen" (settings.HOUSEHOLD_NOT_SEEN_DAYS overrides).
DEFAULT_NOT_SEEN_DAYS = 30
#: A mandate "ends soon" within this many days.
MANDATE_SOON_DAYS = 30
MAX_NOTE_LENGTH = 10_000
SEARCH_LIMIT = 8
RECENT_LIMIT = 8


def not_seen_days() -> int:
    from django.conf import settings

    return int(getattr(settings, "HOUSEHOLD_NOT_SEEN_DAYS", DEFAULT_NOT_SEEN_DAYS))


# --------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------


def followed_measures(actor: Actor):
    """Measures of the actor's organisation on which a contact may be logged: open, or in veille active."""
    return access.visible_to(actor, SupportMeasure).filter(
        Q(ended_on__isnull=True) | Q(phase=Phase.WATCH), organisation_id=actor.organisation_id
    )


def on_my_team_q(actor: Actor, prefix: str = "") -> Q:
    """The measure (reached by ``prefix``) has the actor as référent or on its team today."""
    team = TeamMember.objects.filter(active_team_q(), measure=OuterRef(f"{prefix}pk"), membership_id=actor.membership_id)
    return Q(**{f"{prefix}referent_id": actor.membership_id}) | Q(Exists(team))


def my_measures(actor: Actor):
    """Open measures on which the actor is référent or on the team."""
    return access.visible_to(actor, SupportMeasure).filter(
        on_my_team_q(actor), ended_on__isnull=True, organisation_id=actor.organisation_id
    )


def contactable_households(actor: Actor):
    """Households the actor may log a contact for: visible, with a followed measure of its organisation.

    Annotated with ``mine`` (the actor is on one of those measures' teams)
    and ``last_contact_on``.
    """
    # The households are visible (visible_to below): so are their measures.
    measures = SupportMeasure.objects.filter(
        Q(ended_on__isnull=True) | Q(phase=Phase.WATCH), organisation_id=actor.organisation_id, household=OuterRef("pk")
    )
    mine = measures.filter(on_my_team_q(actor))
    last = Contact.objects.filter(household=OuterRef("pk"), status=ContactStatus.DONE).order_by("-occurred_on")
    return (
        access.visible_to(actor, Household)
        .filter(Exists(measures))
        .annotate(mine=Exists(mine), last_contact_on=Subquery(last.values("occurred_on")[:1]))
    )


def search_households(actor: Actor, query: str, *, limit: int = SEARCH_LIMIT) -> list[Household]:
    """Households matching every word of ``query`` (accents and case ignored), the actor's own first.

    A word matches the household's name or file number, or the name of one
    of its people.
    """
    from .models import Person

    words = fold(query).split()
    households = contactable_households(actor)
    for word in words[:6]:
        people = Person.objects.filter(household=OuterRef("pk"), search_key__contains=word)
        households = households.filter(Q(search_key__contains=word) | Exists(people))
    return list(households.order_by("-mine", "display_name", "pk")[:limit])


def recent_households(actor: Actor, *, limit: int = RECENT_LIMIT) -> list[Household]:
    """The actor's own households, the most recently seen first (shown before typing)."""
    return list(
        contactable_households(actor)
        .filter(mine=True)
        .order_by(F("last_contact_on").desc(nulls_last=True), "display_name", "pk")[:limit]
    )


def measures_for_contact(actor: Actor, household: Household) -> list[SupportMeasure]:
    """The measures of ``household`` the actor could log a contact on, the most likely first."""
    return list(
        followed_measures(actor)
        .filter(household=household)
        .select_related("project")
        .annotate(
            mine=Q(on_my_team_q(actor)),
            is_open=Q(ended_on__isnull=True),
        )
        .order_by("-is_open", "-mine", "-identified_on", "-pk")
    )


def open_goals(measure: SupportMeasure) -> list[SupportGoal]:
    return list(measure.goals.filter(status=GoalStatus.OPEN).order_by("set_on", "pk"))


def _default_measures(actor: Actor):
    return access.visible_to(actor, SupportMeasure).filter(ended_on__isnull=True, organisation_id=actor.organisation_id)


def _subqueries() -> dict:
    today = timezone.localdate()
    done = Contact.objects.filter(measure=OuterRef("pk"), status=ContactStatus.DONE).order_by("-occurred_on", "-pk")
    planned = Contact.objects.filter(
        measure=OuterRef("pk"), status=ContactStatus.PLANNED, occurred_on__gte=today
    ).order_by("occurred_on", "pk")
    mandate = Mandate.objects.filter(measure=OuterRef("pk")).order_by("-ends_on", "-number")
    overdue = GoalReview.objects.filter(
        goal__measure=OuterRef("pk"), goal__status=GoalStatus.OPEN, reviewed_on__isnull=True, due_on__lt=today
    )
    return {"done": done, "planned": planned, "mandate": mandate, "overdue": overdue}


def caseload(actor: Actor, measures=None, *, days: int | None = None):
    """Open measures annotated for the home pages (one query, whatever the number of rows).

    ``last_contact_on`` (last contact done), ``next_contact_on`` (next planned
    contact from today), ``mandate_ends_on`` (end of the latest mandate),
    ``reviews_overdue`` (a review of an open goal past due, not done),
    ``seen_sort`` (last contact, or a date far in the past when never seen),
    ``not_seen`` (not seen for ``days`` days: measured from the identification
    date when never seen), ``mandate_soon`` (ends within 30 days, or already
    ended).
    """
    days = not_seen_days() if days is None else days
    measures = _default_measures(actor) if measures is None else measures
    sub = _subqueries()
    return (
        measures.select_related("household", "project", "referent__user")
        .annotate(
            last_contact_on=Subquery(sub["done"].values("occurred_on")[:1]),
            last_contact_kind=Subquery(sub["done"].values("kind")[:1]),
            next_contact_on=Subquery(sub["planned"].values("occurred_on")[:1]),
            next_contact_kind=Subquery(sub["planned"].values("kind")[:1]),
            mandate_ends_on=Subquery(sub["mandate"].values("ends_on")[:1]),
            reviews_overdue=Exists(sub["overdue"]),
        )
        .annotate(
            seen_sort=Coalesce("last_contact_on", Value(datetime.date(1900, 1, 1))),
            not_seen=not_seen_q(days),
            mandate_soon=mandate_soon_q(),
        )
    )


def not_seen_q(days: int) -> Q:
    """On a :func:`caseload` queryset: not seen for ``days`` days (from repérage when never seen)."""
    threshold = timezone.localdate() - datetime.timedelta(days=days)
    return Q(last_contact_on__lt=threshold) | Q(last_contact_on__isnull=True, identified_on__lt=threshold)


def mandate_soon_q() -> Q:
    """On a :func:`caseload` queryset: the mandate ends in less than 30 days (or has ended)."""
    return Q(mandate_ends_on__lt=timezone.localdate() + datetime.timedelta(days=MANDATE_SOON_DAYS))


def open_measures_of_organisation(actor: Actor):
    """The open measures of the acting organisation (the team's caseload)."""
    return _default_measures(actor)


def _flagged(actor: Actor, measures, days: int):
    sub = _subqueries()

    def flag(condition) -> Case:
        return Case(When(condition, then=Value(1)), default=Value(0), output_field=models.IntegerField())

    # Integer flags, summed by the callers: boolean annotations cannot be reused in aggregate filters.
    return measures.annotate(
        last_contact_on=Subquery(sub["done"].values("occurred_on")[:1]),
        mandate_ends_on=Subquery(sub["mandate"].values("ends_on")[:1]),
    ).annotate(
        not_seen_flag=flag(not_seen_q(days)),
        mandate_soon_flag=flag(mandate_soon_q()),
        overdue_flag=flag(Exists(sub["overdue"])),
        no_referent_flag=flag(Q(referent__isnull=True)),
    )


def caseload_counts(actor: Actor, measures=None, *, days: int | None = None) -> dict[str, int]:
    """Tiles of a caseload, in one query: households, not seen, mandates ending, overdue reviews, no référent."""
    days = not_seen_days() if days is None else days
    measures = _default_measures(actor) if measures is None else measures
    counts = _flagged(actor, measures, days).aggregate(
        households=Count("household", distinct=True),
        measures=Count("pk"),
        not_seen=Sum("not_seen_flag"),
        mandate_soon=Sum("mandate_soon_flag"),
        reviews_overdue=Sum("overdue_flag"),
        without_referent=Sum("no_referent_flag"),
    )
    return {key: value or 0 for key, value in counts.items()}


@dataclass
class ReferentLoad:
    membership: Membership | None  # None: the measures without a référent
    measures: int = 0
    not_seen: int = 0
    mandate_soon: int = 0
    reviews_overdue: int = 0
    former: bool = False  # no longer an active caseworker of the organisation


def caseload_by_referent(actor: Actor, caseworkers: list[Membership], *, days: int | None = None) -> list[ReferentLoad]:
    """Load of each référent of the organisation (every caseworker, even with nothing), then former ones, then none."""
    days = not_seen_days() if days is None else days
    grouped = {
        row["referent_id"]: row
        for row in _flagged(actor, _default_measures(actor), days)
        .order_by()
        .values("referent_id")
        .annotate(
            n=Count("pk"),
            not_seen=Sum("not_seen_flag"),
            mandate_soon=Sum("mandate_soon_flag"),
            reviews_overdue=Sum("overdue_flag"),
        )
    }

    def load(membership, key, former=False) -> ReferentLoad:
        row = grouped.get(key, {})
        return ReferentLoad(
            membership=membership, measures=row.get("n", 0), not_seen=row.get("not_seen") or 0,
            mandate_soon=row.get("mandate_soon") or 0, reviews_overdue=row.get("reviews_overdue") or 0, former=former,
        )

    loads = [load(membership, membership.pk) for membership in caseworkers]
    known = {membership.pk for membership in caseworkers}
    others = [key for key in grouped if key is not None and key not in known]
    if others:
        for membership in Membership.objects.filter(pk__in=others).select_related("user").order_by("user__last_name"):
            loads.append(load(membership, membership.pk, former=True))
    if None in grouped:
        loads.append(load(None, None))
    return loads


def alerts_of(row) -> list[tuple[str, str]]:
    """(level, label) of the alerts of one caseload row."""
    today = timezone.localdate()
    alerts = []
    if row.not_seen:
        if row.last_contact_on is None:
            alerts.append(("danger", _("Jamais vu")))
        else:
            alerts.append(("danger", _("Non vu depuis %(n)d jours") % {"n": (today - row.last_contact_on).days}))
    if row.mandate_ends_on is not None:
        left = (row.mandate_ends_on - today).days
        if left < 0:
            alerts.append(("danger", _("Mandat échu")))
        elif left < MANDATE_SOON_DAYS:
            alerts.append(("warn", ngettext("Mandat : fin dans %(n)d jour", "Mandat : fin dans %(n)d jours", left) % {"n": left}))
    if row.reviews_overdue:
        alerts.append(("warn", _("Bilan en retard")))
    return alerts


def caseworkers_of(actor: Actor):
    """Active members of the acting organisation who may be référent (caseworkers and team leads)."""
    return (
        Membership.objects.active()
        .filter(organisation_id=actor.organisation_id, role__in=REFERENT_ROLES, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name", "pk")
    )


# --------------------------------------------------------------------------
# Writes
# --------------------------------------------------------------------------


def _existing_contact(client_uuid: uuid.UUID | None) -> Contact | None:
    if client_uuid is None:
        return None
    return Contact.objects.select_related("household", "author").filter(client_uuid=client_uuid).first()


def contact_logged(actor: Actor, client_uuid: uuid.UUID | None) -> Contact | None:
    """The contact already stored for this ``client_uuid`` by the same person (a draft sent again), or None.

    A ``client_uuid`` used by someone else is a field error, never a hint at their contact.
    """
    existing = _existing_contact(client_uuid)
    return None if existing is None else _same_sender(actor, existing)


def _same_sender(actor: Actor, contact: Contact) -> Contact:
    """The contact a repeated draft already created, if the same person sent it; else a field error."""
    if contact.author_id is not None and contact.author.user_id == getattr(actor.user, "pk", None):
        return contact
    raise ValidationError({"client_uuid": _("Cet identifiant de saisie est déjà utilisé par un autre contact.")})


def measure_for(actor: Actor, household: Household) -> SupportMeasure:
    """The measure a contact on ``household`` goes to: the actor's organisation's (403 without one)."""
    measures = measures_for_contact(actor, household)
    if not measures:
        raise PermissionDenied(_("Votre organisation n'accompagne pas ce ménage : vous ne pouvez pas y saisir de contact."))
    return measures[0]


def contact_log(
    *,
    actor: Actor,
    measure: SupportMeasure | None = None,
    household: Household | None = None,
    kind: str,
    occurred_on: datetime.date,
    duration_minutes: int | None = None,
    note: str = "",
    goals: Iterable[SupportGoal | int] = (),
    client_uuid: uuid.UUID | str | None = None,
) -> tuple[Contact, bool]:
    """Record one contact done (visit, interview, call…); return ``(contact, created)``.

    Give the ``measure``, or the ``household`` (its measure followed by the
    actor's organisation is chosen). With a ``client_uuid`` already stored
    by the same person, nothing is written and the stored contact is
    returned with ``created`` False — also when two requests race (the
    unique constraint decides, the loser reads the winner's row).

    Raises ``ValidationError`` (field → French message), ``PermissionDenied``
    (the actor may not log on this measure) or ``FieldsNotWritable`` (a note
    by someone not on the measure's team).
    """
    if client_uuid is not None and not isinstance(client_uuid, uuid.UUID):
        try:
            client_uuid = uuid.UUID(str(client_uuid))
        except ValueError:
            raise ValidationError({"client_uuid": _("Identifiant de saisie invalide.")}) from None
    existing = contact_logged(actor, client_uuid)
    if existing is not None:
        return existing, False

    if measure is None:
        if household is None:
            raise ValidationError({"household": _("Choisissez un ménage.")})
        measure = measure_for(actor, household)
    elif household is not None and measure.household_id != household.pk:
        raise ValidationError({"measure": _("Cette mesure n'est pas celle de ce ménage.")})

    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if kind not in ContactKind.values:
        errors.setdefault("kind", []).append(_("Choisissez le type de contact."))
    if occurred_on is None:
        errors.setdefault("occurred_on", []).append(_("Indiquez la date du contact."))
    elif occurred_on > today:
        errors.setdefault("occurred_on", []).append(_("La date ne peut pas être dans le futur : un contact prévu se planifie ailleurs."))
    elif occurred_on < measure.identified_on:
        errors.setdefault("occurred_on", []).append(
            _("La date est antérieure au repérage du ménage (%(date)s).") % {"date": f"{measure.identified_on:%d/%m/%Y}"}
        )
    if kind == ContactKind.NO_SHOW and duration_minutes:
        errors.setdefault("duration_minutes", []).append(_("Un rendez-vous non honoré n'a pas de durée."))
    elif duration_minutes is not None and not 1 <= duration_minutes <= 24 * 60:
        errors.setdefault("duration_minutes", []).append(_("La durée est comprise entre 1 et 1 440 minutes."))
    note = (note or "").strip()
    if "\x00" in note:
        errors.setdefault("note", []).append(_("La note contient un caractère invalide."))
    elif len(note) > MAX_NOTE_LENGTH:
        errors.setdefault("note", []).append(_("La note est limitée à %(n)d caractères.") % {"n": MAX_NOTE_LENGTH})
    goal_ids = sorted({getattr(goal, "pk", goal) for goal in goals})
    chosen_goals = list(SupportGoal.objects.filter(pk__in=goal_ids, measure=measure, status=GoalStatus.OPEN))
    if len(chosen_goals) != len(goal_ids):
        errors.setdefault("goals", []).append(_("Choisissez des objectifs en cours de l'accompagnement de ce ménage."))
    if errors:
        raise ValidationError(errors)

    contact = Contact(
        measure=measure,
        household_id=measure.household_id,
        organisation_id=measure.organisation_id,
        author_id=actor.membership_id,
        kind=kind,
        status=ContactStatus.DONE,
        occurred_on=occurred_on,
        duration_minutes=None if kind == ContactKind.NO_SHOW else duration_minutes,
        note=note,
    )
    if client_uuid is not None:
        contact.client_uuid = client_uuid
    if not access.can(actor, ADD, contact):
        raise PermissionDenied(_("Vous ne pouvez pas saisir de contact pour ce ménage."))
    set_fields = ["measure", "author", "kind", "status", "occurred_on"]
    if contact.duration_minutes is not None:
        set_fields.append("duration_minutes")
    if note:
        set_fields.append("note")
    access.check_writable(actor, contact, set_fields)  # the note: the measure's team only
    # The unique client_uuid is enforced by the database (below), not by a racy SELECT. The
    # links come from rows read above and the check constraints were validated field by field
    # (French messages): not queried again, which matters for a bulk of 1 000 rows.
    contact.full_clean(exclude=["client_uuid", "measure", "household", "organisation", "author"], validate_constraints=False)

    with transaction.atomic():
        try:
            with transaction.atomic():  # savepoint: a lost race leaves the outer transaction usable
                contact.save()
        except IntegrityError:
            existing = _existing_contact(contact.client_uuid)
            if existing is None:
                raise
            return _same_sender(actor, existing), False
        if chosen_goals:
            contact.goals.set(chosen_goals)
            set_fields.append("goals")
        audit.record_write(actor=actor, obj=contact, action="create", fields=set_fields, relations_unchanged=True)
    return contact, True


@dataclass
class Reassignment:
    changed: list[SupportMeasure] = field(default_factory=list)
    unchanged: list[SupportMeasure] = field(default_factory=list)


def referent_reassign(*, actor: Actor, measures: Iterable[SupportMeasure | int], new_referent: Membership) -> Reassignment:
    """Give ``measures`` a new référent, atomically.

    Only a team lead or an organisation admin, only for open measures of the
    acting organisation (any other id: ``Http404``, nothing written). On each
    measure whose référent changes: ``referent`` is set, the former
    référent's team row ends today, the new référent joins the team as
    référent (their existing team row, e.g. as replacement, becomes the
    référent row), with one audit row per written object.
    """
    if actor.role not in REASSIGNERS:
        raise PermissionDenied(_("Seuls les responsables d'équipe peuvent réaffecter des ménages."))
    if not caseworkers_of(actor).filter(pk=new_referent.pk).exists():
        raise ValidationError({"referent": _("Choisissez un travailleur social ou un responsable d'équipe actif de votre organisation.")})
    ids = sorted({getattr(measure, "pk", measure) for measure in measures})
    if not ids:
        raise ValidationError({"measures": _("Cochez au moins un ménage à réaffecter.")})
    today = timezone.localdate()
    result = Reassignment()
    with transaction.atomic():
        scoped = access.visible_to(actor, SupportMeasure).filter(organisation_id=actor.organisation_id)
        locked = list(
            SupportMeasure.objects.select_for_update(of=("self",))
            .filter(pk__in=scoped.filter(pk__in=ids).values("pk"))
            .order_by("pk")
        )
        if len(locked) != len(ids):
            raise Http404(_("Certains ménages sélectionnés ne sont pas suivis par votre organisation."))
        if any(measure.ended_on is not None for measure in locked):
            raise ValidationError({"measures": _("Un accompagnement terminé ne change plus de référent.")})
        for measure in locked:
            if measure.referent_id == new_referent.pk:
                result.unchanged.append(measure)
                continue
            old_referent_id = measure.referent_id
            SupportMeasure.objects.filter(pk=measure.pk).update(
                referent=new_referent, version=F("version") + 1, updated_at=timezone.now()
            )
            measure.referent = new_referent
            audit.record_write(actor=actor, obj=measure, action="update", fields=["referent"])
            if old_referent_id is not None:
                for row in TeamMember.objects.filter(
                    measure=measure, membership_id=old_referent_id, role=TeamRole.REFERENT, until__isnull=True
                ):
                    row.until = max(today, row.since)
                    row.version = F("version") + 1
                    row.save(update_fields=["until", "version", "updated_at"])
                    audit.record_write(actor=actor, obj=row, action="update", fields=["until"])
            current = TeamMember.objects.filter(measure=measure, membership=new_referent, until__isnull=True).first()
            if current is None:
                row = TeamMember(measure=measure, membership=new_referent, role=TeamRole.REFERENT, since=today)
                row.full_clean()
                row.save()
                audit.record_write(actor=actor, obj=row, action="create", fields=["measure", "membership", "role", "since"])
            elif current.role != TeamRole.REFERENT:
                current.role = TeamRole.REFERENT
                current.version = F("version") + 1
                current.save(update_fields=["role", "version", "updated_at"])
                audit.record_write(actor=actor, obj=current, action="update", fields=["role"])
            result.changed.append(measure)
    return result

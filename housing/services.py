"""Writes on housing units, the lease path, attribution steps and eviction-prevention files.

Every function takes the acting :class:`core.access.Actor` as ``actor``
(keyword-only), checks the action with ``core.access`` (``PermissionDenied``
→ 403), validates with ``full_clean()`` (French ``ValidationError`` keyed by
field), refuses the fields the actor may not write
(``access.FieldsNotWritable``) and writes its audit row in the same
transaction (``core.services.create_object`` / ``update_object`` call
``core.audit.record_write``): the row exists if and only if the write does.

The legal deadline of an eviction-prevention step is computed here, from
the ``DeadlineRule`` table (``housing.deadlines``), and stored on the step
with the rule applied, so that a later change of law does not rewrite the
deadlines already notified.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core import access
from core.access import Actor
from core.services import create_object, update_object
from households.models import Household
from partners.models import Organisation

from .deadlines import deadline_for
from .models import (
    ASSOCIATION_TENANT_KINDS,
    HOUSEHOLD_TENANT_KINDS,
    AttributionDecision,
    AttributionStep,
    AttributionStepKind,
    EvictionCase,
    EvictionCaseStatus,
    EvictionStep,
    EvictionStepKind,
    Glissement,
    HousingUnit,
    JudgmentResult,
    Lease,
    LeaseKind,
)

#: A date typed "tomorrow" is tolerated (time zones, a step recorded late at night).
FUTURE_TOLERANCE = timedelta(days=1)
#: Attribution steps that carry a decision of the commission.
DECISION_KINDS = (AttributionStepKind.CALEOL, AttributionStepKind.DECISION)
OVERLAP_CONSTRAINT = "lease_no_overlap_on_unit"
RPLS_CONSTRAINT = "unit_rpls_unique"
REFERENCE_CONSTRAINT = "unit_reference_unique_per_landlord"


def _require(actor: Actor, action: str, obj) -> None:
    if not actor.is_authenticated or not access.can(actor, action, obj):
        raise PermissionDenied


def _fmt(day: date) -> str:
    return f"{day:%d/%m/%Y}"


def _not_in_future(field: str, day: date, errors: dict[str, list[str]]) -> None:
    if day > timezone.localdate() + FUTURE_TOLERANCE:
        errors.setdefault(field, []).append(_("La date ne peut pas être dans le futur (au plus tard demain)."))


def _raise(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _violated(error: IntegrityError, constraint: str) -> bool:
    """Whether ``error`` comes from ``constraint`` (named by PostgreSQL's diagnostics; the
    overlap trigger's message does not carry the name, its diagnostics do)."""
    diag = getattr(error.__cause__, "diag", None)
    return constraint in str(error) or getattr(diag, "constraint_name", None) == constraint


def _overlap_error(error: IntegrityError) -> ValidationError | None:
    if _violated(error, OVERLAP_CONSTRAINT):
        return ValidationError(_("Un autre bail occupe déjà ce logement sur cette période."))
    return None


# --------------------------------------------------------------------------
# Eviction prevention
# --------------------------------------------------------------------------


def eviction_case_open(*, actor: Actor, lease: Lease, opened_on: date, arrears_amount: Decimal) -> EvictionCase:
    """Open the eviction-prevention file of a lease (one open file per lease)."""
    case = EvictionCase(
        lease=lease, lessor_id=lease.lessor_id, opened_on=opened_on, arrears_amount=arrears_amount,
        status=EvictionCaseStatus.OPEN,
    )
    _require(actor, access.ADD, case)
    errors: dict[str, list[str]] = {}
    _not_in_future("opened_on", opened_on, errors)
    if opened_on < lease.starts_on:
        errors.setdefault("opened_on", []).append(
            _("Le dossier ne peut pas être ouvert avant la prise d'effet du bail (%(date)s).") % {"date": _fmt(lease.starts_on)}
        )
    if arrears_amount is not None and arrears_amount < 0:
        errors.setdefault("arrears_amount", []).append(_("Le montant ne peut pas être négatif."))
    _raise(errors)
    with transaction.atomic():
        # Locks the lease: two advisers opening a file at once get one file and one clear error.
        Lease.objects.select_for_update().get(pk=lease.pk)
        if EvictionCase.objects.filter(lease=lease, closed_on__isnull=True).exists():
            raise ValidationError(_("Un dossier de prévention est déjà ouvert sur ce bail."))
        return create_object(actor=actor, obj=case)


def eviction_step_record(
    *,
    actor: Actor,
    case: EvictionCase,
    kind: str,
    occurred_on: date,
    amount: Decimal | None = None,
    judgment_result: str = "",
    notes: str = "",
) -> EvictionStep:
    """Add a dated step to an open file; its legal deadline is computed and stored."""
    step = EvictionStep(
        case=case, lessor_id=case.lessor_id, kind=kind, occurred_on=occurred_on, amount=amount,
        judgment_result=judgment_result or "", notes=notes or "",
    )
    _require(actor, access.ADD, step)
    errors: dict[str, list[str]] = {}
    if case.status != EvictionCaseStatus.OPEN:
        raise ValidationError(_("Ce dossier est clos : ouvrez un nouveau dossier pour enregistrer une étape."))
    if kind not in EvictionStepKind.values:
        errors.setdefault("kind", []).append(_("Choisissez une étape de la liste."))
    _not_in_future("occurred_on", occurred_on, errors)
    if occurred_on < case.opened_on:
        errors.setdefault("occurred_on", []).append(
            _("La date est antérieure à l'ouverture du dossier (%(date)s).") % {"date": _fmt(case.opened_on)}
        )
    if kind == EvictionStepKind.JUDGMENT and not judgment_result:
        errors.setdefault("judgment_result", []).append(_("Indiquez le sens du jugement."))
    if kind != EvictionStepKind.JUDGMENT and judgment_result:
        errors.setdefault("judgment_result", []).append(_("Le sens du jugement ne s'indique que pour un jugement."))
    if judgment_result and judgment_result not in JudgmentResult.values:
        errors.setdefault("judgment_result", []).append(_("Choisissez un sens de jugement de la liste."))
    if amount is not None and amount < 0:
        errors.setdefault("amount", []).append(_("Le montant ne peut pas être négatif."))
    _raise(errors)
    deadline = deadline_for(kind, occurred_on, case.lease.signed_on)
    if deadline is not None:
        step.deadline_on = deadline.due_on
        step.deadline_rule = deadline.rule
    with transaction.atomic():
        # A file closed meanwhile takes no more steps.
        current = EvictionCase.objects.select_for_update().get(pk=case.pk)
        if current.status != EvictionCaseStatus.OPEN:
            raise ValidationError(_("Ce dossier est clos : ouvrez un nouveau dossier pour enregistrer une étape."))
        created = create_object(actor=actor, obj=step)
        # A new step changes the file: someone closing it from an older page
        # must be told (optimistic locking on the case's version).
        EvictionCase.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=timezone.now())
        return created


def eviction_case_close(
    *,
    actor: Actor,
    case: EvictionCase,
    status: str,
    closed_on: date,
    arrears_amount: Decimal | None = None,
    version: int | None = None,
) -> EvictionCase:
    """Close a file with its outcome (dette soldée, expulsion évitée…)."""
    _require(actor, access.CHANGE, case)
    errors: dict[str, list[str]] = {}
    if case.status != EvictionCaseStatus.OPEN:
        raise ValidationError(_("Ce dossier est déjà clos."))
    if status == EvictionCaseStatus.OPEN or status not in EvictionCaseStatus.values:
        errors.setdefault("status", []).append(_("Choisissez l'issue du dossier."))
    _not_in_future("closed_on", closed_on, errors)
    if closed_on < case.opened_on:
        errors.setdefault("closed_on", []).append(
            _("La date de clôture est antérieure à l'ouverture du dossier (%(date)s).") % {"date": _fmt(case.opened_on)}
        )
    if arrears_amount is not None and arrears_amount < 0:
        errors.setdefault("arrears_amount", []).append(_("Le montant ne peut pas être négatif."))
    _raise(errors)
    changes: dict[str, Any] = {"status": status, "closed_on": closed_on}
    if arrears_amount is not None:
        changes["arrears_amount"] = arrears_amount
    return update_object(actor=actor, obj=case, changes=changes, version=version, action="update")


# --------------------------------------------------------------------------
# Attribution (access path)
# --------------------------------------------------------------------------


def attribution_step_record(
    *,
    actor: Actor,
    household: Household,
    kind: str,
    occurred_on: date,
    unit: HousingUnit | None = None,
    decision: str = "",
    notes: str = "",
) -> AttributionStep:
    """A step of the access path: demande, proposition, CALEOL, décision, signature, entrée."""
    step = AttributionStep(
        household=household, organisation_id=household.organisation_id, unit=unit, kind=kind,
        occurred_on=occurred_on, decision=decision or "", notes=notes or "",
    )
    _require(actor, access.ADD, step)
    errors: dict[str, list[str]] = {}
    if kind not in AttributionStepKind.values:
        errors.setdefault("kind", []).append(_("Choisissez une étape de la liste."))
    _not_in_future("occurred_on", occurred_on, errors)
    if decision and kind not in DECISION_KINDS:
        errors.setdefault("decision", []).append(_("Une décision ne s'indique que pour un passage en CALEOL ou une décision d'attribution."))
    if decision and decision not in AttributionDecision.values:
        errors.setdefault("decision", []).append(_("Choisissez une décision de la liste."))
    if kind in DECISION_KINDS and not decision:
        errors.setdefault("decision", []).append(_("Indiquez la décision de la commission."))
    if unit is not None and not access.visible_to(actor, HousingUnit).filter(pk=unit.pk).exists():
        errors.setdefault("unit", []).append(_("Logement introuvable."))
    _raise(errors)
    return create_object(actor=actor, obj=step)


# --------------------------------------------------------------------------
# Housing units
# --------------------------------------------------------------------------

#: Fields of a unit its landlord writes (``landlord`` is the acting organisation, never sent).
UNIT_FIELDS = (
    "project", "kind", "rpls_id", "landlord_reference", "address", "postcode", "commune_insee", "city", "typology",
    "surface", "floor", "financing", "rent", "charges",
)


def _unit_errors(actor: Actor, landlord_id: int, values: dict[str, Any], exclude_pk: int | None = None) -> dict[str, list[str]]:
    """Rules a person understands better than a constraint name: uniqueness, positive surface, visible project."""
    errors: dict[str, list[str]] = {}
    others = HousingUnit.objects.exclude(pk=exclude_pk) if exclude_pk else HousingUnit.objects.all()
    rpls_id = values.get("rpls_id") or ""
    if rpls_id and others.filter(rpls_id=rpls_id).exists():
        # The RPLS id is a national register number: one unit per id, whoever its landlord.
        errors.setdefault("rpls_id", []).append(_("Un logement porte déjà cet identifiant RPLS."))
    reference = values.get("landlord_reference") or ""
    if reference and others.filter(landlord_id=landlord_id, landlord_reference=reference).exists():
        errors.setdefault("landlord_reference", []).append(_("Un de vos logements porte déjà cette référence."))
    surface = values.get("surface")
    if surface is not None and surface <= 0:
        errors.setdefault("surface", []).append(_("La surface doit être supérieure à 0 m²."))
    for name in ("rent", "charges"):
        if values.get(name) is not None and values[name] < 0:
            errors.setdefault(name, []).append(_("Le montant ne peut pas être négatif."))
    project = values.get("project")
    if project is not None and not access.visible_to(actor, type(project)).filter(pk=project.pk).exists():
        errors.setdefault("project", []).append(_("Projet introuvable."))
    return errors


def _unit_integrity_error(error: IntegrityError) -> ValidationError | None:
    """A concurrent write won the race on a unique reference: the same French error as the check."""
    if _violated(error, RPLS_CONSTRAINT):
        return ValidationError({"rpls_id": _("Un logement porte déjà cet identifiant RPLS.")})
    if _violated(error, REFERENCE_CONSTRAINT):
        return ValidationError({"landlord_reference": _("Un de vos logements porte déjà cette référence.")})
    return None


def unit_create(*, actor: Actor, **values: Any) -> HousingUnit:
    """A unit of the acting landlord's stock (``values``: the names of ``UNIT_FIELDS``)."""
    unknown = set(values) - set(UNIT_FIELDS)
    if unknown:
        raise access.FieldsNotWritable(unknown)
    unit = HousingUnit(landlord_id=actor.organisation_id, **values)
    _require(actor, access.ADD, unit)  # housing.access.UnitPolicy: a landlord's writers, on its own stock
    _raise(_unit_errors(actor, actor.organisation_id, values))
    try:
        with transaction.atomic():
            return create_object(actor=actor, obj=unit)
    except IntegrityError as error:
        raise _unit_integrity_error(error) or error from error


def unit_update(*, actor: Actor, unit: HousingUnit, changes: dict[str, Any], version: int | None) -> HousingUnit:
    """Change a unit (optimistic locking through ``core.services.update_object``)."""
    _require(actor, access.CHANGE, unit)
    unknown = set(changes) - set(UNIT_FIELDS)
    if unknown:
        raise access.FieldsNotWritable(unknown)
    _raise(_unit_errors(actor, unit.landlord_id, changes, exclude_pk=unit.pk))
    try:
        with transaction.atomic():
            return update_object(actor=actor, obj=unit, changes=changes, version=version)
    except IntegrityError as error:
        raise _unit_integrity_error(error) or error from error


# --------------------------------------------------------------------------
# Leases and the glissement
# --------------------------------------------------------------------------


def lease_period_errors(*, unit_id: int, starts_on: date, ends_on: date | None, exclude_pk: int | None = None) -> dict[str, list[str]]:
    """The period of a lease: ends after it starts, and no other lease on the unit meanwhile.

    The no-overlap trigger (migration 0002) stays the guard against races;
    this check names the field for the person or the program that sent it.
    """
    errors: dict[str, list[str]] = {}
    if ends_on is not None and ends_on < starts_on:
        errors.setdefault("ends_on", []).append(
            _("La fin du bail précède sa prise d'effet (%(date)s).") % {"date": _fmt(starts_on)}
        )
        return errors
    others = Lease.objects.filter(unit_id=unit_id).filter(Q(ends_on__isnull=True) | Q(ends_on__gte=starts_on))
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if ends_on is not None:
        others = others.filter(starts_on__lte=ends_on)
    if others.exists():
        errors.setdefault("ends_on" if exclude_pk is not None else "starts_on", []).append(
            _("Un autre bail occupe déjà ce logement sur cette période.")
        )
    return errors


def lease_create(
    *,
    actor: Actor,
    unit: HousingUnit,
    kind: str,
    occupant: Household,
    signed_on: date,
    starts_on: date,
    monthly_rent: Decimal,
    monthly_charges: Decimal = Decimal("0"),
    ends_on: date | None = None,
    tenant_household: Household | None = None,
    tenant_organisation: Organisation | None = None,
    parent_lease: Lease | None = None,
    planned_glissement_on: date | None = None,
    tenant_reference: str = "",
) -> Lease:
    """A new lease of the acting landlord on one of its units.

    In a bail direct (and the other kinds the household holds) the tenant
    is the occupant unless another household is named; in an intermediated
    lease (sous-location, bail glissant, bail associatif, intermédiation
    locative) the association holds the lease and owes the rent.
    """
    if kind in HOUSEHOLD_TENANT_KINDS and tenant_household is None and tenant_organisation is None:
        tenant_household = occupant
    lease = Lease(
        unit=unit, lessor_id=unit.landlord_id, kind=kind, occupant=occupant, tenant_household=tenant_household,
        tenant_organisation=tenant_organisation, parent_lease=parent_lease, signed_on=signed_on, starts_on=starts_on,
        ends_on=ends_on, monthly_rent=monthly_rent, monthly_charges=monthly_charges,
        planned_glissement_on=planned_glissement_on, tenant_reference=tenant_reference or "",
    )
    _require(actor, access.ADD, lease)
    errors: dict[str, list[str]] = {}
    if kind not in LeaseKind.values:
        errors.setdefault("kind", []).append(_("Choisissez un type de bail de la liste."))
    if not access.visible_to(actor, Household).filter(pk=occupant.pk).exists():
        errors.setdefault("occupant", []).append(_("Ménage introuvable."))
    if kind in ASSOCIATION_TENANT_KINDS:
        if tenant_organisation is None:
            errors.setdefault("tenant_organisation", []).append(
                _("Dans ce type de bail, l'association est locataire : indiquez-la.")
            )
        if tenant_household is not None:
            errors.setdefault("tenant_household", []).append(
                _("Dans ce type de bail, le ménage n'est pas locataire en titre.")
            )
    elif kind in HOUSEHOLD_TENANT_KINDS and tenant_organisation is not None:
        errors.setdefault("tenant_organisation", []).append(
            _("Dans ce type de bail, le ménage est locataire : n'indiquez pas d'association.")
        )
    if tenant_household is not None and tenant_household.pk != occupant.pk and not access.visible_to(
        actor, Household
    ).filter(pk=tenant_household.pk).exists():
        errors.setdefault("tenant_household", []).append(_("Ménage introuvable."))
    if planned_glissement_on is not None and kind != LeaseKind.SLIDING:
        errors.setdefault("planned_glissement_on", []).append(_("Seul un bail glissant a une date de glissement prévue."))
    if planned_glissement_on is not None and planned_glissement_on <= starts_on:
        errors.setdefault("planned_glissement_on", []).append(_("Le glissement est prévu après la prise d'effet du bail."))
    if parent_lease is not None and parent_lease.lessor_id != actor.organisation_id:
        errors.setdefault("parent_lease", []).append(_("Le bail précédent doit être l'un de vos baux."))
    _not_in_future("signed_on", signed_on, errors)
    for name, amount in (("monthly_rent", monthly_rent), ("monthly_charges", monthly_charges)):
        if amount is not None and amount < 0:
            errors.setdefault(name, []).append(_("Le montant ne peut pas être négatif."))
    _raise(errors)
    _raise(lease_period_errors(unit_id=unit.pk, starts_on=starts_on, ends_on=ends_on))
    try:
        with transaction.atomic():
            return create_object(actor=actor, obj=lease)
    except IntegrityError as error:
        raise _overlap_error(error) or error from error


def lease_update(*, actor: Actor, lease: Lease, changes: dict[str, Any], version: int | None) -> Lease:
    """Change a lease (optimistic locking through ``core.services.update_object``)."""
    _require(actor, access.CHANGE, lease)
    if "planned_glissement_on" in changes and changes["planned_glissement_on"] and lease.kind != LeaseKind.SLIDING:
        raise ValidationError({"planned_glissement_on": _("Seul un bail glissant a une date de glissement prévue.")})
    try:
        return update_object(actor=actor, obj=lease, changes=changes, version=version)
    except IntegrityError as error:
        raise _overlap_error(error) or error from error


def glissement_record(
    *,
    actor: Actor,
    from_lease: Lease,
    caleol_decided_on: date,
    effective_on: date,
    signed_on: date | None = None,
    monthly_rent: Decimal | None = None,
    monthly_charges: Decimal | None = None,
    tenant_reference: str = "",
) -> Glissement:
    """The slide of a bail glissant, decided by the CALEOL.

    In one transaction: the association's lease ends the day before
    ``effective_on`` (first, so that the no-overlap trigger sees no overlap),
    the household's bail direct starts on ``effective_on`` with
    ``parent_lease`` pointing to the association's lease, the glissement
    links both, and the CALEOL decision joins the attribution steps.
    """
    _require(actor, access.CHANGE, from_lease)
    errors: dict[str, list[str]] = {}
    if from_lease.kind != LeaseKind.SLIDING:
        raise ValidationError(_("Seul un bail glissant peut glisser au nom du ménage."))
    if Glissement.objects.filter(from_lease=from_lease).exists():
        raise ValidationError(_("Le glissement de ce bail est déjà enregistré."))
    _not_in_future("caleol_decided_on", caleol_decided_on, errors)
    if caleol_decided_on < from_lease.starts_on:
        errors.setdefault("caleol_decided_on", []).append(
            _("La décision est antérieure à la prise d'effet du bail glissant (%(date)s).") % {"date": _fmt(from_lease.starts_on)}
        )
    if effective_on < caleol_decided_on:
        errors.setdefault("effective_on", []).append(_("Le glissement prend effet après la décision de la CALEOL."))
    if effective_on <= from_lease.starts_on:
        errors.setdefault("effective_on", []).append(
            _("Le glissement prend effet après le début du bail glissant (%(date)s).") % {"date": _fmt(from_lease.starts_on)}
        )
    if from_lease.ends_on is not None and from_lease.ends_on < effective_on - timedelta(days=1):
        errors.setdefault("effective_on", []).append(
            _("Le bail glissant a pris fin le %(date)s : le ménage n'occupe plus le logement.") % {"date": _fmt(from_lease.ends_on)}
        )
    signed_on = signed_on or caleol_decided_on
    if signed_on > effective_on:
        errors.setdefault("signed_on", []).append(_("Le bail direct est signé au plus tard le jour du glissement."))
    if signed_on < caleol_decided_on:
        errors.setdefault("signed_on", []).append(_("Le bail direct est signé après la décision de la CALEOL."))
    _raise(errors)
    household = from_lease.occupant
    try:
        with transaction.atomic():
            locked = Lease.objects.select_for_update().get(pk=from_lease.pk)
            if Glissement.objects.filter(from_lease=locked).exists():
                raise ValidationError(_("Le glissement de ce bail est déjà enregistré."))
            # End first: the trigger refuses two leases on the unit at once.
            ended = update_object(actor=actor, obj=locked, changes={"ends_on": effective_on - timedelta(days=1)}, version=None)
            direct = create_object(actor=actor, obj=Lease(
                unit_id=ended.unit_id, lessor_id=ended.lessor_id, kind=LeaseKind.DIRECT, tenant_household=household,
                occupant=household, parent_lease=ended, signed_on=signed_on, starts_on=effective_on,
                monthly_rent=ended.monthly_rent if monthly_rent is None else monthly_rent,
                monthly_charges=ended.monthly_charges if monthly_charges is None else monthly_charges,
                tenant_reference=tenant_reference or "",
            ))
            glissement = create_object(actor=actor, obj=Glissement(
                from_lease=ended, to_lease=direct, caleol_decided_on=caleol_decided_on, effective_on=effective_on,
            ))
            step = AttributionStep(
                household=household, organisation_id=household.organisation_id, unit_id=ended.unit_id,
                kind=AttributionStepKind.CALEOL, occurred_on=caleol_decided_on, decision=AttributionDecision.GRANTED,
                notes=_("Glissement du bail validé"),
            )
            if access.can(actor, access.ADD, step):
                create_object(actor=actor, obj=step)
    except IntegrityError as error:
        raise _overlap_error(error) or error from error
    return glissement


__all__ = [
    "attribution_step_record",
    "eviction_case_close",
    "eviction_case_open",
    "eviction_step_record",
    "glissement_record",
    "lease_create",
    "lease_period_errors",
    "lease_update",
    "unit_create",
    "unit_update",
]

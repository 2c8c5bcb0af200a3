"""Writes on a project's money (DESIGN.md §4: every write is a service).

The carriers' editors (``projects.access.PROJECT_EDITORS`` acting for a
carrier of the project) record what moved: a payment (a funder's instalment
to the lead landlord, or the lead landlord paying a partner on), an expense
on a budget line, the decision on a funding. National staff and funders
read, never write. Each function is atomic, validates with ``full_clean()``
and writes its audit row in the same transaction
(``core.services.create_object`` / ``update_object``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core import access
from core.access import ADD, CHANGE, Actor
from core.services import create_object, update_object
from partners.models import Organisation

from .models import BudgetLine, Expense, Funding, FundingDecision, Payment, PaymentKind, Project

#: Fields of a funding its carriers keep up to date (the decision and the convention).
FUNDING_FIELDS = frozenset({"amount_requested", "amount_awarded", "decision", "decided_on", "reference", "report_due_on"})


def _require(actor: Actor, action: str, obj) -> None:
    """403 unless the project policy lets ``actor`` do ``action`` on ``obj`` (already visible)."""
    if not actor.is_authenticated or not access.can(actor, action, obj):
        raise PermissionDenied(_("Votre rôle ne permet pas de modifier les données financières de ce projet."))


def payment_record(
    *,
    actor: Actor,
    project: Project,
    kind: str,
    payer: Organisation,
    payee: Organisation,
    amount: Decimal,
    paid_on: datetime.date,
    funding: Funding | None = None,
    reference: str = "",
) -> Payment:
    """Record money that moved on ``project`` (a funder's instalment or a transfer to a partner)."""
    payment = Payment(
        project=project, funding=funding, kind=kind, payer=payer, payee=payee, amount=amount, paid_on=paid_on,
        reference=(reference or "").strip(),
    )
    _require(actor, ADD, payment)
    errors: dict[str, list[str]] = {}
    if funding is not None and funding.project_id != project.pk:
        errors["funding"] = [_("Ce financement n'appartient pas à ce projet.")]
    if kind == PaymentKind.GRANT_INSTALMENT:
        if funding is None:
            errors["funding"] = [_("Un versement du financeur se rattache à un financement du projet.")]
        elif payer.pk != funding.funder_id:
            errors["payer"] = [_("Le payeur d'un versement est le financeur de ce financement.")]
    if kind == PaymentKind.PARTNER_TRANSFER and payer.pk != project.lead_landlord_id:
        errors["payer"] = [_("Le reversement à un partenaire est payé par le bailleur porteur du projet.")]
    if payer.pk == payee.pk:
        errors.setdefault("payee", []).append(_("Le bénéficiaire doit être différent du payeur."))
    _positive(errors, amount)
    if errors:
        raise ValidationError(errors)
    return create_object(actor=actor, obj=payment)


def expense_record(
    *,
    actor: Actor,
    budget_line: BudgetLine,
    spent_on: datetime.date,
    amount: Decimal,
    label: str,
    supplier: str = "",
) -> Expense:
    """Record money spent on a budget line of a project."""
    expense = Expense(
        budget_line=budget_line, project_id=budget_line.project_id, spent_on=spent_on, amount=amount,
        label=(label or "").strip(), supplier=(supplier or "").strip(),
    )
    expense.project = budget_line.project
    _require(actor, ADD, expense)
    errors: dict[str, list[str]] = {}
    _positive(errors, amount)
    if errors:
        raise ValidationError(errors)
    return create_object(actor=actor, obj=expense)


def funding_update(*, actor: Actor, funding: Funding, changes: dict[str, Any], version: int | None) -> Funding:
    """Record a funder's decision (amounts, date, convention reference, report due date)."""
    _require(actor, CHANGE, funding)
    unknown = sorted(set(changes) - FUNDING_FIELDS)
    if unknown:
        raise access.FieldsNotWritable(unknown)
    decision = changes.get("decision", funding.decision)
    awarded = changes.get("amount_awarded", funding.amount_awarded)
    if decision == FundingDecision.REFUSED and awarded:
        raise ValidationError({"amount_awarded": [_("Un financement refusé n'accorde aucun montant.")]})
    with transaction.atomic():
        return update_object(actor=actor, obj=funding, changes=changes, version=version)


def _positive(errors: dict, amount: Decimal | None) -> None:
    if amount is not None and amount <= 0:
        errors.setdefault("amount", []).append(_("Le montant doit être supérieur à zéro."))

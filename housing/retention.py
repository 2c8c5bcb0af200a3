"""Housing's share of retention: free text cleared at anonymisation, and its
sections of the right-of-access export (hooks of households.retention)."""

from __future__ import annotations

from django.db.models import Q

from households.models import Household

from .models import AttributionStep, EvictionStep, Lease


def clear_free_text(sender, household: Household, **kwargs) -> None:
    AttributionStep.objects.filter(household=household).update(notes="")
    EvictionStep.objects.filter(
        Q(case__lease__occupant=household) | Q(case__lease__tenant_household=household)
    ).update(notes="")
    Lease.objects.filter(Q(occupant=household) | Q(tenant_household=household)).update(tenant_reference="")


#: Housing's sections of the right-of-access export (households.retention).
SECTIONS = [
    ("baux", Lease, "occupant", [
        "kind", "lessor__name", "tenant_organisation__name", "signed_on", "starts_on", "ends_on",
        "monthly_rent", "monthly_charges", "planned_glissement_on", "unit__address", "unit__postcode", "unit__city",
    ]),
    ("attribution", AttributionStep, "household", ["kind", "occurred_on", "decision", "unit__address", "notes"]),
    ("prévention des expulsions", EvictionStep, "case__lease__occupant", [
        "kind", "occurred_on", "amount", "judgment_result", "deadline_on", "notes",
    ]),
]

"""Housing's share of retention: free text cleared at anonymisation, and its
sections of the right-of-access export (hooks of households.retention)."""

from __future__ import annotations

from households.models import Household

from .models import AttributionStep, EvictionStep, Lease


def clear_free_text(sender, household: Household, **kwargs) -> None:
    AttributionStep.objects.filter(household=household).update(notes="")
    EvictionStep.objects.filter(case__lease__occupant=household).update(notes="")
    Lease.objects.filter(occupant=household).update(tenant_reference="")


def leases_section(household: Household):
    rows = Lease.objects.filter(occupant=household).values(
        "kind", "lessor__name", "tenant_organisation__name", "signed_on", "starts_on", "ends_on",
        "monthly_rent", "monthly_charges", "planned_glissement_on", "unit__address", "unit__postcode", "unit__city",
    )
    return "baux", list(rows)


def attribution_section(household: Household):
    rows = AttributionStep.objects.filter(household=household).values("kind", "occurred_on", "decision", "notes")
    return "attribution", list(rows)


def eviction_section(household: Household):
    rows = EvictionStep.objects.filter(case__lease__occupant=household).values(
        "kind", "occurred_on", "amount", "judgment_result", "deadline_on", "notes"
    )
    return "prévention des expulsions", list(rows)

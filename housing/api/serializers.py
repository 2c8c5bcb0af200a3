"""Serializers of the tenancy side: leases, eviction cases and steps (read-only, explicit fields).

List serializers leave out what the access policy protects (``unprotected_only``):
the unit of a lease (its address, hidden for a domestic-violence household
from everyone but the team and the lease's landlord) and the notes of an
eviction step are read one object at a time on the detail endpoints.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import ScopedModelSerializer
from housing.models import EvictionCase, EvictionStep, EvictionStepKind, Lease

STAMPS = ["created_at", "updated_at", "version"]

LEASE_FIELDS = [
    "id", "unit", "lessor", "kind", "tenant_household", "tenant_organisation", "occupant", "parent_lease",
    "signed_on", "starts_on", "ends_on", "monthly_rent", "monthly_charges", "planned_glissement_on",
    "tenant_reference", *STAMPS,
]


#: The list and the detail of a resource are two schema components; an enum
#: used by both needs an ENUM_NAME_OVERRIDES entry (config/settings.py), so
#: the list states the value as a string and the detail carries the enum.
ENUM_IN_DETAIL = _("Valeur codée : voir l'énumération du même champ dans le détail.")


class LeaseSerializer(ScopedModelSerializer):
    unprotected_only = True
    kind = serializers.CharField(read_only=True, help_text=ENUM_IN_DETAIL)

    class Meta:
        model = Lease
        fields = LEASE_FIELDS
        read_only_fields = LEASE_FIELDS


class LeaseDetailSerializer(ScopedModelSerializer):
    """The unit and its address go together: both absent for whoever may not read the address."""

    hidden_with = {"unit_address": "unit", "unit_postcode": "unit", "unit_city": "unit"}
    unit_address = serializers.CharField(source="unit.address", read_only=True, help_text=_("Adresse du logement."))
    unit_postcode = serializers.CharField(source="unit.postcode", read_only=True)
    unit_city = serializers.CharField(source="unit.city", read_only=True)

    class Meta:
        model = Lease
        fields = [*LEASE_FIELDS, "unit_address", "unit_postcode", "unit_city"]
        read_only_fields = fields


EVICTION_CASE_FIELDS = ["id", "lease", "household", "lessor", "opened_on", "closed_on", "status", "arrears_amount", *STAMPS]


class EvictionCaseSerializer(ScopedModelSerializer):
    household = serializers.IntegerField(source="lease.occupant_id", read_only=True, help_text=_("Le ménage occupant du bail."))

    class Meta:
        model = EvictionCase
        fields = EVICTION_CASE_FIELDS
        read_only_fields = EVICTION_CASE_FIELDS


EVICTION_STEP_FIELDS = [
    "id", "case", "lease", "lessor", "kind", "occurred_on", "amount", "judgment_result",
    "deadline_on", "deadline_label", "deadline_legal_reference", *STAMPS,
]


class EvictionStepSerializer(ScopedModelSerializer):
    """A step with its legal deadline and the rule it comes from (label, legal text)."""

    unprotected_only = True
    kind = serializers.CharField(read_only=True, help_text=ENUM_IN_DETAIL)
    lease = serializers.IntegerField(source="case.lease_id", read_only=True)
    deadline_label = serializers.CharField(
        source="deadline_rule.label", read_only=True, allow_null=True,
        help_text=_("Libellé de l'échéance légale (règle appliquée)."),
    )
    deadline_legal_reference = serializers.CharField(
        source="deadline_rule.legal_reference", read_only=True, allow_null=True,
        help_text=_("Texte de loi de la règle appliquée."),
    )

    class Meta:
        model = EvictionStep
        fields = EVICTION_STEP_FIELDS
        read_only_fields = EVICTION_STEP_FIELDS


class EvictionStepDetailSerializer(EvictionStepSerializer):
    unprotected_only = False
    kind = serializers.ChoiceField(choices=EvictionStepKind.choices, read_only=True)

    class Meta(EvictionStepSerializer.Meta):
        fields = [*EVICTION_STEP_FIELDS, "notes"]
        read_only_fields = fields

"""Serializers of the tenancy side: units, leases, attribution steps, eviction cases and steps.

Explicit fields, never "__all__". List serializers leave out what the access
policy protects (``unprotected_only``): the address fields of a unit and the
unit of a lease (hidden for a domestic-violence household from everyone but
the team and the lease's landlord), the notes of a step are read one object
at a time on the detail endpoints.

The detail serializers are also the input of creations and updates: they
name the writable fields; the services of ``housing.services`` decide the
rest (who may, which rules, in French). A foreign key is chosen among the
rows the actor may see (``VisibleRelatedField``): another organisation's id
reads as one that does not exist.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import ActionInputSerializer, ScopedModelSerializer, VisibleRelatedField
from households.models import Household
from housing.models import (
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
    UnitKind,
)
from partners.models import Organisation
from projects.models import Project

STAMPS = ["created_at", "updated_at", "version"]

MONEY = {"max_digits": 12, "decimal_places": 2, "min_value": 0}


# --------------------------------------------------------------------------
# Housing units
# --------------------------------------------------------------------------

UNIT_FIELDS = [
    "id", "landlord", "project", "kind", "rpls_id", "landlord_reference", "address", "postcode", "commune_insee",
    "city", "typology", "surface", "floor", "financing", "rent", "charges", *STAMPS,
]


class HousingUnitSerializer(ScopedModelSerializer):
    """A unit in a list: never its address, postcode, INSEE code, RPLS id or floor (read them on the detail)."""

    unprotected_only = True

    class Meta:
        model = HousingUnit
        fields = UNIT_FIELDS
        read_only_fields = UNIT_FIELDS


class HousingUnitDetailSerializer(ScopedModelSerializer):
    """One unit; the address fields only for whoever may read them (and the input of its landlord's writes)."""

    kind = serializers.ChoiceField(choices=UnitKind.choices, required=False)
    project = VisibleRelatedField(Project, required=False, allow_null=True)

    class Meta:
        model = HousingUnit
        fields = UNIT_FIELDS
        read_only_fields = ["id", "landlord", *STAMPS]
        # Uniqueness (RPLS id, reference per landlord) is the service's, with its French messages.
        validators: list = []
        extra_kwargs = {"rpls_id": {"validators": HousingUnit._meta.get_field("rpls_id").validators}}


# --------------------------------------------------------------------------
# Leases
# --------------------------------------------------------------------------

LEASE_FIELDS = [
    "id", "unit", "lessor", "kind", "tenant_household", "tenant_organisation", "occupant", "parent_lease",
    "signed_on", "starts_on", "ends_on", "monthly_rent", "monthly_charges", "planned_glissement_on",
    "tenant_reference", *STAMPS,
]
#: What changes on a lease in its life (``housing.forms.LeaseForm``); the rest is fixed at its creation.
LEASE_UPDATABLE = ["ends_on", "monthly_rent", "monthly_charges", "planned_glissement_on", "tenant_reference"]


class LeaseSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = Lease
        fields = LEASE_FIELDS
        read_only_fields = LEASE_FIELDS


class LeaseDetailSerializer(ScopedModelSerializer):
    """The unit and its address go together: both absent for whoever may not read the address.

    Input of the lessor's writes: at creation every field; afterwards only
    the end, the rent and charges, the planned glissement and the tenant
    number change (the others may be sent back unchanged).
    """

    hidden_with = {"unit_address": "unit", "unit_postcode": "unit", "unit_city": "unit"}
    unit = VisibleRelatedField(HousingUnit, help_text=_("Un logement de votre parc."))
    kind = serializers.ChoiceField(choices=LeaseKind.choices)
    occupant = VisibleRelatedField(Household, help_text=_("Le ménage qui occupe le logement."))
    tenant_household = VisibleRelatedField(
        Household, required=False, allow_null=True,
        help_text=_("Le ménage locataire en titre ; par défaut l'occupant dans un bail direct."),
    )
    tenant_organisation = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True,
        help_text=_("L'association locataire (sous-location, bail glissant, bail associatif, intermédiation locative)."),
    )
    parent_lease = VisibleRelatedField(Lease, required=False, allow_null=True)
    monthly_rent = serializers.DecimalField(**MONEY)
    monthly_charges = serializers.DecimalField(**MONEY, required=False)
    unit_address = serializers.CharField(source="unit.address", read_only=True, help_text=_("Adresse du logement."))
    unit_postcode = serializers.CharField(source="unit.postcode", read_only=True)
    unit_city = serializers.CharField(source="unit.city", read_only=True)

    class Meta:
        model = Lease
        fields = [*LEASE_FIELDS, "unit_address", "unit_postcode", "unit_city"]
        read_only_fields = ["id", "lessor", *STAMPS]


class GlissementInputSerializer(ActionInputSerializer):
    label_models = (Glissement, Lease)
    caleol_decided_on = serializers.DateField(help_text=_("Date de la décision de la CALEOL."))
    effective_on = serializers.DateField(help_text=_("Premier jour du bail direct du ménage."))
    signed_on = serializers.DateField(required=False, allow_null=True, help_text=_("Signature du bail direct ; par défaut la date de la décision."))
    monthly_rent = serializers.DecimalField(**MONEY, required=False, allow_null=True, help_text=_("Par défaut, celui du bail glissant."))
    monthly_charges = serializers.DecimalField(**MONEY, required=False, allow_null=True, help_text=_("Par défaut, celles du bail glissant."))
    tenant_reference = serializers.CharField(required=False, allow_blank=True, max_length=60)


class GlissementSerializer(ScopedModelSerializer):
    class Meta:
        model = Glissement
        fields = ["id", "from_lease", "to_lease", "caleol_decided_on", "effective_on", *STAMPS]
        read_only_fields = fields


# --------------------------------------------------------------------------
# Attribution steps
# --------------------------------------------------------------------------

ATTRIBUTION_FIELDS = ["id", "household", "organisation", "unit", "kind", "occurred_on", "decision", "notes", *STAMPS]


class AttributionStepSerializer(ScopedModelSerializer):
    """A step in a list: without the proposed unit and the notes (read them on the detail)."""

    unprotected_only = True

    class Meta:
        model = AttributionStep
        fields = ATTRIBUTION_FIELDS
        read_only_fields = ATTRIBUTION_FIELDS


class AttributionStepDetailSerializer(ScopedModelSerializer):
    household = VisibleRelatedField(Household)
    unit = VisibleRelatedField(
        HousingUnit, required=False, allow_null=True,
        help_text=_("Logement proposé : le bailleur nomme l'un de ses logements."),
    )
    kind = serializers.ChoiceField(choices=AttributionStepKind.choices)
    decision = serializers.ChoiceField(
        choices=AttributionDecision.choices, required=False, allow_blank=True,
        help_text=_("Pour un passage en CALEOL ou une décision d'attribution."),
    )

    class Meta:
        model = AttributionStep
        fields = ATTRIBUTION_FIELDS
        read_only_fields = ["id", "organisation", *STAMPS]
        extra_kwargs = {"notes": {"required": False}}


# --------------------------------------------------------------------------
# Eviction prevention
# --------------------------------------------------------------------------

EVICTION_CASE_FIELDS = ["id", "lease", "household", "lessor", "opened_on", "closed_on", "status", "arrears_amount", *STAMPS]


class EvictionCaseSerializer(ScopedModelSerializer):
    """A file; input of its opening (lease, opened_on, arrears_amount)."""

    lease = VisibleRelatedField(Lease, help_text=_("Un bail dont votre organisation est le bailleur."))
    household = serializers.IntegerField(source="lease.occupant_id", read_only=True, help_text=_("Le ménage occupant du bail."))
    arrears_amount = serializers.DecimalField(**MONEY)

    class Meta:
        model = EvictionCase
        fields = EVICTION_CASE_FIELDS
        read_only_fields = ["id", "lessor", "closed_on", "status", *STAMPS]


#: Outcomes of a file (every status but "open").
CLOSING_STATUSES = [(value, label) for value, label in EvictionCaseStatus.choices if value != EvictionCaseStatus.OPEN]


class EvictionCaseCloseSerializer(ActionInputSerializer):
    label_models = (EvictionCase,)
    status = serializers.ChoiceField(choices=CLOSING_STATUSES, help_text=_("Issue du dossier."))
    closed_on = serializers.DateField()
    arrears_amount = serializers.DecimalField(
        **MONEY, required=False, allow_null=True, help_text=_("Dette restante ; absent : le montant actuel est gardé."),
    )


EVICTION_STEP_FIELDS = [
    "id", "case", "lease", "lessor", "kind", "occurred_on", "amount", "judgment_result",
    "deadline_on", "deadline_label", "deadline_legal_reference", *STAMPS,
]


class EvictionStepSerializer(ScopedModelSerializer):
    """A step with its legal deadline and the rule it comes from (label, legal text)."""

    unprotected_only = True
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
    """One step; input of its recording (the deadline is computed, never sent)."""

    unprotected_only = False
    case = VisibleRelatedField(EvictionCase, help_text=_("Un dossier ouvert de votre organisation."))
    kind = serializers.ChoiceField(choices=EvictionStepKind.choices)
    amount = serializers.DecimalField(**MONEY, required=False, allow_null=True)
    judgment_result = serializers.ChoiceField(
        choices=JudgmentResult.choices, required=False, allow_blank=True, help_text=_("Uniquement pour un jugement."),
    )

    class Meta(EvictionStepSerializer.Meta):
        fields = [*EVICTION_STEP_FIELDS, "notes"]
        read_only_fields = [
            "id", "lease", "lessor", "deadline_on", "deadline_label", "deadline_legal_reference", *STAMPS,
        ]
        extra_kwargs = {"notes": {"required": False}}

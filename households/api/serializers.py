"""Serializers of the household resources: explicit fields, never "__all__".

List serializers carry no field the access policy protects (social notes;
whatever ``core.access`` declares, ``unprotected_only``): a page of a list
costs the same number of queries whatever its size, and notes are read one
file at a time on the detail endpoints, where the field policy decides per
object (``core.api.serializers``).
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from core.api.serializers import ActionInputSerializer, ScopedModelSerializer, VisibleRelatedField
from households.models import (
    Consent,
    ConsentPurpose,
    Contact,
    ContactKind,
    GoalDomain,
    GoalReview,
    GoalStatus,
    Household,
    Intensity,
    MeasureKind,
    Outcome,
    Person,
    Phase,
    PriorSituation,
    Referral,
    ReferralDecision,
    ReferralSource,
    ReviewMilestone,
    SituationSnapshot,
    SupportGoal,
    SupportMeasure,
    Workshop,
    WorkshopAttendance,
)
from partners.models import Membership, Organisation
from projects.models import Action, CommitteeMeeting, Project

STAMPS = ["created_at", "updated_at", "version"]

HOUSEHOLD_FIELDS = [
    "id", "reference", "display_name", "organisation", "project", "nur", "prior_situation",
    "monthly_resources", "resources_kind", *STAMPS,
]
HOUSEHOLD_NOTES = ["situation_notes", "health_notes", "justice_notes", "violence_notes"]


class HouseholdSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = Household
        fields = HOUSEHOLD_FIELDS
        read_only_fields = HOUSEHOLD_FIELDS


class HouseholdDetailSerializer(ScopedModelSerializer):
    """One household file; the notes and the domestic-violence flag only for those who may read them."""

    hidden_with = {"domestic_violence": "violence_notes"}

    class Meta:
        model = Household
        fields = [*HOUSEHOLD_FIELDS, "domestic_violence", *HOUSEHOLD_NOTES, "archived_at"]
        read_only_fields = ["id", "reference", "organisation", "project", "archived_at", *STAMPS]
        extra_kwargs = {name: {"required": False} for name in ["display_name", *HOUSEHOLD_NOTES]}


PERSON_FIELDS = ["id", "household", "role", "first_name", "last_name", "birth_date", "employment", *STAMPS]


class PersonSerializer(ScopedModelSerializer):
    class Meta:
        model = Person
        fields = PERSON_FIELDS
        read_only_fields = ["id", *STAMPS]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "household" in self.fields and not self.fields["household"].read_only:
            # An invisible household reads as a missing one (no hint that it exists).
            from core import access

            self.fields["household"].queryset = access.visible_to(self.actor, Household)


class PersonListSerializer(PersonSerializer):
    unprotected_only = True


MEASURE_FIELDS = [
    "id", "household", "project", "action", "organisation", "kind", "phase", "intensity", "referent",
    "identified_on", "diagnostic_on", "contract_signed_on", "ended_on", "outcome", "watch_until",
    "external_reference", *STAMPS,
]


class SupportMeasureSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = SupportMeasure
        fields = MEASURE_FIELDS
        read_only_fields = MEASURE_FIELDS


class SupportMeasureDetailSerializer(ScopedModelSerializer):
    class Meta:
        model = SupportMeasure
        fields = [*MEASURE_FIELDS, "diagnostic_notes", "outcome_notes"]
        read_only_fields = fields


CONTACT_FIELDS = [
    "id", "client_uuid", "household", "measure", "organisation", "author", "kind", "status", "occurred_on",
    "duration_minutes", "goals", *STAMPS,
]


class ContactSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = Contact
        fields = CONTACT_FIELDS
        read_only_fields = CONTACT_FIELDS


class ContactDetailSerializer(ScopedModelSerializer):
    class Meta:
        model = Contact
        fields = [*CONTACT_FIELDS, "note"]
        read_only_fields = fields


class ContactInputSerializer(serializers.Serializer):
    """One visit-log entry sent by a client (``contact_log`` validates the rest, in French)."""

    client_uuid = serializers.UUIDField(
        required=False, help_text=_("Identifiant généré par le client : renvoyer la même saisie ne crée rien de plus.")
    )
    household = serializers.IntegerField(required=False, min_value=1, help_text=_("Le ménage (sa mesure suivie par votre organisation est choisie)."))
    measure = serializers.IntegerField(required=False, min_value=1, help_text=_("Ou la mesure d'accompagnement."))
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    occurred_on = serializers.DateField()
    duration_minutes = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=24 * 60)
    note = serializers.CharField(required=False, allow_blank=True, max_length=10_000, trim_whitespace=True)
    goals = serializers.ListField(child=serializers.IntegerField(min_value=1), required=False, max_length=50)

    def to_internal_value(self, data):
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError({name: [_("Ce champ n'existe pas dans cette ressource.")] for name in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs):
        if not attrs.get("household") and not attrs.get("measure"):
            raise serializers.ValidationError({"household": [_("Indiquez le ménage ou la mesure.")]})
        return attrs


class BulkContactsSerializer(serializers.Serializer):
    contacts = serializers.ListField(child=serializers.DictField(), min_length=1, max_length=1000)


class ContactResultSerializer(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.IntegerField()
    client_uuid = serializers.UUIDField()
    created = serializers.BooleanField()


class BulkContactsResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    contacts = ContactResultSerializer(many=True)


class RemovalSerializer(serializers.Serializer):
    model = serializers.CharField(help_text=_("ex. households.Household"))
    id = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=["deleted", "anonymised", "archived", "consent_withdrawn"])
    at = serializers.DateTimeField()


class RemovalsSerializer(serializers.Serializer):
    since = serializers.DateTimeField()
    until = serializers.DateTimeField()
    truncated = serializers.BooleanField()
    results = RemovalSerializer(many=True)


REFERRAL_FIELDS = [
    "id", "household", "organisation", "project", "source", "referring_organisation", "referred_on",
    "prior_situation", "decision", "decided_on", *STAMPS,
]


class ReferralSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = Referral
        fields = REFERRAL_FIELDS
        read_only_fields = REFERRAL_FIELDS


class ReferralDetailSerializer(ScopedModelSerializer):
    """The refusal reason only for the supporting organisation (``households.access``)."""

    class Meta:
        model = Referral
        fields = [*REFERRAL_FIELDS, "refusal_reason"]
        read_only_fields = fields


CONSENT_FIELDS = [
    "id", "household", "organisation", "partner", "purpose", "given_on", "withdrawn_on", "recorded_by", *STAMPS,
]


class ConsentSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = Consent
        fields = CONSENT_FIELDS
        read_only_fields = CONSENT_FIELDS


REVIEW_FIELDS = ["id", "milestone", "due_on", "reviewed_on", "progress", *STAMPS]


class GoalReviewSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = GoalReview
        fields = REVIEW_FIELDS
        read_only_fields = REVIEW_FIELDS


class GoalReviewDetailSerializer(ScopedModelSerializer):
    """A review in the detail of its goal: the note for the team only."""

    class Meta:
        model = GoalReview
        fields = [*REVIEW_FIELDS, "notes"]
        read_only_fields = fields


GOAL_FIELDS = ["id", "measure", "organisation", "domain", "title", "set_on", "status", "closed_on", *STAMPS]


class SupportGoalSerializer(ScopedModelSerializer):
    unprotected_only = True
    reviews = GoalReviewSerializer(many=True, read_only=True)

    class Meta:
        model = SupportGoal
        fields = [*GOAL_FIELDS, "reviews"]
        read_only_fields = fields


class SupportGoalDetailSerializer(ScopedModelSerializer):
    reviews = GoalReviewDetailSerializer(many=True, read_only=True)

    class Meta:
        model = SupportGoal
        fields = [*GOAL_FIELDS, "notes", "reviews"]
        read_only_fields = fields


# --------------------------------------------------------------------------
# Inputs of the writes (validated again, in French, by households.services)
# --------------------------------------------------------------------------


class HouseholdCreateSerializer(ActionInputSerializer):
    """A new household file and its support measure (phase repérage) in your organisation."""

    version = None
    label_models = (Household, SupportMeasure)
    reference = serializers.CharField(max_length=40, help_text=_("Votre numéro de dossier (unique dans votre organisation)."))
    display_name = serializers.CharField(max_length=160)
    project = VisibleRelatedField(Project)
    action = VisibleRelatedField(Action, required=False, allow_null=True)
    identified_on = serializers.DateField()
    kind = serializers.ChoiceField(choices=MeasureKind.choices, required=False)
    referent = VisibleRelatedField(Membership, required=False, allow_null=True)
    external_reference = serializers.CharField(max_length=60, required=False, allow_blank=True)
    nur = serializers.CharField(max_length=20, required=False, allow_blank=True)
    prior_situation = serializers.ChoiceField(choices=PriorSituation.choices, required=False, allow_blank=True)
    monthly_resources = serializers.DecimalField(max_digits=10, decimal_places=2, required=False, allow_null=True, min_value=0)
    resources_kind = serializers.CharField(max_length=255, required=False, allow_blank=True)


class HouseholdUpsertSerializer(HouseholdDetailSerializer):
    """Upsert by file number: the household card; at creation also its first measure."""

    project = VisibleRelatedField(Project, required=False, help_text=_("Obligatoire à la création."))
    identified_on = serializers.DateField(required=False, write_only=True, help_text=_("Date de repérage, obligatoire à la création."))
    kind = serializers.ChoiceField(choices=MeasureKind.choices, required=False, write_only=True)

    class Meta(HouseholdDetailSerializer.Meta):
        fields = [*HouseholdDetailSerializer.Meta.fields, "identified_on", "kind"]
        read_only_fields = ["id", "reference", "organisation", "archived_at", "created_at", "updated_at", "version"]


class ReferralCreateSerializer(ActionInputSerializer):
    version = None
    label_models = (Referral,)
    household = VisibleRelatedField(Household)
    source = serializers.ChoiceField(choices=ReferralSource.choices)
    referred_on = serializers.DateField()
    project = VisibleRelatedField(Project, required=False, allow_null=True)
    referring_organisation = VisibleRelatedField(Organisation, required=False, allow_null=True)
    prior_situation = serializers.ChoiceField(choices=PriorSituation.choices, required=False, allow_blank=True)


class ReferralDecisionSerializer(ActionInputSerializer):
    label_models = (Referral,)
    decision = serializers.ChoiceField(choices=[ReferralDecision.ACCEPTED, ReferralDecision.REFUSED])
    decided_on = serializers.DateField()
    refusal_reason = serializers.CharField(required=False, allow_blank=True, max_length=10_000)


class ConsentCreateSerializer(ActionInputSerializer):
    version = None
    label_models = (Consent,)
    household = VisibleRelatedField(Household)
    partner = VisibleRelatedField(Organisation)
    purpose = serializers.ChoiceField(choices=ConsentPurpose.choices)
    given_on = serializers.DateField()


class ConsentWithdrawSerializer(ActionInputSerializer):
    label_models = (Consent,)
    withdrawn_on = serializers.DateField()


class PhaseChangeSerializer(ActionInputSerializer):
    """The next phase and what it needs (see the phase stepper of the web file)."""

    label_models = (SupportMeasure,)
    phase = serializers.ChoiceField(choices=Phase.choices)
    on = serializers.DateField(required=False, allow_null=True, help_text=_("Date du diagnostic, de la signature ou de la fin."))
    intensity = serializers.ChoiceField(choices=Intensity.choices, required=False, allow_blank=True)
    outcome = serializers.ChoiceField(choices=Outcome.choices, required=False, allow_blank=True)
    end_meeting = VisibleRelatedField(CommitteeMeeting, required=False, allow_null=True)
    watch_until = serializers.DateField(required=False, allow_null=True)
    diagnostic_notes = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    outcome_notes = serializers.CharField(required=False, allow_blank=True, max_length=20_000)


class GoalCreateSerializer(ActionInputSerializer):
    version = None
    label_models = (SupportGoal,)
    measure = VisibleRelatedField(SupportMeasure)
    domain = serializers.ChoiceField(choices=GoalDomain.choices)
    title = serializers.CharField(max_length=255)
    set_on = serializers.DateField()
    notes = serializers.CharField(required=False, allow_blank=True, max_length=20_000)


class GoalReviewCreateSerializer(ActionInputSerializer):
    version = None
    label_models = (GoalReview,)
    milestone = serializers.ChoiceField(choices=ReviewMilestone.choices)
    reviewed_on = serializers.DateField()
    progress = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=20_000)
    goal_status = serializers.ChoiceField(choices=GoalStatus.choices, required=False)


# --------------------------------------------------------------------------
# Outcomes (situation snapshots) and workshops
# --------------------------------------------------------------------------

SNAPSHOT_FIELDS = [
    "id", "measure", "organisation", "moment", "observed_on", "rent_arrears", "housing_benefit", "minimum_income",
    "health_cover", "employed", "still_housed", *STAMPS,
]


class SituationSnapshotSerializer(ScopedModelSerializer):
    """The household's situation at entry, exit and 12 months after the end."""

    measure = VisibleRelatedField(SupportMeasure)

    class Meta:
        model = SituationSnapshot
        fields = SNAPSHOT_FIELDS
        read_only_fields = ["id", "organisation", *STAMPS]
        validators = []  # households.services.snapshot_record says it in French, on the field

    def get_fields(self):
        fields = super().get_fields()
        if self.instance is not None:  # measure and moment are set once
            for name in ("measure", "moment"):
                fields[name].read_only = True
        return fields


WORKSHOP_FIELDS = ["id", "organisation", "project", "title", "theme", "held_on", "duration_minutes", "place", "capacity", *STAMPS]


class WorkshopSerializer(ScopedModelSerializer):
    project = VisibleRelatedField(Project, required=False, allow_null=True)

    class Meta:
        model = Workshop
        fields = WORKSHOP_FIELDS
        read_only_fields = ["id", "organisation", *STAMPS]


ATTENDANCE_FIELDS = ["id", "workshop", "household", "organisation", "attended", "participants", *STAMPS]


class WorkshopAttendanceSerializer(ScopedModelSerializer):
    workshop = VisibleRelatedField(Workshop)
    household = VisibleRelatedField(Household)

    class Meta:
        model = WorkshopAttendance
        fields = ATTENDANCE_FIELDS
        read_only_fields = ["id", "organisation", *STAMPS]
        validators = []  # households.services.attendance_record says it in French, on the field

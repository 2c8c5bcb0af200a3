"""Household resources of the API v1: households, people, support measures, contacts, removals.

Rows come from ``core.access`` (``ScopedViewSet``); writes go through the
services of the web forms (``households.services``, ``households.contacts``).
"""

from __future__ import annotations

import datetime


from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError as ApiValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from core import access, audit
from core.access import FieldsNotWritable
from core.api import sync
from core.api.exceptions import NOT_WRITABLE, django_validation_errors, error_response
from core.api.permissions import ActsForAnOrganisation
from core.api.filters import id_filterset
from core.api.viewsets import (
    ERROR_RESPONSES,
    IF_MATCH,
    WRITE_RESPONSES,
    CreateMixin,
    ListMixin,
    RetrieveMixin,
    ScopedViewSet,
    UpdateMixin,
    UpsertMixin,
    documented,
    upsert_schema,
)
from core.models import AuditLog
from households import services
from households.contacts import contact_log
from households.filtersets import HouseholdFilterSet
from households.models import (
    Consent,
    ConsentPurpose,
    Contact,
    ContactKind,
    ContactStatus,
    GoalDomain,
    GoalReview,
    GoalStatus,
    Household,
    Person,
    PersonRole,
    Phase,
    Referral,
    ReferralDecision,
    ReferralSource,
    SituationSnapshot,
    SnapshotMoment,
    SupportGoal,
    SupportMeasure,
    Workshop,
    WorkshopAttendance,
)

from . import serializers as s


MAX_REMOVALS = 1000


class HouseholdApiFilterSet(HouseholdFilterSet):
    """The web list's FilterSet; type hints only, for the OpenAPI schema."""

    def filter_referent(self, queryset, name, value: int):
        return super().filter_referent(queryset, name, value)


@documented(
    list="Ménages visibles",
    retrieve="Un ménage",
    update="Modifier un ménage",
    partial_update="Modifier une partie d'un ménage",
    create="Ouvrir un dossier de ménage (avec sa mesure, en repérage)",
)
class HouseholdViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, UpsertMixin, ScopedViewSet):
    model = Household
    serializer_class = s.HouseholdSerializer
    serializer_classes = {
        "retrieve": s.HouseholdDetailSerializer,
        "update": s.HouseholdDetailSerializer,
        "partial_update": s.HouseholdDetailSerializer,
        "create": s.HouseholdCreateSerializer,
        "by_reference": s.HouseholdUpsertSerializer,
    }
    filterset_class = HouseholdApiFilterSet
    ordering_fields = ["updated_at", "created_at", "id", "reference", "display_name"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, data):
        return services.household_open(actor=self.actor, **data)

    @upsert_schema(
        summary="Créer ou mettre à jour un ménage par votre numéro de dossier",
        description=(
            "Idempotent. Absent de votre organisation : créé avec sa mesure (project et identified_on obligatoires), 201. "
            "Présent : mis à jour (If-Match ou version obligatoire), 200."
        ),
        request=s.HouseholdUpsertSerializer, response=s.HouseholdDetailSerializer,
    )
    @action(detail=False, methods=["put"], url_path=r"reference/(?P<reference>[^/]{1,40})")
    def by_reference(self, request, reference: str):
        return self.upsert(request, {"reference": reference})

    def upsert_queryset(self):
        return self.get_queryset().filter(organisation_id=self.actor.organisation_id)

    def perform_upsert_create(self, data):
        errors = {name: [_("Obligatoire à la création du dossier.")] for name in ("project", "identified_on") if not data.get(name)}
        if errors:
            raise ApiValidationError(errors)
        notes = {name: data.pop(name) for name in [*s.HOUSEHOLD_NOTES, "domestic_violence"] if name in data}
        household = services.household_open(actor=self.actor, **data)
        if any(notes.values()):
            household = self.perform_update(household, notes, household.version)
        return household

    def retrieve(self, request, *args, **kwargs):
        """One household file: its opening is audited, as on the web (DESIGN.md §3)."""
        response = super().retrieve(request, *args, **kwargs)
        audit.record_view(actor=self.actor, obj=self._object)
        return response

    def get_object(self):
        self._object = super().get_object()
        return self._object

    def perform_update(self, obj, data, version):
        for name in ("project", "identified_on", "kind"):  # upsert: creation-only fields
            value = data.pop(name, None)
            if name == "project" and value is not None and value.pk != obj.project_id:
                raise FieldsNotWritable(["project"])
        # The domestic-violence flag goes with the violence notes (households.forms.HouseholdForm).
        if "domestic_violence" in data and not access.readable_fields(self.actor, obj, ["violence_notes"]):
            raise FieldsNotWritable(["domestic_violence"])
        if "nur" in data:
            data["nur"] = (data["nur"] or "").strip().upper()
        return services.household_update(actor=self.actor, household=obj, changes=data, version=version)


@documented(
    list="Personnes des ménages visibles",
    retrieve="Une personne",
    create="Ajouter une personne à un ménage",
)
class PersonViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = Person
    serializer_class = s.PersonSerializer
    serializer_classes = {"list": s.PersonListSerializer}
    filterset_class = id_filterset(Person, ["household"], {"role": PersonRole.choices})

    def perform_create(self, data):
        return services.person_add(
            actor=self.actor, household=data["household"], role=data["role"], first_name=data["first_name"],
            last_name=data["last_name"], birth_date=data.get("birth_date"), employment=data.get("employment", ""),
        )


@documented(
    list="Mesures d'accompagnement visibles",
    retrieve="Une mesure d'accompagnement",
)
class SupportMeasureViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = SupportMeasure
    serializer_class = s.SupportMeasureSerializer
    serializer_classes = {"retrieve": s.SupportMeasureDetailSerializer, "phase": s.PhaseChangeSerializer}
    object_actions = {"phase": access.CHANGE}
    filterset_class = id_filterset(SupportMeasure, ["household", "project", "referent"], {"phase": Phase.choices})
    ordering_fields = ["updated_at", "created_at", "id", "identified_on"]

    @extend_schema(
        summary="Changer la phase d'une mesure (diagnostic, contrat, accompagnement, fin, veille active)",
        description=(
            "diagnostic : on = date du diagnostic ; contract : on = date de signature ; support : intensity ; "
            "ended : on = date de fin, outcome (et end_meeting) ; watch : watch_until."
        ),
        parameters=[IF_MATCH], request=s.PhaseChangeSerializer,
        responses={200: s.SupportMeasureDetailSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def phase(self, request, pk=None):
        measure = self.get_object()
        version = self.check_if_match(measure)
        data = _valid(self, s.PhaseChangeSerializer)
        measure = services.measure_change_phase(actor=self.actor, measure=measure, target=data.pop("phase"), version=version, **data)
        return self.object_response(measure, status.HTTP_200_OK)


@documented(
    list="Journal des contacts",
    retrieve="Un contact (avec sa note si vous pouvez la lire)",
)
class ContactViewSet(ListMixin, RetrieveMixin, ScopedViewSet):
    model = Contact
    serializer_class = s.ContactSerializer
    serializer_classes = {"retrieve": s.ContactDetailSerializer, "create": s.ContactInputSerializer}
    filterset_class = id_filterset(Contact, ["household", "measure"], {"kind": ContactKind.choices, "status": ContactStatus.choices})

    def with_related(self, queryset):
        return queryset.prefetch_related("goals")

    @extend_schema(
        summary="Saisir un contact",
        description="Idempotent sur client_uuid : la même saisie renvoyée rend le contact déjà enregistré (200).",
        request=s.ContactInputSerializer,
        responses={201: s.ContactDetailSerializer, 200: s.ContactDetailSerializer, **ERROR_RESPONSES},
    )
    def create(self, request, *args, **kwargs):
        if not access.can(self.actor, access.ADD, Contact):
            self.permission_denied(request, message=_("Votre rôle ne permet pas de saisir de contact."))
        serializer = s.ContactInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        references = _contact_references(self.actor, [serializer.validated_data])
        errors = references.errors_of(serializer.validated_data)
        if errors:
            raise ApiValidationError(errors)
        contact, created = _log(self.actor, serializer.validated_data, references)
        return self.object_response(contact, status.HTTP_201_CREATED if created else status.HTTP_200_OK)


@documented(
    list="Orientations visibles",
    retrieve="Une orientation (avec le motif du refus si vous pouvez le lire)",
    create="Enregistrer une orientation (décision en attente)",
)
class ReferralViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = Referral
    serializer_class = s.ReferralSerializer
    serializer_classes = {"retrieve": s.ReferralDetailSerializer, "create": s.ReferralCreateSerializer,
                          "decision": s.ReferralDecisionSerializer}
    object_actions = {"decision": access.CHANGE}
    filterset_class = id_filterset(
        Referral, ["household", "project"], {"decision": ReferralDecision.choices, "source": ReferralSource.choices}
    )
    ordering_fields = ["updated_at", "created_at", "id", "referred_on"]

    def perform_create(self, data):
        return services.referral_record(actor=self.actor, **data)

    @extend_schema(
        summary="Décider d'une orientation (acceptée, ou refusée avec son motif)",
        parameters=[IF_MATCH], request=s.ReferralDecisionSerializer,
        responses={200: s.ReferralDetailSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def decision(self, request, pk=None):
        referral = self.get_object()
        version = self.check_if_match(referral)
        referral = services.referral_decide(actor=self.actor, referral=referral, version=version, **_valid(self, s.ReferralDecisionSerializer))
        return self.object_response(referral, status.HTTP_200_OK)


@documented(
    list="Consentements visibles",
    retrieve="Un consentement",
    create="Enregistrer le consentement d'un ménage (partenaire, finalité)",
)
class ConsentViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = Consent
    serializer_class = s.ConsentSerializer
    serializer_classes = {"create": s.ConsentCreateSerializer, "withdraw": s.ConsentWithdrawSerializer}
    object_actions = {"withdraw": access.CHANGE}
    filterset_class = id_filterset(Consent, ["household", "partner"], {"purpose": ConsentPurpose.choices})
    ordering_fields = ["updated_at", "created_at", "id", "given_on"]

    def perform_create(self, data):
        return services.consent_record(actor=self.actor, **data)

    @extend_schema(
        summary="Retirer un consentement (le partage cesse aussitôt)",
        parameters=[IF_MATCH], request=s.ConsentWithdrawSerializer,
        responses={200: s.ConsentSerializer, **WRITE_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        consent = self.get_object()
        version = self.check_if_match(consent)
        consent = services.consent_withdraw(actor=self.actor, consent=consent, version=version, **_valid(self, s.ConsentWithdrawSerializer))
        return self.object_response(consent, status.HTTP_200_OK)


@documented(
    list="Objectifs d'accompagnement visibles, avec leurs bilans",
    retrieve="Un objectif (notes pour l'équipe seulement)",
    create="Fixer un objectif (bilans à 2 et 6 mois planifiés)",
)
class SupportGoalViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = SupportGoal
    serializer_class = s.SupportGoalSerializer
    serializer_classes = {"retrieve": s.SupportGoalDetailSerializer, "create": s.GoalCreateSerializer,
                          "reviews": s.GoalReviewCreateSerializer}
    object_actions = {"reviews": access.CHANGE}
    filterset_class = id_filterset(SupportGoal, ["measure"], {"status": GoalStatus.choices, "domain": GoalDomain.choices})
    ordering_fields = ["updated_at", "created_at", "id", "set_on"]

    def perform_create(self, data):
        return services.goal_add(actor=self.actor, **data)

    @extend_schema(
        summary="Enregistrer le bilan d'un objectif (à 2 mois, 6 mois ou autre ; un statut autre que « en cours » clôt l'objectif)",
        request=s.GoalReviewCreateSerializer,
        responses={201: s.SupportGoalDetailSerializer, **ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"])
    def reviews(self, request, pk=None):
        goal = self.get_object()
        services.goal_review_record(actor=self.actor, goal=goal, **_valid(self, s.GoalReviewCreateSerializer))
        return self.object_response(goal, status.HTTP_201_CREATED)

    def with_related(self, queryset):
        # Reviews of a visible goal are visible (same household, same measure).
        return queryset.prefetch_related(Prefetch("reviews", queryset=GoalReview.objects.order_by("due_on", "id")))


@documented(
    list="Situations constatées (entrée, sortie, 12 mois après) : les résultats",
    retrieve="Une situation constatée",
    create="Enregistrer la situation d'un ménage à un moment de sa mesure",
    update="Corriger une situation constatée",
    partial_update="Corriger une partie d'une situation constatée",
)
class OutcomeViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, ScopedViewSet):
    model = SituationSnapshot
    serializer_class = s.SituationSnapshotSerializer
    filterset_class = id_filterset(SituationSnapshot, ["measure"], {"moment": SnapshotMoment.choices})
    ordering_fields = ["updated_at", "created_at", "id", "observed_on"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, data):
        return services.snapshot_record(actor=self.actor, **data)

    def perform_update(self, obj, data, version):
        return services.snapshot_update(actor=self.actor, snapshot=obj, changes=data, version=version)


@documented(
    list="Ateliers collectifs de votre organisation",
    retrieve="Un atelier collectif",
    create="Créer un atelier collectif",
    update="Modifier un atelier",
    partial_update="Modifier une partie d'un atelier",
)
class WorkshopViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, ScopedViewSet):
    model = Workshop
    serializer_class = s.WorkshopSerializer
    filterset_class = id_filterset(Workshop, ["project"], {"theme": GoalDomain.choices})
    ordering_fields = ["updated_at", "created_at", "id", "held_on"]
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def perform_create(self, data):
        return services.workshop_create(actor=self.actor, **data)

    def perform_update(self, obj, data, version):
        return services.workshop_update(actor=self.actor, workshop=obj, changes=data, version=version)


@documented(
    list="Participations aux ateliers de votre organisation",
    retrieve="Une participation",
    create="Inscrire un ménage à un atelier",
)
class WorkshopAttendanceViewSet(ListMixin, RetrieveMixin, CreateMixin, ScopedViewSet):
    model = WorkshopAttendance
    serializer_class = s.WorkshopAttendanceSerializer
    filterset_class = id_filterset(WorkshopAttendance, ["workshop", "household"])

    def perform_create(self, data):
        return services.attendance_record(actor=self.actor, **data)


def _valid(view, serializer_class) -> dict:
    """The validated input of an action (400 with the field errors otherwise), without ``version``."""
    serializer = serializer_class(data=view.request.data, context=view.get_serializer_context())
    serializer.is_valid(raise_exception=True)
    data = dict(serializer.validated_data)
    data.pop("version", None)
    return data


class _References:
    """Households and measures named by contact rows, resolved through the access policy in two queries."""

    def __init__(self, households: dict, measures: dict):
        self.households = households
        self.measures = measures

    def errors_of(self, row: dict) -> dict:
        errors = {}
        if row.get("household") and row["household"] not in self.households:
            errors["household"] = [_("Ménage introuvable.")]
        if row.get("measure") and row["measure"] not in self.measures:
            errors["measure"] = [_("Mesure d'accompagnement introuvable.")]
        return errors


def _contact_references(actor, rows: list[dict]) -> _References:
    household_ids = {row["household"] for row in rows if row.get("household")}
    measure_ids = {row["measure"] for row in rows if row.get("measure")}
    households = {h.pk: h for h in access.visible_to(actor, Household).filter(pk__in=household_ids)} if household_ids else {}
    measures = (
        {m.pk: m for m in access.visible_to(actor, SupportMeasure).filter(pk__in=measure_ids)} if measure_ids else {}
    )
    return _References(households, measures)


def _log(actor, row: dict, references: _References):
    return contact_log(
        actor=actor,
        household=references.households.get(row.get("household")),
        measure=references.measures.get(row.get("measure")),
        kind=row["kind"],
        occurred_on=row["occurred_on"],
        duration_minutes=row.get("duration_minutes"),
        note=row.get("note", ""),
        goals=row.get("goals", []),
        client_uuid=row.get("client_uuid"),
    )


class BulkContactsView(APIView):
    """POST /api/v1/contacts/bulk/: up to 1 000 visit-log entries, all or nothing.

    Every row goes through ``households.contacts.contact_log`` (the service of
    the web form) inside one transaction. One bad row: 400 with the errors of
    each bad row under its index, and nothing is written. Idempotent on
    ``client_uuid``: sending the same payload again creates nothing more.
    """

    permission_classes = [ActsForAnOrganisation]

    @extend_schema(
        summary="Envoyer un lot de contacts (1 000 au plus), tout ou rien",
        request=s.BulkContactsSerializer,
        responses={
            201: s.BulkContactsResultSerializer,
            200: s.BulkContactsResultSerializer,
            400: OpenApiResponse(description="Erreurs par ligne (errors: {index: {champ: [messages]}}) ; rien n'est enregistré."),
            403: ERROR_RESPONSES[403],
        },
    )
    def post(self, request):
        actor = access.actor_of(request)
        if not access.can(actor, access.ADD, Contact):
            self.permission_denied(request, message=_("Votre rôle ne permet pas de saisir de contact."))
        payload = s.BulkContactsSerializer(data=request.data)
        if not payload.is_valid():
            raise ApiValidationError(payload.errors)
        rows, errors = [], {}
        for index, raw in enumerate(payload.validated_data["contacts"]):
            row = s.ContactInputSerializer(data=raw)
            if row.is_valid():
                rows.append(row.validated_data)
            else:
                rows.append(None)
                errors[str(index)] = {key: [str(m) for m in value] for key, value in row.errors.items()}
        references = _contact_references(actor, [row for row in rows if row is not None])
        for index, row in enumerate(rows):
            if row is not None and (row_errors := references.errors_of(row)):
                errors[str(index)] = row_errors
        # Every valid row goes through the service even when others are bad, so
        # that the client learns all the errors at once; then nothing is kept.
        results = []
        with transaction.atomic():
            for index, row in enumerate(rows):
                if row is None or str(index) in errors:
                    continue
                try:
                    contact, created = _log(actor, row, references)
                except FieldsNotWritable as refused:
                    errors[str(index)] = {name: [str(NOT_WRITABLE)] for name in refused.fields}
                except ValidationError as error:
                    errors[str(index)] = django_validation_errors(error)
                except PermissionDenied as refused:
                    errors[str(index)] = {"non_field_errors": [str(refused) or _("Action non autorisée.")]}
                else:
                    results.append({"index": index, "id": contact.pk, "client_uuid": contact.client_uuid, "created": created})
            if errors:
                transaction.set_rollback(True)
        if errors:
            return _bulk_refused(errors)
        created = sum(1 for r in results if r["created"])
        body = {"created": created, "existing": len(results) - created, "contacts": results}
        return Response(s.BulkContactsResultSerializer(body).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)


def _bulk_refused(errors: dict) -> Response:
    return error_response(
        400, "invalid",
        _("%(n)d ligne(s) invalide(s) : aucun contact n'a été enregistré.") % {"n": len(errors)},
        dict(sorted(errors.items(), key=lambda item: int(item[0]))),
    )


class RemovalsView(APIView):
    """GET /api/v1/removals/?since=: what a synchronising client must drop.

    Scope (what the actor's organisation could see or did see):

    - ``anonymised`` / ``archived`` households that the organisation worked
      on: it opened the file, supports the household, or is the lessor of
      one of its leases, or was given a consent (even withdrawn since) —
      evaluated on the rows as they are now, since an anonymised file is no
      longer visible to anyone;
    - ``deleted`` rows of the API's resources recorded in the audit log by
      a member of the organisation (an audit row holds no link to the
      household once the row is gone, so deletions made by *other*
      organisations cannot be scoped and are not listed: the client detects
      them by a 404 on the next read);
    - ``consent_withdrawn``: households for which a consent *to the
      organisation* was withdrawn: drop what you held under that consent,
      and refetch the household (404: drop it all).

    Entries carry ids only, never data. At most 1 000 entries from ``since``
    (``truncated`` then says to ask again from the last ``at``).
    """

    permission_classes = [ActsForAnOrganisation]
    #: Models of the API's household and tenancy resources (labels: households imports no housing).
    MODELS = (
        "households.Household", "households.Person", "households.SupportMeasure", "households.Contact",
        "households.Referral", "households.Consent", "households.SupportGoal", "households.GoalReview",
        "households.SituationSnapshot", "households.Workshop", "households.WorkshopAttendance",
        "housing.HousingUnit", "housing.Lease", "housing.AttributionStep", "housing.EvictionCase", "housing.EvictionStep",
    )

    @extend_schema(
        summary="Suppressions, anonymisations et retraits de consentement depuis une date",
        parameters=[OpenApiParameter("since", type=str, required=True, description="Date et heure ISO 8601.")],
        responses={200: s.RemovalsSerializer, **ERROR_RESPONSES},
    )
    def get(self, request):
        actor = access.actor_of(request)
        raw = request.query_params.get("since")
        if not raw:
            raise ApiValidationError({"since": [_("Indiquez la date et l'heure de votre dernière synchronisation.")]})
        since = sync.parse_since(raw, "since") - sync.OVERLAP
        until = timezone.now()
        org = actor.organisation_id
        entries = []
        worked_on = (
            Q(organisation_id=org) | Q(measures__organisation_id=org) | Q(occupied_leases__lessor_id=org)
            | Q(consents__partner_id=org)
        )
        gone = Household.objects.filter(worked_on).filter(Q(anonymised_at__gte=since) | Q(archived_at__gte=since))
        for pk, anonymised_at, archived_at in gone.distinct().values_list("pk", "anonymised_at", "archived_at")[:MAX_REMOVALS]:
            if anonymised_at and anonymised_at >= since:
                entries.append(("households.Household", pk, "anonymised", anonymised_at))
            elif archived_at and actor.role != access.ORG_ADMIN:  # the admin still reads the archive
                entries.append(("households.Household", pk, "archived", archived_at))
        deleted = AuditLog.objects.filter(
            action=AuditLog.Action.DELETE, model_label__in=self.MODELS, organisation_id=org, at__gte=since
        ).order_by("at", "id").values_list("model_label", "object_id", "at")[:MAX_REMOVALS]
        entries += [(label, int(pk), "deleted", at) for label, pk, at in deleted if pk.isdigit()]
        withdrawn = Consent.objects.filter(partner_id=org, withdrawn_on__gte=timezone.localtime(since).date()).order_by(
            "withdrawn_on", "pk"
        ).values_list("household_id", "withdrawn_on")[:MAX_REMOVALS]
        for household_id, day in withdrawn:
            at = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
            entries.append(("households.Household", household_id, "consent_withdrawn", at))
        entries.sort(key=lambda e: (e[3], e[0], e[1]))
        truncated = len(entries) > MAX_REMOVALS
        entries = entries[:MAX_REMOVALS]
        body = {
            "since": since + sync.OVERLAP,
            "until": until,
            "truncated": truncated,
            "results": [{"model": m, "id": pk, "reason": r, "at": at} for m, pk, r, at in entries],
        }
        return Response(s.RemovalsSerializer(body).data)

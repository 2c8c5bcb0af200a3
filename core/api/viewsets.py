"""The base viewset of the API: the one place rows are scoped (like NetBox's ``restrict``).

- lists start from ``core.access.visible_to(actor, model)``; a detail goes
  through ``core.access.access`` (invisible: 404, audited; a visible object
  with an action the role may not do: 403);
- detail responses carry ``ETag: "<version>"``; PUT, PATCH and DELETE need
  ``If-Match`` with that value: missing → 428, stale → 412 (and the service
  checks the version again inside its transaction);
- writes go through the app's services (``perform_create`` /
  ``perform_update`` of each viewset), never ``serializer.save()``;
- ``?ordering=`` among each viewset's ``ordering_fields`` (never null),
  with ``id`` as the tie-break; incremental sync uses the default order
  ``(updated_at, id)``;
- upsert by an external reference (RPLS id, tenant number, file number):
  ``PUT /<resource>/<reference>/<value>/`` creates (201) or updates (200,
  with the same precondition as any update).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from core import access

from .exceptions import PreconditionFailed, PreconditionRequired
from .pagination import SyncCursorPagination
from .permissions import ActsForAnOrganisation
from .sync import UpdatedSinceFilter

ACTIONS = {
    "retrieve": access.VIEW,
    "update": access.CHANGE,
    "partial_update": access.CHANGE,
    "destroy": access.DELETE,
}

ERROR_RESPONSES = {
    400: OpenApiResponse(description="Données invalides ou champ non modifiable (nommé)."),
    403: OpenApiResponse(description="Action non autorisée pour votre rôle, ou jeton en lecture seule."),
    404: OpenApiResponse(description="Objet introuvable (ou invisible pour vous)."),
}
IF_MATCH = OpenApiParameter(
    "If-Match", location=OpenApiParameter.HEADER, required=False, type=str,
    description=(
        "ETag de la dernière lecture de l'objet (sa version). Obligatoire, sauf si le corps porte "
        "le champ version lu : sans l'un ni l'autre 428, périmé 412."
    ),
)
WRITE_RESPONSES = {
    **ERROR_RESPONSES,
    412: OpenApiResponse(description="L'objet a changé depuis votre lecture (If-Match périmé)."),
    428: OpenApiResponse(description="En-tête If-Match manquant."),
}


class SyncOrderingFilter(OrderingFilter):
    """``?ordering=`` on the viewset's ``ordering_fields``, ``id`` appended as the tie-break.

    Cursor pagination pages on the first field; the tie-break keeps the
    order of equal values stable from one page to the next.
    """

    ordering_description = "Tri (préfixe - pour l'ordre décroissant). Par défaut updated_at puis id, l'ordre de la synchronisation."

    def get_ordering(self, request, queryset, view):
        ordering = super().get_ordering(request, queryset, view)
        if not ordering:
            return ordering
        ordering = [field for field in ordering if field.lstrip("-") != "id"] or list(ordering)
        if ordering[-1].lstrip("-") != "id":
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return tuple(ordering)


def documented(**actions):
    """Class decorator: the OpenAPI description of a scoped viewset from the summaries of its actions.

    ``@documented(list="…", retrieve="…", create="…", update="…", partial_update="…")``;
    a value is the French summary, or a dict of ``extend_schema`` arguments
    (``summary``, ``description``…) that override the defaults. Responses
    come from the viewset's serializers, as its mixins answer: the list
    serializer for ``list``; the detail one (``serializer_classes["retrieve"]``)
    for ``retrieve``, for ``create`` (201) and for updates (200, with
    ``If-Match``, 412 and 428); the error responses on every action.
    """

    def decorate(viewset):
        detail = viewset.serializer_classes.get("retrieve", viewset.serializer_class)
        defaults = {
            "list": {"responses": {200: viewset.serializer_classes.get("list", viewset.serializer_class)(many=True), **ERROR_RESPONSES}},
            "retrieve": {"responses": {200: detail, **ERROR_RESPONSES}},
            "create": {"responses": {201: detail, **ERROR_RESPONSES}},
            "update": {"parameters": [IF_MATCH], "responses": {200: detail, **WRITE_RESPONSES}},
        }
        defaults["partial_update"] = defaults["update"]
        specs = {}
        for action, given in actions.items():
            given = {"summary": given} if isinstance(given, str) else given
            specs[action] = extend_schema(**{**defaults[action], **given})
        return extend_schema_view(**specs)(viewset)

    return decorate


def upsert_schema(*, summary: str, description, request, response):
    """The OpenAPI description of an upsert action: 201 created, 200 updated, the update's preconditions."""
    return extend_schema(
        summary=summary, description=description, parameters=[IF_MATCH], request=request,
        responses={201: response, 200: response, **WRITE_RESPONSES},
    )


def etag(obj) -> str:
    return f'"{obj.version}"'


def if_match_versions(header: str) -> set[int]:
    versions = set()
    for part in header.split(","):
        part = part.strip()
        if part.startswith("W/"):
            part = part[2:]
        part = part.strip('"')
        if part.isdigit():
            versions.add(int(part))
    return versions


class ScopedViewSet(viewsets.GenericViewSet):
    model = None
    pagination_class = SyncCursorPagination
    filter_backends = [SyncOrderingFilter, UpdatedSinceFilter, DjangoFilterBackend]
    #: fields a client may sort on (never nullable: the cursor needs a value)
    ordering_fields = ["updated_at", "created_at", "id"]
    ordering = None  # the pagination's (updated_at, id)
    permission_classes = [ActsForAnOrganisation]
    #: action → serializer class (defaults to ``serializer_class``)
    serializer_classes: dict = {}
    #: extra ``@action`` name → access action checked on the object (default view)
    object_actions: dict = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.model is not None and "queryset" not in cls.__dict__:
            # For the schema generator only (model and path parameter types); the rows of a
            # request always come from get_queryset(), that is from core.access.visible_to.
            cls.queryset = cls.model._default_manager.none()

    @property
    def actor(self) -> access.Actor:
        return access.actor_of(self.request)

    def get_view_name(self):
        """The browsable API's title, in French: the model's verbose name (plural for a list)."""
        if self.model is None:
            return super().get_view_name()
        meta = self.model._meta
        name = meta.verbose_name if self.detail else meta.verbose_name_plural
        return str(name)[:1].upper() + str(name)[1:]

    def get_serializer_class(self):
        return self.serializer_classes.get(self.action, self.serializer_class)

    def get_queryset(self):
        return self.with_related(access.visible_to(self.actor, self.model))

    def with_related(self, queryset):
        """select_related/prefetch_related/annotate: a page costs the same whatever its size."""
        return queryset

    def get_object(self):
        action = ACTIONS.get(self.action) or self.object_actions.get(self.action, access.VIEW)
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        return access.access(self.actor, self.get_queryset(), pk, action=action)

    def object_response(self, obj, status_code: int) -> Response:
        """The object as the detail serializer shows it to the actor, with its ETag."""
        obj = self.get_queryset().get(pk=obj.pk)
        output = self.serializer_classes.get("retrieve", self.serializer_class)
        return Response(output(obj, context=self.get_serializer_context()).data, status=status_code,
                        headers={"ETag": etag(obj)})

    def check_if_match(self, obj) -> int:
        """The version the client read: ``If-Match`` or, failing that, ``version`` in the body."""
        header = self.request.headers.get("If-Match")
        if header:
            if header.strip() != "*" and obj.version not in if_match_versions(header):
                raise PreconditionFailed
            return obj.version
        body = self.request.data.get("version") if isinstance(self.request.data, dict) else None
        if body is None or isinstance(body, bool):
            raise PreconditionRequired
        if not isinstance(body, int) or body != obj.version:
            raise PreconditionFailed
        return obj.version


class ListMixin:
    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        serializer = self.get_serializer(page, many=True)
        return self.get_paginated_response(serializer.data)


class RetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        obj = self.get_object()
        return Response(self.get_serializer(obj).data, headers={"ETag": etag(obj)})


class CreateMixin:
    """POST: ADD checked on the model, then ``perform_create`` (a service)."""

    def create(self, request, *args, **kwargs):
        if not access.can(self.actor, access.ADD, self.model):
            self.permission_denied(request, message=_("Votre rôle ne permet pas de créer cet objet."))
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        obj = self.perform_create(serializer.validated_data)
        return self.object_response(obj, status.HTTP_201_CREATED)

    def perform_create(self, data: dict):
        raise NotImplementedError


class UpdateMixin:
    """PUT/PATCH with If-Match, then ``perform_update`` (a service, with the version)."""

    def update(self, request, *args, partial=False, **kwargs):
        obj = self.get_object()
        version = self.check_if_match(obj)
        serializer = self.get_serializer(obj, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        obj = self.perform_update(obj, serializer.validated_data, version)
        return self.object_response(obj, status.HTTP_200_OK)

    def partial_update(self, request, *args, **kwargs):
        return self.update(request, *args, partial=True, **kwargs)

    def perform_update(self, obj, data: dict, version: int):
        raise NotImplementedError


class UpsertMixin:
    """Create or update by an external reference, in one idempotent PUT.

    A viewset declares an ``@action(detail=False, methods=["put"], url_path=...)``
    that calls :meth:`upsert` with the lookup of the reference
    (``{"rpls_id": "..."}``). The row is searched among those the actor
    may change (``upsert_queryset``): found → the update path (If-Match or
    ``version`` required, 428/412, then ``perform_update``), 200; not found
    → ``perform_create`` with the reference, 201 (an ``If-Match`` on a row
    that does not exist is a 412).
    """

    def upsert_queryset(self):
        return self.get_queryset()

    def upsert(self, request, lookup: dict):
        lookup = {name: self.clean_reference(name, value, request.data) for name, value in lookup.items()}
        with transaction.atomic():
            return self._upsert(request, lookup)

    def clean_reference(self, name: str, value: str, body) -> str:
        """The reference of the URL, checked like the model field; the body may repeat it, not contradict it."""
        try:
            self.model._meta.get_field(name).clean(value, None)
        except DjangoValidationError as error:
            raise DjangoValidationError({name: error.messages}) from None
        if isinstance(body, dict) and name in body and body[name] != value:
            raise DjangoValidationError({name: [_("Cette valeur diffère de celle de l'adresse de la requête.")]})
        return value

    def _upsert(self, request, lookup: dict):
        found = self.upsert_queryset().filter(**lookup).values_list("pk", flat=True).first()
        if found is None:
            if request.headers.get("If-Match"):
                raise PreconditionFailed
            if not access.can(self.actor, access.ADD, self.model):
                self.permission_denied(request, message=_("Votre rôle ne permet pas de créer cet objet."))
            serializer = self.get_serializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            create = getattr(self, "perform_upsert_create", self.perform_create)
            obj = create({**serializer.validated_data, **lookup})
            return self.object_response(obj, status.HTTP_201_CREATED)
        obj = access.access(self.actor, self.get_queryset(), found, action=access.CHANGE)
        version = self.check_if_match(obj)
        serializer = self.get_serializer(obj, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        obj = self.perform_update(obj, serializer.validated_data, version)
        return self.object_response(obj, status.HTTP_200_OK)

"""The base viewset of the API: the one place rows are scoped (like NetBox's ``restrict``).

- lists start from ``core.access.visible_to(actor, model)``; a detail goes
  through ``core.access.access`` (invisible: 404, audited; a visible object
  with an action the role may not do: 403);
- detail responses carry ``ETag: "<version>"``; PUT, PATCH and DELETE need
  ``If-Match`` with that value: missing → 428, stale → 412 (and the service
  checks the version again inside its transaction);
- writes go through the app's services (``perform_create`` /
  ``perform_update`` of each viewset), never ``serializer.save()``.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import status, viewsets
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
    "If-Match", location=OpenApiParameter.HEADER, required=True, type=str,
    description="ETag de la dernière lecture de l'objet (sa version).",
)
WRITE_RESPONSES = {
    **ERROR_RESPONSES,
    412: OpenApiResponse(description="L'objet a changé depuis votre lecture (If-Match périmé)."),
    428: OpenApiResponse(description="En-tête If-Match manquant."),
}


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
    filter_backends = [UpdatedSinceFilter, DjangoFilterBackend]
    permission_classes = [ActsForAnOrganisation]
    #: action → serializer class (defaults to ``serializer_class``)
    serializer_classes: dict = {}

    @property
    def actor(self) -> access.Actor:
        return access.actor_of(self.request)

    def get_serializer_class(self):
        return self.serializer_classes.get(self.action, self.serializer_class)

    def get_queryset(self):
        return self.with_related(access.visible_to(self.actor, self.model))

    def with_related(self, queryset):
        """select_related/prefetch_related/annotate: a page costs the same whatever its size."""
        return queryset

    def get_object(self):
        action = ACTIONS.get(self.action, access.VIEW)
        pk = self.kwargs[self.lookup_url_kwarg or self.lookup_field]
        return access.access(self.actor, self.get_queryset(), pk, action=action)

    def object_response(self, obj, status_code: int) -> Response:
        """The object as the detail serializer shows it to the actor, with its ETag."""
        obj = self.get_queryset().get(pk=obj.pk)
        output = self.serializer_classes.get("retrieve", self.serializer_class)
        return Response(output(obj, context=self.get_serializer_context()).data, status=status_code,
                        headers={"ETag": etag(obj)})

    def check_if_match(self, obj) -> int:
        header = self.request.headers.get("If-Match")
        if not header:
            raise PreconditionRequired
        if header.strip() != "*" and obj.version not in if_match_versions(header):
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

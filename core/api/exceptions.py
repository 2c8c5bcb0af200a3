"""One error shape for every API error (REST_FRAMEWORK["EXCEPTION_HANDLER"]).

::

    {"code": "not_found", "message": "Ressource introuvable.", "errors": {}}
    {"code": "invalid", "message": "Certaines données sont invalides.",
     "errors": {"occurred_on": ["La date ne peut pas être dans le futur…"]}}

``code`` is stable (for programs), ``message`` is French (for people),
``errors`` maps a field name to its messages (``non_field_errors`` for the
others). Statuses: 400 invalid data or a field the caller may not write
(``field_not_writable``, the field named), 401 no or bad credentials, 403 an
action the role may not do, 404 an object the caller may not see (never a
hint that it exists), 405, 409, 412 stale ``If-Match`` or version, 415,
428 ``If-Match`` missing, 429 throttled (``Retry-After``). Errors are JSON
even from a view that renders files, and :func:`page_not_found` gives the
same 404 body to a URL under /api/ that matches no route.
"""

from __future__ import annotations

import math

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.access import FieldsNotWritable
from core.services import VersionConflict

NOT_WRITABLE = gettext_lazy("Vous ne pouvez pas modifier ce champ.")


class PreconditionRequired(exceptions.APIException):
    status_code = 428
    default_detail = gettext_lazy("En-tête If-Match requis : relisez l'objet et renvoyez son ETag.")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = gettext_lazy("L'objet a été modifié depuis votre lecture : relisez-le avant de l'enregistrer.")
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = gettext_lazy("Conflit avec l'état actuel de l'objet.")
    default_code = "conflict"


MESSAGES = {
    400: gettext_lazy("Certaines données sont invalides."),
    401: gettext_lazy("Authentification requise."),
    403: gettext_lazy("Vous n'avez pas le droit de faire cette action."),
    404: gettext_lazy("Ressource introuvable."),
    405: gettext_lazy("Méthode non autorisée."),
    429: gettext_lazy("Trop de requêtes : réessayez plus tard."),
}


def error_body(code: str, message, errors: dict | None = None) -> dict:
    return {"code": code, "message": str(message), "errors": errors or {}}


def error_response(status_code: int, code: str, message, errors: dict | None = None, headers=None) -> Response:
    return Response(error_body(code, message, errors), status=status_code, headers=headers)


def _field_errors(detail) -> dict:
    """DRF error details as {field: [messages]} (lists under ``non_field_errors``)."""
    if isinstance(detail, dict):
        return {str(key): _flatten(value) for key, value in detail.items()}
    return {"non_field_errors": _flatten(detail)}


def _flatten(value):
    if isinstance(value, dict):
        return {str(k): _flatten(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in value):
            return [str(item) for item in value]
        return [_flatten(item) for item in value]
    return [str(value)]


def django_validation_errors(error: DjangoValidationError) -> dict:
    if hasattr(error, "error_dict"):
        return {("non_field_errors" if key == "__all__" else key): list(messages) for key, messages in error.message_dict.items()}
    return {"non_field_errors": list(error.messages)}


def page_not_found(request, exception=None):
    """The site's ``handler404``: under /api/, a URL that matches no route answers in the one error shape.

    (An id that is not one, ``/api/v1/goals/1.5/reviews/``, matches no route:
    without this, an API client would get the site's HTML page.)
    """
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("not_found", MESSAGES[404]), status=404, json_dumps_params={"ensure_ascii": False})
    return defaults.page_not_found(request, exception)


def _errors_in_json(context) -> None:
    """An error is rendered as JSON even when the view renders something else (a file download).

    The renderer chosen for the success (``?format=file``, a CSV) cannot
    render the error body, and would label it with its own content type.
    The browsable API keeps its own renderer.
    """
    request = context.get("request")
    renderer = getattr(request, "accepted_renderer", None)
    if renderer is not None and getattr(renderer, "format", None) not in {"json", "api"}:
        request.accepted_renderer = JSONRenderer()
        request.accepted_media_type = JSONRenderer.media_type


def handler(exc, context):
    """REST framework's exception handler, with the project's one error shape."""
    response = _handle(exc, context)
    if response is not None:
        _errors_in_json(context)
    return response


def _handle(exc, context):
    if isinstance(exc, FieldsNotWritable):
        set_rollback()
        return error_response(400, "field_not_writable", _("Certains champs ne sont pas modifiables par vous."),
                              {name: [str(NOT_WRITABLE)] for name in exc.fields})
    if isinstance(exc, VersionConflict):
        set_rollback()
        return error_response(412, PreconditionFailed.default_code, PreconditionFailed.default_detail,
                              {name: [_("Modifié entre-temps.")] for name in exc.changed_fields},
                              headers={"ETag": f'"{exc.current.version}"'})
    if isinstance(exc, DjangoValidationError):
        set_rollback()
        return error_response(400, "invalid", MESSAGES[400], django_validation_errors(exc))
    if isinstance(exc, DataError):  # e.g. a NUL byte PostgreSQL refuses: the caller's data, not our fault
        set_rollback()
        return error_response(400, "invalid", _("Une valeur envoyée n'est pas acceptée (caractère ou longueur invalide)."))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()  # no hint: the message of the 404 is always the same
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None  # a bug: Django's 500
    set_rollback()
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(math.ceil(exc.wait))
    status_code = exc.status_code
    if isinstance(exc, exceptions.ValidationError):
        return error_response(400, "invalid", MESSAGES[400], _field_errors(exc.detail), headers)
    if isinstance(exc, exceptions.NotFound):
        return error_response(404, "not_found", MESSAGES[404], headers=headers)
    codes = exc.get_codes()
    code = codes if isinstance(codes, str) else exc.default_code
    detail = exc.detail if isinstance(exc.detail, str) else MESSAGES.get(status_code, exc.default_detail)
    if isinstance(exc, exceptions.Throttled):
        detail = MESSAGES[429]
        if exc.wait:
            detail = _("Trop de requêtes : réessayez dans %(n)d secondes.") % {"n": math.ceil(exc.wait)}
    return error_response(status_code, code, detail, headers=headers)

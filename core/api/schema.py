"""OpenAPI (drf-spectacular) extensions of the API: its authentication classes, honest response schemas.

- the token and session schemes;
- :class:`ScopedSerializerScheme`: a field a role may not read is not
  ``required`` in a response component, and a read-only choice that may be
  blank declares "";
- :func:`declare_common_responses` (a ``POSTPROCESSING_HOOKS`` entry): 401
  and 429 declared on every operation, and the one error shape as the body
  of every 4xx.

tests/api/test_schemathesis.py checks every answer of every operation
against this schema, per role.
"""

from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from rest_framework import serializers


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.TokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": _("Jeton personnel (Mon compte → Jetons d'API), lié à un rattachement : « Authorization: Bearer la_… »."),
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}


class ScopedSerializerScheme(OpenApiSerializerExtension):
    """Response components of scoped serializers: a field the role may not read is not required.

    ``ScopedModelSerializer.to_representation`` leaves out a field that the
    access policy protects when the actor may not read it on that object
    (the social notes for the landlord, the domestic-violence flag with the
    violence notes): such a field may be absent from a valid answer, so the
    schema must not list it under ``required``. Requests are unchanged.
    """

    target_class = "core.api.serializers.ScopedModelSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        if direction == "response":
            _declare_blank_choices(self.target)
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        if direction != "response" or "required" not in schema:
            return schema
        maybe_absent = hideable_fields(self.target)
        required = [name for name in schema["required"] if name not in maybe_absent]
        if required:
            schema["required"] = required
        else:
            del schema["required"]
        return schema


def _declare_blank_choices(serializer) -> None:
    """A read-only choice field whose model field may be blank answers "": say so.

    REST framework drops ``allow_blank`` from the arguments of a read-only
    field (``read_only_fields``), so drf-spectacular would declare the bare
    enum while the answer carries "" for a choice not made yet (a measure's
    outcome before its end, a step without judgment).
    """
    meta = getattr(serializer, "Meta", None)
    model = getattr(meta, "model", None)
    if model is None:
        return
    for name, field in serializer.fields.items():
        if not (isinstance(field, serializers.ChoiceField) and field.read_only) or field.allow_blank:
            continue
        try:
            model_field = model._meta.get_field(field.source if field.source != "*" else name)
        except FieldDoesNotExist:
            continue
        if getattr(model_field, "blank", False) and getattr(model_field, "choices", None):
            field.allow_blank = True


def hideable_fields(serializer) -> set[str]:
    """Fields ``serializer`` leaves out for an actor who may not read them."""
    from core import access  # noqa: PLC0415 (the schema module is imported by the authentication classes)

    meta = getattr(serializer, "Meta", None)
    model = getattr(meta, "model", None)
    protected = set(access.policy_for(model).fields) if model is not None else set()
    return protected | set(getattr(serializer, "hidden_with", {}))


#: Answers every operation may give, whatever the view: no or bad credentials, throttled.
COMMON_RESPONSES = {
    "401": {"description": _("Authentification requise : jeton absent, inconnu, expiré ou révoqué.")},
    "429": {
        "description": _("Trop de requêtes : réessayez après le délai de l'en-tête Retry-After."),
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": _("Secondes à attendre.")}},
    },
}


#: The one error shape of :mod:`core.api.exceptions`.
ERROR_COMPONENT = {
    "type": "object",
    "description": _("Erreur : code stable (pour les programmes), message en français, erreurs par champ."),
    "properties": {
        "code": {"type": "string", "description": _("ex. invalid, not_found, precondition_failed")},
        "message": {"type": "string"},
        "errors": {
            "type": "object",
            "description": _("Champ → messages (non_field_errors pour les autres)."),
            "additionalProperties": True,
        },
    },
    "required": ["code", "message", "errors"],
}


def declare_common_responses(result, generator, request, public):
    """drf-spectacular post-processing hook (``POSTPROCESSING_HOOKS``) for every operation of /api/v1/.

    - 401 and 429 are declared: any operation may answer them;
    - every 4xx answer without a body schema gets the one error shape
      (``Erreur``), so that clients and schema checks know its body.
    """
    components = result.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("Erreur", ERROR_COMPONENT)
    error_content = {"application/json": {"schema": {"$ref": "#/components/schemas/Erreur"}}}
    for path, item in result.get("paths", {}).items():
        if not path.startswith("/api/v1/"):
            continue
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for status, response in COMMON_RESPONSES.items():
                responses.setdefault(status, dict(response))
            for status, response in responses.items():
                if str(status).startswith("4") and "content" not in response:
                    response["content"] = error_content
    return result

"""OpenAPI (drf-spectacular) descriptions of the API's own authentication classes."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.TokenAuthentication"
    name = "jeton"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "Jeton personnel (Mon compte → Jetons d'API), lié à un rattachement : « Authorization: Bearer la_… ».",
        }


class SessionScheme(OpenApiAuthenticationExtension):
    target_class = "core.api.authentication.SessionAuthentication"
    name = "session"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}

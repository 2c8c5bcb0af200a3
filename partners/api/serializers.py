"""Serializers of the directory of organisations (explicit fields; never a person of an organisation)."""

from __future__ import annotations

from core.api.serializers import ScopedModelSerializer
from partners.models import Organisation
from partners.services import ORGANISATION_WRITABLE

STAMPS = ["created_at", "updated_at", "version"]

ORGANISATION_FIELDS = [
    "id", "name", "short_name", "kind", "group", "siren", "departement", "postcode", "city", "is_active", *STAMPS,
]

class OrganisationSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = Organisation
        fields = ORGANISATION_FIELDS
        read_only_fields = ORGANISATION_FIELDS


class OrganisationDetailSerializer(ScopedModelSerializer):
    """The card of an organisation: its generic address and e-mail, no member's name or contact."""

    class Meta:
        model = Organisation
        fields = [*ORGANISATION_FIELDS, "address", "email"]
        read_only_fields = [name for name in fields if name not in ORGANISATION_WRITABLE]

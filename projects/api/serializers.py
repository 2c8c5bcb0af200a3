from core.api.serializers import ScopedModelSerializer
from projects.models import Project

PROJECT_FIELDS = [
    "id", "number", "title", "category", "status", "call", "session", "lead_landlord",
    "territory_text", "departements", "communes", "target_households", "target_units", "access_or_maintain",
    "created_at", "updated_at", "version",
]


class ProjectSerializer(ScopedModelSerializer):
    unprotected_only = True

    class Meta:
        model = Project
        fields = PROJECT_FIELDS
        read_only_fields = PROJECT_FIELDS


class ProjectDetailSerializer(ScopedModelSerializer):
    class Meta:
        model = Project
        fields = [*PROJECT_FIELDS, "carriers_text", "nature", "objectives", "household_profile", "support_description", "offer"]
        read_only_fields = fields

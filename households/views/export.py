"""Right-of-access export of a household (RGPD art. 15)."""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from django.utils.http import content_disposition_header

from core import audit
from core.access import actor_of
from core.views import scoped_object

from .. import retention
from ..access import EXPORT


@scoped_object("households.Household", action=EXPORT)
def right_of_access_export(request, household):
    """What the acting organisation holds on one household (RGPD art. 15), as JSON."""
    actor = actor_of(request)
    body = json.dumps(retention.right_of_access(household, actor), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
    audit.record_event(actor=actor, action="export", model_label="households.Household",
                       object_id=str(household.pk), request=request)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"droit-d-acces-{household.pk}.json")
    return response

from functools import wraps

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse

from . import access


def healthz(request):
    """Liveness for load balancers and docker-compose: the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def scoped_object(model_label: str, action: str = access.VIEW, kwarg: str = "pk"):
    """Resolve the URL's ``pk`` through the access policy, for the acting organisation.

    The view receives the object instead of the pk: an invisible object is a
    404 and an action the role may not do is a 403, decided by
    ``core.access`` alone. The decorated view is marked (``access_model``,
    ``access_action``) so that the access-matrix test finds every
    model-backed route in the URLconf.
    """

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            model = apps.get_model(model_label)
            obj = access.access(access.actor_of(request), model, kwargs.pop(kwarg), action=action)
            return view(request, obj, *args, **kwargs)

        wrapper.access_model = model_label
        wrapper.access_action = action
        wrapper.access_kwarg = kwarg
        return wrapper

    return decorator

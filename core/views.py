from functools import wraps

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import JsonResponse
from django.utils.translation import gettext as _

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


def field_display(form, name: str, obj) -> str:
    """The stored value of ``name`` on ``obj`` as a person reads it (choices, dates, money)."""
    from django.utils.formats import localize

    field = obj._meta.get_field(name)
    if field.many_to_many:
        return ", ".join(str(item) for item in getattr(obj, name).all()) or "—"
    if field.choices:
        return getattr(obj, f"get_{name}_display")() or "—"
    value = getattr(obj, name)
    if value in (None, ""):
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    return localize(value)


def edit_object(
    request,
    obj,
    form_class,
    *,
    template: str,
    success_url: str,
    success_message: str,
    context: dict | None = None,
):
    """The edit screen of one object: field policy, version check, audit (``core.services``).

    GET shows the form; a valid POST writes through
    :func:`core.services.update_object`. A concurrent change (the version
    moved) re-shows the person's input with the values saved meanwhile under
    each field that differs, and the form now carries the new version: saving
    again is a deliberate choice (HTTP 409 until then). A field the actor may
    not write is a form error naming it, never a silent drop.
    """
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.shortcuts import redirect, render

    from .forms import CONFLICT_MESSAGE
    from .services import VersionConflict, update_object

    actor = access.actor_of(request)
    status = 200
    if request.method == "POST":
        form = form_class(request.POST, instance=obj, actor=actor)
        if form.is_valid():
            try:
                update_object(actor=actor, obj=obj, changes=form.changes(), version=form.cleaned_data.get("version"))
            except VersionConflict as conflict:
                status = 409
                form.data = form.data.copy()
                form.data["version"] = conflict.current.version
                form.conflicts = {name: field_display(form, name, conflict.current) for name in conflict.changed_fields}
                form.add_error(None, CONFLICT_MESSAGE)
            except access.FieldsNotWritable as refused:
                status = 400
                for name in refused.fields:
                    form.add_error(name if name in form.fields else None, _("Vous ne pouvez pas modifier ce champ."))
            except ValidationError as error:
                status = 400
                form.add_error(None, error)
            else:
                messages.success(request, success_message)
                return redirect(success_url)
        else:
            status = 400
    else:
        form = form_class(instance=obj, actor=actor)
    return render(request, template, {"form": form, "object": obj, **(context or {})}, status=status)

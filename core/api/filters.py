"""FilterSets of the API that have no web twin."""

from __future__ import annotations

import django_filters


def id_filterset(model, ids: list[str], choices: dict | None = None):
    """A FilterSet of plain id filters (``household=12``) and choice filters.

    Rows are already scoped by ``core.access``: an id the actor cannot see
    filters to nothing, with no hint that it exists.
    """
    attrs = {name: django_filters.NumberFilter(field_name=f"{name}_id") for name in ids}
    attrs.update({name: django_filters.ChoiceFilter(choices=values) for name, values in (choices or {}).items()})
    attrs["Meta"] = type("Meta", (), {"model": model, "fields": []})
    return type(f"{model.__name__}ApiFilterSet", (django_filters.FilterSet,), attrs)

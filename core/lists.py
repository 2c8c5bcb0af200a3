"""Paginated, sortable, filterable lists (one helper for every HTML list).

A view builds a :class:`Listing` from the request, a queryset already
restricted by ``core.access``, an optional FilterSet (the same class the
API uses) and the sort keys it offers; the template includes
``core/_pagination.html`` and uses ``{% sort_header %}`` from ``ui``.
The page holds a fixed number of rows, so the queries of a list page do
not grow with the size of the caseload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

DEFAULT_PER_PAGE = 25


@dataclass
class Listing:
    page: Page
    sort: str
    filterset: Any = None
    query_string: str = ""  # filters and sort, without the page (for pagination links)
    total: int = 0
    extra: dict = field(default_factory=dict)

    @property
    def rows(self):
        return self.page.object_list

    @property
    def is_filtered(self) -> bool:
        """Some filter is set (the empty state then says "no match", not "nothing yet")."""
        if self.filterset is None or not self.filterset.is_bound:
            return False
        data = self.filterset.data
        return any(data.get(name) not in (None, "") for name in self.filterset.filters)


def build_listing(
    request: HttpRequest,
    queryset: QuerySet,
    *,
    sorts: dict[str, tuple[str, ...]],
    default_sort: str,
    filterset_class=None,
    filterset_kwargs: dict | None = None,
    per_page: int = DEFAULT_PER_PAGE,
) -> Listing:
    """Filter, sort (``?tri=key`` or ``-key``) and paginate (``?page=n``) ``queryset``.

    ``sorts`` maps a public key to the ``order_by`` expressions; the primary
    key ends every order so that pages are stable.
    """
    filterset = None
    if filterset_class is not None:
        filterset = filterset_class(request.GET or None, queryset=queryset, request=request, **(filterset_kwargs or {}))
        queryset = filterset.qs if filterset.is_bound and filterset.is_valid() else queryset
        if filterset.is_bound and not filterset.is_valid():
            queryset = queryset.none()
    sort = request.GET.get("tri") or default_sort
    key = sort.lstrip("-")
    if key not in sorts:
        sort, key = default_sort, default_sort.lstrip("-")
    descending = sort.startswith("-")
    order = []
    for expression in sorts[key]:
        if descending:
            expression = expression[1:] if expression.startswith("-") else f"-{expression}"
        order.append(expression)
    queryset = queryset.order_by(*order, "-pk" if descending else "pk")
    paginator = Paginator(queryset, per_page)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return Listing(page=page, sort=sort, filterset=filterset, query_string=params.urlencode(), total=paginator.count)


def fresh_filters(filterset) -> None:
    """Forget form fields cached on a FilterSet's filters before their choices are narrowed.

    django-filter builds a filter's form field once (``_field``) and
    ``FilterSet.__init__`` deep-copies the class's filters: a field built on
    the class (the OpenAPI schema generator does so) would keep the class's
    choices — all organisations, or none — whatever ``__init__`` narrows
    afterwards. Call right after ``super().__init__``.
    """
    for flt in filterset.filters.values():
        flt.__dict__.pop("_field", None)

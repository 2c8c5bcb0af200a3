"""Small presentation helpers shared by every app's templates."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

register = template.Library()


@register.filter
def money(value, decimals: int = 2) -> str:
    """``1234.5`` → ``1 234,50 €`` (narrow no-break spaces); empty for None."""
    if value in (None, ""):
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        return ""
    quantum = Decimal(1).scaleb(-int(decimals))
    amount = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{number_format(amount, decimal_pos=int(decimals), use_l10n=True, force_grouping=True)}\u00a0€"


@register.filter
def number(value, decimals: int | None = None) -> str:
    """``12345`` → ``12 345`` (narrow no-break space); empty for None."""
    if value in (None, ""):
        return ""
    if not isinstance(value, (int, float, Decimal)) or isinstance(value, bool):
        return str(value)  # already a label ("< 11", "masqué")
    return number_format(value, decimal_pos=decimals, use_l10n=True, force_grouping=True)


@register.filter
def days_since(value) -> int | None:
    if not value:
        return None
    return (timezone.localdate() - value).days


@register.filter
def days_until(value) -> int | None:
    if not value:
        return None
    return (value - timezone.localdate()).days


@register.filter
def relative_day(value: date | None) -> str:
    """« aujourd'hui », « il y a 3 jours », « dans 12 jours »."""
    if not value:
        return ""
    delta = (value - timezone.localdate()).days
    if delta == 0:
        return _("aujourd'hui")
    if delta == -1:
        return _("hier")
    if delta == 1:
        return _("demain")
    if delta < 0:
        return ngettext("il y a %(n)d jour", "il y a %(n)d jours", -delta) % {"n": -delta}
    return ngettext("dans %(n)d jour", "dans %(n)d jours", delta) % {"n": delta}


@register.simple_tag(takes_context=True)
def sort_header(context, key: str, label: str):
    """A sortable column header: a link that toggles the order, keeping the other query parameters."""
    request = context["request"]
    listing = context.get("listing")
    current = listing.sort if listing else ""
    params = request.GET.copy()
    params.pop("page", None)
    if current == key:
        params["tri"] = f"-{key}"
        state, aria = "asc", "ascending"
    elif current == f"-{key}":
        params["tri"] = key
        state, aria = "desc", "descending"
    else:
        params["tri"] = key
        state, aria = "", "none"
    return format_html(
        '<th scope="col" aria-sort="{}"><a class="sort sort--{}" href="?{}">{}</a></th>',
        aria, state or "none", params.urlencode(), label,
    )

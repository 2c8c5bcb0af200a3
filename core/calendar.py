"""French working days and the winter truce, for legal deadlines.

A deadline that falls on a Saturday, a Sunday or a public holiday moves to
the next working day (code de procédure civile, art. 642). The public
holidays are those of the code du travail, art. L3133-1 (the two extra days
of Alsace-Moselle are not applied).
"""

from __future__ import annotations

import calendar as _calendar
from datetime import date, timedelta
from functools import lru_cache


def easter_sunday(year: int) -> date:
    """Gregorian Easter (anonymous Gregorian algorithm, Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=64)
def public_holidays(year: int) -> frozenset[date]:
    easter = easter_sunday(year)
    return frozenset(
        {
            date(year, 1, 1),  # Jour de l'an
            easter + timedelta(days=1),  # Lundi de Pâques
            date(year, 5, 1),  # Fête du travail
            date(year, 5, 8),  # Victoire 1945
            easter + timedelta(days=39),  # Ascension
            easter + timedelta(days=50),  # Lundi de Pentecôte
            date(year, 7, 14),  # Fête nationale
            date(year, 8, 15),  # Assomption
            date(year, 11, 1),  # Toussaint
            date(year, 11, 11),  # Armistice
            date(year, 12, 25),  # Noël
        }
    )


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in public_holidays(day.year)


def next_working_day(day: date) -> date:
    """``day`` itself if it is a working day, else the next one."""
    while not is_working_day(day):
        day += timedelta(days=1)
    return day


def add_months(day: date, months: int) -> date:
    """Same day number ``months`` later, clamped to the month's last day (31/01 + 1 month = 28/02)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


# Trêve hivernale: no forced eviction from 1 November to 31 March inclusive
# (code des procédures civiles d'exécution, art. L412-6).
WINTER_TRUCE_START = (11, 1)
WINTER_TRUCE_END = (3, 31)


def in_winter_truce(day: date) -> bool:
    return (day.month, day.day) >= WINTER_TRUCE_START or (day.month, day.day) <= WINTER_TRUCE_END


def winter_truce_around(day: date) -> tuple[date, date]:
    """The truce period that contains ``day``, or the next one."""
    if (day.month, day.day) <= WINTER_TRUCE_END:
        return date(day.year - 1, *WINTER_TRUCE_START), date(day.year, *WINTER_TRUCE_END)
    return date(day.year, *WINTER_TRUCE_START), date(day.year + 1, *WINTER_TRUCE_END)


def first_day_eviction_possible(day: date) -> date:
    """``day`` moved past the winter truce if it falls inside it."""
    if in_winter_truce(day):
        return winter_truce_around(day)[1] + timedelta(days=1)
    return day

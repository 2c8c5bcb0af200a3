from datetime import date

import pytest

from core.calendar import (
    add_months,
    easter_sunday,
    first_day_eviction_possible,
    in_winter_truce,
    is_working_day,
    next_working_day,
    public_holidays,
)


@pytest.mark.parametrize(
    ("year", "expected"),
    [(2024, date(2024, 3, 31)), (2025, date(2025, 4, 20)), (2026, date(2026, 4, 5)), (2027, date(2027, 3, 28))],
)
def test_easter(year, expected):
    assert easter_sunday(year) == expected


def test_french_public_holidays_2026():
    assert public_holidays(2026) == {
        date(2026, 1, 1), date(2026, 4, 6), date(2026, 5, 1), date(2026, 5, 8), date(2026, 5, 14),
        date(2026, 5, 25), date(2026, 7, 14), date(2026, 8, 15), date(2026, 11, 1), date(2026, 11, 11),
        date(2026, 12, 25),
    }


def test_deadline_on_weekend_or_holiday_moves_to_next_working_day():
    assert next_working_day(date(2026, 11, 21)) == date(2026, 11, 23)  # Saturday -> Monday
    assert next_working_day(date(2026, 11, 11)) == date(2026, 11, 12)  # Armistice (Wednesday)
    assert next_working_day(date(2026, 12, 25)) == date(2026, 12, 28)  # Friday holiday -> Monday
    assert next_working_day(date(2026, 11, 24)) == date(2026, 11, 24)  # already a working day
    assert not is_working_day(date(2026, 4, 6))  # Easter Monday


def test_add_months_clamps_to_month_end():
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2024, 1, 31), 1) == date(2024, 2, 29)
    assert add_months(date(2026, 11, 30), 2) == date(2027, 1, 30)


def test_winter_truce_bounds():
    assert in_winter_truce(date(2026, 11, 1))
    assert in_winter_truce(date(2027, 3, 31))
    assert not in_winter_truce(date(2026, 10, 31))
    assert not in_winter_truce(date(2027, 4, 1))
    assert first_day_eviction_possible(date(2026, 12, 15)) == date(2027, 4, 1)
    assert first_day_eviction_possible(date(2027, 2, 1)) == date(2027, 4, 1)
    assert first_day_eviction_possible(date(2026, 6, 1)) == date(2026, 6, 1)

"""Small-count suppression: what a national analyst or a funder reads instead of 1 to 10."""

import pytest

from core.privacy import MASKED, SMALL, cell, small_count, suppress_row


def displays(cells):
    return [str(c) for c in cells]


@pytest.mark.parametrize(("count", "shown"), [(0, "0"), (1, "< 11"), (3, "< 11"), (10, "< 11"), (11, "11"), (250, "250"), (None, "—")])
def test_small_count_hides_one_to_ten(count, shown):
    assert small_count(count) == shown


def test_small_count_groups_thousands_the_french_way():
    assert small_count(4568) == "4\u202f568"


def test_a_suppressed_cell_keeps_no_value():
    hidden = cell(4)
    assert hidden.suppressed and hidden.value is None and str(hidden) == SMALL
    assert cell(4, suppress=False).value == 4


def test_row_without_small_cells_is_shown_whole():
    cells, total = suppress_row([12, 30, 0])
    assert displays(cells) == ["12", "30", "0"]
    assert str(total) == "42"


def test_one_small_cell_with_its_total_hides_the_next_smallest_too():
    cells, total = suppress_row([40, 3, 25, 0, 90])
    # 3 is small; without more, 158 − (40 + 25 + 0 + 90) gives it back: 25 goes too (0 protects nothing).
    assert displays(cells) == ["40", SMALL, str(MASKED), "0", "90"]
    assert str(total) == "158"
    assert [c.value for c in cells] == [40, None, None, 0, 90]


def test_two_small_cells_need_no_complement():
    cells, total = suppress_row([40, 3, 5, 90])
    assert displays(cells) == ["40", SMALL, SMALL, "90"]
    assert str(total) == "138"


def test_without_the_total_no_complement_is_needed():
    cells, total = suppress_row([40, 3, 25], with_total=False)
    assert displays(cells) == ["40", SMALL, "25"]
    assert total is None


def test_small_total_is_hidden_and_needs_no_complement():
    cells, total = suppress_row([0, 4, 0])
    assert displays(cells) == ["0", SMALL, "0"]
    assert str(total) == SMALL and total.value is None


def test_ties_hide_the_first_of_the_smallest():
    cells, _ = suppress_row([20, 2, 20])
    assert displays(cells) == [str(MASKED), SMALL, "20"]


def test_organisations_working_on_the_households_see_real_numbers():
    cells, total = suppress_row([40, 3, 25], suppress=False)
    assert displays(cells) == ["40", "3", "25"] and str(total) == "68"

"""Small-cell suppression: nothing under k shows, and what is hidden cannot be worked out.

The attacker knows every visible cell and total and that the cells add up to the totals. For each
hidden value we look for a second non-negative integer table that agrees with everything shown
but differs there; finding one proves the value cannot be recovered. The search tries values
within one of the true ones (a cycle of hidden values moved by one unit is enough when the
protection works); any table it finds is checked against every constraint, so a pass is real.
"""

from __future__ import annotations

from collections.abc import Iterator

from hypothesis import given, settings
from hypothesis import strategies as st

from salama.analytics.suppression import suppress
from salama.analytics.tables import INCIDENTS, TOTAL_AXIS, Axis, Table

Position = tuple[int, int]


def axis(dimension: str, size: int) -> Axis:
    keys = tuple(f"{dimension}{number}" for number in range(size))
    return Axis(dimension, dimension.title(), keys, keys)


def table_of(counts: list[list[int]], *, one_way: bool = False) -> Table:
    rows = [tuple(row) for row in counts]
    column_totals = tuple(sum(column) for column in zip(*rows, strict=True))
    return Table(
        INCIDENTS,
        axis("country", len(rows)),
        TOTAL_AXIS if one_way else axis("year", len(rows[0])),
        counts=tuple(rows),
        row_totals=tuple(sum(row) for row in rows),
        column_totals=column_totals,
        total=sum(column_totals),
    )


@st.composite
def tables(draw: st.DrawFn, *, most: int = 12) -> Table:
    one_way = draw(st.booleans())
    height = draw(st.integers(1, 4))
    width = 1 if one_way else draw(st.integers(1, 4))
    # Many zeros and small counts, where suppression has work to do.
    value = st.one_of(st.just(0), st.integers(1, 6), st.integers(0, most))
    counts = draw(st.lists(st.lists(value, min_size=width, max_size=width), min_size=height, max_size=height))
    return table_of(counts, one_way=one_way)


def value_at(table: Table, position: Position) -> int:
    row, column = position
    if position == (-1, -1):
        return table.total
    if row == -1:
        return table.column_totals[column]
    if column == -1:
        return table.row_totals[row]
    return table.counts[row][column]


def lines(table: Table) -> list[tuple[list[Position], Position]]:
    """(cells, their total): each row, each column, and the totals row and column."""
    height, width = len(table.rows.keys), len(table.columns.keys)
    found = [([(row, column) for column in range(width)], (row, -1)) for row in range(height)]
    found += [([(row, column) for row in range(height)], (-1, column)) for column in range(width)]
    found.append(([(row, -1) for row in range(height)], (-1, -1)))
    found.append(([(-1, column) for column in range(width)], (-1, -1)))
    return found


def alternative_completion(table: Table, target: Position, wanted: int) -> dict[Position, int] | None:
    """Values for the hidden positions, agreeing with everything shown and with target == wanted."""
    hidden = sorted(table.suppressed)
    domains = {
        position: [v for v in range(value_at(table, position) - 1, value_at(table, position) + 2) if v >= 1]
        for position in hidden
    }
    domains[target] = [wanted]
    constraints = lines(table)

    def consistent(assigned: dict[Position, int]) -> bool:
        for cells, total in constraints:
            # cells - total == 0: check the range still open to the unassigned ones
            low = high = 0
            for position, sign in [*((cell, 1) for cell in cells), (total, -1)]:
                if position in assigned:
                    low += sign * assigned[position]
                    high += sign * assigned[position]
                elif position in domains:
                    ends = (sign * min(domains[position]), sign * max(domains[position]))
                    low += min(ends)
                    high += max(ends)
                else:
                    low += sign * value_at(table, position)
                    high += sign * value_at(table, position)
            if not low <= 0 <= high:
                return False
        return True

    def search(index: int, assigned: dict[Position, int]) -> Iterator[dict[Position, int]]:
        if index == len(hidden):
            yield dict(assigned)
            return
        position = hidden[index]
        for candidate in domains[position]:
            assigned[position] = candidate
            if consistent(assigned):
                yield from search(index + 1, assigned)
            del assigned[position]

    for completion in search(0, {}):
        full = {position: completion.get(position, value_at(table, position)) for position in _all(table)}
        assert all(sum(full[cell] for cell in cells) == full[total] for cells, total in constraints)
        assert all(value >= 0 for value in full.values())
        assert all(completion[position] >= 1 for position in hidden)
        return completion
    return None


def _all(table: Table) -> list[Position]:
    rows = [*range(len(table.rows.keys)), -1]
    columns = [*range(len(table.columns.keys)), -1]
    return [(row, column) for row in rows for column in columns]


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(2, 6))
def test_no_visible_count_is_below_k_except_zero(table: Table, k: int) -> None:
    shown = suppress(table, k)
    for position in _all(shown):
        if position not in shown.suppressed:
            assert value_at(shown, position) == 0 or value_at(shown, position) >= k


@settings(max_examples=300, deadline=None)
@given(tables(), st.integers(2, 6))
def test_no_hidden_count_can_be_worked_out_from_the_totals(table: Table, k: int) -> None:
    shown = suppress(table, k)
    for position in shown.suppressed:
        true = value_at(shown, position)
        others = [v for v in (true - 1, true + 1) if v >= 1]
        assert any(alternative_completion(shown, position, other) for other in others), (
            f"{position} = {true} can be recovered from {shown}"
        )


@settings(max_examples=200, deadline=None)
@given(tables(), st.integers(2, 6))
def test_nothing_is_hidden_when_no_count_is_small(table: Table, k: int) -> None:
    raised = table_of([[0 if v == 0 else v + k for v in row] for row in table.counts], one_way=table.one_way)
    shown = suppress(raised, k)
    assert shown.suppressed == frozenset()
    assert shown == raised


def test_a_single_small_cell_takes_the_smallest_others_with_it() -> None:
    table = table_of([[2, 10, 30], [9, 40, 50], [20, 60, 70]])
    shown = suppress(table, 5)
    # 2 is small; 9 and 10 are the cheapest partners, and 40 closes the square.
    assert {(0, 0), (0, 1), (1, 0), (1, 1)} <= shown.suppressed
    assert (2, 2) not in shown.suppressed and (-1, -1) not in shown.suppressed
    assert shown.cell(0, 0) is None and shown.cell(2, 2) == 70
    assert any("1 count below 5 is hidden" in note for note in shown.notes)
    assert any("other counts are hidden" in note for note in shown.notes)


def test_two_joined_squares_are_not_left_with_a_bridge() -> None:
    """Every line has two hidden values, yet the cell joining two hidden squares is fixed by
    them: suppression must also close that cycle."""
    table = table_of([[1, 1, 9, 0], [1, 1, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])
    shown = suppress(table, 2)
    for position in shown.suppressed:
        true = value_at(shown, position)
        assert any(alternative_completion(shown, position, v) for v in (true - 1, true + 1) if v >= 1)


def test_a_small_total_is_hidden_with_its_row() -> None:
    table = table_of([[1, 2], [30, 40]])
    shown = suppress(table, 5)
    assert (0, -1) in shown.suppressed  # the row total, 3
    assert {(0, 0), (0, 1)} <= shown.suppressed


def test_k_of_one_hides_nothing() -> None:
    table = table_of([[1, 2], [3, 4]])
    assert suppress(table, 1) == table


def test_a_block_of_ones_is_not_given_away_by_knowing_hidden_counts_are_not_zero() -> None:
    """Rows 0 and 1 each leave 2 for their two hidden 1s: a reader who knows no hidden count is
    0 would read both as 1, unless more is hidden."""
    table = table_of([[1, 1, 10], [1, 1, 10], [10, 10, 10]])
    shown = suppress(table, 5)
    assert len(shown.suppressed) > 4
    for position in shown.suppressed:
        true = value_at(shown, position)
        assert any(alternative_completion(shown, position, v) for v in (true - 1, true + 1) if v >= 1)

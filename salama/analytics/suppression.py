"""Small-cell suppression of a `Table`: no count under k is shown, and no hidden count can be
worked out again from what is shown.

Primary suppression hides every count from 1 to k-1, totals included (0 is shown: it points at
nobody). Complementary suppression then hides more counts until each hidden one has an
alternative: someone who knows every visible cell and total, and that the cells add up to the
totals, still cannot tell its value.

The reasoning is on the table with its margins as one grid: rows 0..R-1 plus the totals row, and
columns 0..C-1 plus the totals column. Every line of that grid (a row with its total, a column
with its total, the totals row with the grand total) says "these cells add up to that total".
Hidden positions are edges of a bipartite graph between line nodes; a hidden value is fixed by
the visible ones exactly when its edge is a bridge of that graph (no cycle of hidden positions
runs through it). When every hidden value is at least 1 and no hidden edge is a bridge, moving
one unit around a cycle (+1, -1, +1, ...) gives another table that agrees with everything
shown, so each hidden value has at least two possible values. Complementary suppression
therefore removes bridges, each time choosing the smallest non-zero visible count that closes
a cycle (least information lost), until none is left.

Zeros are never hidden, so a reader knows every hidden count is at least 1. A block of hidden 1s
whose totals leave room for nothing else would then give itself away, although it has no
bridge; so each hidden count must also lie on a cycle along which the move by one unit keeps
every hidden count at least 1, and more is hidden until it does.

When an axis is multi-valued the totals are distinct counts, not sums; they are still treated as
sums here, which protects at least as much.

No database: plain data in, plain data out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from django.utils.translation import ngettext

from .tables import Table

Position = tuple[int, int]  # (row, column); -1 names the totals row or the totals column
TOTAL = -1
Node = tuple[str, int]  # ("r", row) or ("c", column): a line of the grid
Graph = dict[Node, list[Node]]  # each line's hidden positions, as the lines they cross


class _Grid:
    """The table and its margins, addressed by `Position`."""

    def __init__(self, table: Table) -> None:
        self.table = table
        self.row_ids = [*range(len(table.rows.keys)), TOTAL]
        self.column_ids = [*range(len(table.columns.keys)), TOTAL]

    def value(self, position: Position) -> int:
        row, column = position
        if row == TOTAL and column == TOTAL:
            return self.table.total
        if row == TOTAL:
            return self.table.column_totals[column]
        if column == TOTAL:
            return self.table.row_totals[row]
        return self.table.counts[row][column]

    def positions(self) -> Iterator[Position]:
        for row in self.row_ids:
            for column in self.column_ids:
                yield (row, column)

    def lines(self) -> Iterator[list[Position]]:
        """Each row with its total, each column with its total."""
        for row in self.row_ids:
            yield [(row, column) for column in self.column_ids]
        for column in self.column_ids:
            yield [(row, column) for row in self.row_ids]


def suppress(table: Table, k: int) -> Table:
    """The table with every count from 1 to k-1 hidden, and enough others that none of them can
    be recomputed from what is left; notes say how many and why."""
    if k <= 1:
        return table
    grid = _Grid(table)
    already = set(table.suppressed)
    primary = {position for position in grid.positions() if 0 < grid.value(position) < k} - already
    hidden = already | primary
    _protect(grid, hidden)
    complementary = hidden - primary - already
    if not primary and not complementary:
        return table
    return replace(
        table,
        suppressed=frozenset(hidden),
        notes=(*table.notes, *_notes(_shown_count(table, primary), _shown_count(table, complementary), k)),
    )


def _shown_count(table: Table, positions: set[Position]) -> int:
    """How many numbers a reader sees hidden: in a one-way table each row total is its cell."""
    if table.one_way:
        return sum(column != TOTAL for _row, column in positions)
    return len(positions)


def _notes(primary: int, complementary: int, k: int) -> list[str]:
    notes = []
    if primary:
        notes.append(
            ngettext(
                "%(count)d count below %(k)d is hidden, because so small a number could point to the people concerned.",
                "%(count)d counts below %(k)d are hidden, because numbers so small could point to the people "
                "concerned.",
                primary,
            )
            % {"count": primary, "k": k}
        )
    if complementary:
        notes.append(
            ngettext(
                "%(count)d other count is hidden so that the small ones cannot be worked out from the totals.",
                "%(count)d other counts are hidden so that the small ones cannot be worked out from the totals.",
                complementary,
            )
            % {"count": complementary}
        )
    return notes


def _protect(grid: _Grid, hidden: set[Position]) -> None:
    """Complementary suppression, in place: hide more until no hidden position is a bridge, and
    each hidden count can move along a cycle with every hidden count staying at least 1."""
    movable: set[Position] = set()  # hiding more only adds cycles: once movable, always movable
    while True:
        if _hide_beside_a_lonely_one(grid, hidden):
            continue
        bridges = _bridges(hidden)
        if bridges:
            extra = _closing_cell(grid, hidden, bridges[0])
        else:
            graph = _node_edges(hidden)
            weak = None
            for position in sorted(hidden - movable):
                if not _movable(grid, graph, position):
                    weak = position
                    break
                movable.add(position)
            if weak is None:
                return
            extra = _strengthening_cell(grid, hidden, weak)
        if extra is None:
            # Hiding every non-zero count, the grand total included, always protects: each count
            # can then grow by one together with its row total, column total and grand total.
            hidden.update(position for position in grid.positions() if grid.value(position))
            return
        hidden.add(extra)


def _count_change(position: Position, step: int) -> int:
    """How a count moves when its position moves by `step` around a cycle. In the grid's
    equations a row or column total stands on the other side from its cells, so it moves the
    other way; the grand total is on the cells' side of both."""
    row, column = position
    return -step if (row == TOTAL) != (column == TOTAL) else step


def _may_move(grid: _Grid, position: Position, step: int) -> bool:
    """Zeros are never hidden, so a reader knows each hidden count is at least 1: a move that
    takes one to 0 is not an alternative they would believe."""
    return _count_change(position, step) > 0 or grid.value(position) >= 2


def _movable(grid: _Grid, graph: Graph, position: Position) -> bool:
    """Whether a cycle of hidden positions runs through this one along which every count can
    move by one unit (one way or the other) and every hidden count stays at least 1: then the
    count has another possible value, even to a reader who knows no hidden count is 0. Around
    the cycle the moves alternate, so a position entered from its column moves opposite to this
    one, and one entered from its row the same way: a search from this column back to this row."""
    row, column = position
    for step in (1, -1):
        if not _may_move(grid, position, step):
            continue
        seen = {("c", column)}
        todo = [("c", column)]
        while todo:
            node = todo.pop()
            for other in graph.get(node, []):
                edge = _position(node, other)
                moves = -step if node[0] == "c" else step
                if other in seen or edge == position or not _may_move(grid, edge, moves):
                    continue
                if other == ("r", row):
                    return True
                seen.add(other)
                todo.append(other)
    return False


def _strengthening_cell(grid: _Grid, hidden: set[Position], weak: Position) -> Position | None:
    """The smallest non-zero visible count whose hiding lets the weak one move; failing that,
    the smallest one on its row or column (the next rounds carry on from it)."""
    visible = sorted(
        (position for position in grid.positions() if position not in hidden and grid.value(position)),
        key=lambda position: _cost(grid, hidden, position),
    )
    graph = _node_edges(hidden)
    for candidate in visible:
        row_node, column_node = ("r", candidate[0]), ("c", candidate[1])
        graph.setdefault(row_node, []).append(column_node)
        graph.setdefault(column_node, []).append(row_node)
        movable = _movable(grid, graph, weak)
        graph[row_node].pop()
        graph[column_node].pop()
        if movable:
            return candidate
    row, column = weak
    beside = [position for position in visible if position[0] == row or position[1] == column]
    return beside[0] if beside else None


def _hide_beside_a_lonely_one(grid: _Grid, hidden: set[Position]) -> bool:
    """A line with one hidden value gives it away (total minus the rest): hide the line's
    smallest non-zero visible value too. One at a time, as each may settle other lines."""
    for line in grid.lines():
        if sum(position in hidden for position in line) != 1:
            continue
        candidates = [position for position in line if position not in hidden and grid.value(position)]
        if candidates:  # a lonely non-zero value always leaves one: its total, or a cell of it
            hidden.add(min(candidates, key=lambda position: _cost(grid, hidden, position)))
            return True
    return False


def _cost(grid: _Grid, hidden: set[Position], position: Position) -> tuple[int, int, int]:
    """Smallest count first; then one whose crossing line already has a hidden value (it settles
    two lines at once); then an inner cell rather than a total."""
    row, column = position
    crossing = sum((r, column) in hidden for r in grid.row_ids) + sum((row, c) in hidden for c in grid.column_ids)
    return (grid.value(position), 0 if crossing else 1, 1 if TOTAL in position else 0)


def _node_edges(hidden: set[Position]) -> Graph:
    graph: Graph = {}
    for row, column in hidden:
        graph.setdefault(("r", row), []).append(("c", column))
        graph.setdefault(("c", column), []).append(("r", row))
    return graph


def _bridges(hidden: set[Position]) -> list[Position]:
    """Hidden positions on no cycle of hidden positions (Tarjan's bridges, iteratively), in a
    stable order so that the result does not depend on set iteration."""
    graph = _node_edges(hidden)
    for neighbours in graph.values():
        neighbours.sort()
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    found: list[Position] = []
    for root in sorted(graph):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[tuple[tuple[str, int], tuple[str, int] | None, Iterator[tuple[str, int]]]] = [
            (root, None, iter(graph[root]))
        ]
        while stack:
            node, parent, remaining = stack[-1]
            step = next(remaining, None)
            if step is None:
                stack.pop()
                if parent is not None:
                    low[parent] = min(low[parent], low[node])
                    if low[node] > order[parent]:
                        found.append(_position(parent, node))
                continue
            if step == parent:
                continue  # one edge per pair of nodes, so skipping the parent skips that edge only
            if step in order:
                low[node] = min(low[node], order[step])
            else:
                order[step] = low[step] = len(order)
                stack.append((step, node, iter(graph[step])))
    return sorted(found)


def _position(a: tuple[str, int], b: tuple[str, int]) -> Position:
    row, column = (a, b) if a[0] == "r" else (b, a)
    return (row[1], column[1])


def _side(hidden: set[Position], start: tuple[str, int], cut: Position) -> set[tuple[str, int]]:
    """The nodes reached from start through hidden positions other than the cut one."""
    graph = _node_edges(hidden - {cut})
    seen = {start}
    todo = [start]
    while todo:
        for step in graph.get(todo.pop(), []):
            if step not in seen:
                seen.add(step)
                todo.append(step)
    return seen


def _closing_cell(grid: _Grid, hidden: set[Position], bridge: Position) -> Position | None:
    """The smallest non-zero visible value joining the two sides of a bridge (a cycle through it);
    failing that, the smallest one leaving either side (the next rounds carry on from it)."""
    rows_side = _side(hidden, ("r", bridge[0]), bridge)
    columns_side = _side(hidden, ("c", bridge[1]), bridge)
    visible = [position for position in grid.positions() if position not in hidden and grid.value(position)]

    def joins(position: Position) -> bool:
        row, column = ("r", position[0]), ("c", position[1])
        return (row in rows_side and column in columns_side) or (row in columns_side and column in rows_side)

    def leaves(position: Position) -> bool:
        row, column = ("r", position[0]), ("c", position[1])
        return len({row, column} & (rows_side | columns_side)) == 1

    for wanted in (joins, leaves):
        candidates = [position for position in visible if wanted(position)]
        if candidates:
            return min(candidates, key=lambda position: _cost(grid, hidden, position))
    return None

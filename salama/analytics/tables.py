"""The shape every aggregate takes between the query that counts and whatever shows it: the
pages, the charts, the exports, the API and the printed report all read a `Table`.

Counts are of one explicit unit (incidents, victims or acts). A dimension can hold several
values for one unit (an incident with two violation types): the unit is then counted under each
value, so the cells of a row or column can add up to more than its total. Totals are always the
distinct count, never the sum of the cells; `multi_valued` says when the two can differ, and the
table's notes say so in words.

No Django model imports here: pure data, so the renderers and the suppression can be tested alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

INCIDENTS, VICTIMS, ACTS = "incidents", "victims", "acts"
UNITS = (INCIDENTS, VICTIMS, ACTS)
# The units the response-effectiveness tables count (salama.analytics.effectiveness); not
# offered by the analysis of incidents, whose units are UNITS.
REFERRALS, RESPONSES, FOLLOW_UPS = "referrals", "responses", "follow_ups"
RESPONSE_UNITS = (REFERRALS, RESPONSES, FOLLOW_UPS)


@dataclass(frozen=True)
class Axis:
    """One dimension of a table: its code (e.g. "country", "year", "violation"), its label, and
    the values shown, in display order, each with its code and its label."""

    dimension: str
    label: str
    keys: tuple[str, ...]
    labels: tuple[str, ...]
    multi_valued: bool = False  # one unit may fall under several of its values

    def __post_init__(self) -> None:
        if len(self.keys) != len(self.labels):
            raise ValueError("an axis has one label per key")


# The one column of a table that counts along a single dimension.
TOTAL_AXIS = Axis("total", "", ("total",), ("",))


@dataclass(frozen=True)
class Table:
    unit: str
    rows: Axis
    columns: Axis = TOTAL_AXIS
    # counts[r][c]: units under row value r and column value c.
    counts: tuple[tuple[int, ...], ...] = ()
    # Distinct units per row, per column, and in all (not sums when an axis is multi-valued).
    row_totals: tuple[int, ...] = ()
    column_totals: tuple[int, ...] = ()
    total: int = 0
    # Cells hidden by small-cell suppression, as (row, column) positions; totals hidden the
    # same way use the column index -1 (a row total) or the row index -1 (a column total).
    suppressed: frozenset[tuple[int, int]] = frozenset()
    notes: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        if self.unit not in UNITS and self.unit not in RESPONSE_UNITS:
            raise ValueError(f"unknown unit {self.unit}")
        if len(self.counts) != len(self.rows.keys) or any(len(r) != len(self.columns.keys) for r in self.counts):
            raise ValueError("counts must be rows x columns")
        if len(self.row_totals) != len(self.rows.keys) or len(self.column_totals) != len(self.columns.keys):
            raise ValueError("one total per row and per column")

    @property
    def one_way(self) -> bool:
        return self.columns is TOTAL_AXIS or self.columns.dimension == "total"

    def cell(self, row: int, column: int) -> int | None:
        """The count, or None when it is suppressed."""
        return None if (row, column) in self.suppressed else self.counts[row][column]

    def with_suppressed(self, cells: frozenset[tuple[int, int]], notes: Sequence[str] = ()) -> Table:
        return replace(self, suppressed=self.suppressed | cells, notes=(*self.notes, *notes))

"""Paging long lists.

A deep page of a plain `LIMIT 25 OFFSET n` makes the database read every row before it. Here the
page's primary keys are found first, with a query that only needs the list's index (an index-only
scan when the index covers the filter and the order), and then only those 25 rows are read, with
the list's joins, annotations and prefetches.

A list whose filters are subqueries (`pk IN (SELECT ...)`) passes `rows`: the same list without
its filters. Each subquery's result is then built once per request: one ordered query takes the
first COUNT_CAP + 1 keys, which give both the count and the page, and the 25 rows are read by
primary key alone. Counting, finding the keys and reading the rows through the filtered list
would build the subqueries' results three times.

A list may also pass `keys`: its keys in its order from a table kept for that purpose (the
violation and country list keys, kept by database triggers), when the filter would otherwise
make the database look up and sort every matching row to find the first COUNT_CAP + 1 (see
`merged_keys`). Such keys may repeat (an incident under two narrower violations of the term
asked for) and repeat only next to each other, since the order ends with the key; each is kept
once.

Counting stops at COUNT_CAP rows: an exact count of 700,000 matching incidents costs seconds and
tells a person nothing that "more than 10,000" does not; what they need is a narrower filter.
Pages past the cap are not offered.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from typing import Any

from django.core.paginator import Page, Paginator
from django.db import connections
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils.functional import cached_property

COUNT_CAP = 10_000

KeySource = Callable[[int], list[str]]
"""A list's first `limit` keys in its order, as text (see `merged_keys`)."""


class KeysFirstPaginator(Paginator):
    """`count_in_order`: count along the list's order. For a list whose filters are one range of
    its ordering index, the capped count then stops after COUNT_CAP rows from the newest end;
    without an order the database may start from the other end of the range and read rows
    that the filter rejects. Other lists count unordered: no sort is needed to count."""

    object_list: QuerySet[Any]

    def __init__(
        self,
        *args: Any,
        count_in_order: bool = False,
        rows: QuerySet[Any] | None = None,
        keys: KeySource | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.count_in_order = count_in_order
        # The keys come from the filtered list (or `keys`, which must check the same access);
        # `rows` must check it too.
        self.rows = rows if rows is not None or keys is None else self.object_list
        self.keys = keys

    @cached_property
    def _capped_keys(self) -> list[Any] | None:
        """With `rows` or `keys`: the first COUNT_CAP + 1 keys in the list's order, from one
        query, as text (see `_as_text`)."""
        if self.keys is not None:
            return _first_keys(self.keys, COUNT_CAP + 1)
        if self.rows is None:
            return None
        return list(self.object_list.values_list(_as_text("pk"), flat=True)[: COUNT_CAP + 1])

    @cached_property
    def count(self) -> int:
        if self._capped_keys is not None:
            return len(self._capped_keys)
        keys = self.object_list if self.count_in_order else self.object_list.order_by()
        return int(keys.values("pk")[: COUNT_CAP + 1].count())

    @property
    def capped(self) -> bool:
        """More rows match than were counted: the last page offered is not the end."""
        return self.count > COUNT_CAP

    def page(self, number: Any) -> Page:
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        if self._capped_keys is not None and self.rows is not None:
            key_of = self.object_list.model._meta.pk.to_python
            keys = [key_of(key) for key in self._capped_keys[bottom:top]]
            source = self.rows
        else:
            keys = list(self.object_list.values_list("pk", flat=True)[bottom:top])
            source = self.object_list
        rows = {row.pk: row for row in source.filter(pk__in=keys)}
        return Page([rows[key] for key in keys if key in rows], number, self)


def _first_keys(keys: KeySource, wanted: int) -> list[str]:
    """The first `wanted` distinct keys. A repeat always follows its first appearance directly.
    Plain LIMIT queries, widened when repeats left too few: an iterator would open a server-side
    cursor on PostgreSQL, which outside a transaction materialises the whole result first."""
    limit = wanted + wanted // 4  # room for the usual repeats, so that one query is enough
    while True:
        found = keys(limit)
        distinct = [key for n, key in enumerate(found) if n == 0 or key != found[n - 1]]
        if len(distinct) >= wanted or len(found) < limit:
            return distinct[:wanted]
        limit *= 2


def merged_keys(parts: Sequence[QuerySet[Any]], key: str, order: Sequence[str]) -> KeySource:
    """The keys (the column `key`) of the rows of all `parts`, as one list in `order` (names,
    "-" for descending), for `KeysFirstPaginator`.

    Each part is meant to be one range of an index that holds `order`, such as the list keys of
    one violation term: a roll-up to a broader term has one part per term. PostgreSQL reads the
    first `limit` keys of each part in order and merges them as it goes (a Merge Append of index
    scans), so it stops after `limit` rows; a single query over all the terms (an IN list)
    would read and sort every matching row first. SQLite cannot order the members of a
    compound query: there the parts are read as one query, which it sorts."""
    columns = [name.lstrip("-") for name in order]

    def first(limit: int) -> list[str]:
        text = _as_text(key)
        if len(parts) == 1 or not connections[parts[0].db].features.supports_slicing_ordering_in_compound:
            together = functools.reduce(operator.or_, parts)
            return list(together.order_by(*order).values_list(text, flat=True)[:limit])
        ordered = [part.order_by(*order).values_list(text, *columns)[:limit] for part in parts]
        return _first_column(ordered[0].union(*ordered[1:], all=True).order_by(*order)[:limit], order)

    return first


def _first_column(merged: QuerySet[Any], order: Sequence[str]) -> list[str]:
    """The first column of `merged`, whose other columns are `order`'s, read in that order.
    The merge needs the ordering columns in its result, but only the keys come back to Python:
    turning ten thousand dates, timestamps and UUIDs into objects took several times as long
    as the merge itself."""
    sql, params = merged.query.sql_with_params()
    names = [f"o{n}" for n in range(len(order))]
    sort = ", ".join(
        f"{name}{' DESC' if field.startswith('-') else ''}" for name, field in zip(names, order, strict=True)
    )
    # Only generated names are interpolated; values stay parameters.
    outer = f"SELECT list_key FROM ({sql}) AS merged (list_key, {', '.join(names)}) ORDER BY {sort}"  # noqa: S608
    with connections[merged.db].cursor() as cursor:
        cursor.execute(outer, params)
        return [row[0] for row in cursor.fetchall()]


def _as_text(field: str) -> Cast:
    """A key read as text. Counting reads up to COUNT_CAP + 1 keys and the page needs 25 of
    them: turning ten thousand text columns into UUID objects took longer than the query, and
    left that many objects for the cycle collector. The page's keys are converted alone."""
    return Cast(field, output_field=CharField())

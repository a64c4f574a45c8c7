"""Inserting many new rows of one model at once: one prepared statement sent with many
parameter sets, or on PostgreSQL one COPY (`_send`).

`bulk_create` compiles a multi-row INSERT for each few dozen rows (SQLite caps the parameters
of one statement) and walks every value through the SQL compiler: for an import of thousands of
rows that bookkeeping cost more than the encryption. `insert_rows` writes what bulk_create
writes (each field's `pre_save` value, prepared for the database: encrypted fields seal and
fill their blind indexes there) in one statement for the whole batch.

As with bulk_create, no signal is sent and `save()` is not called: callers are the batch writers
(imports, the audit chain's writer) that do by hand what a save would do.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from django.db import connections, router
from django.db.models import AutoField, Field, JSONField, Model
from django.utils import timezone

from salama.core.countries import stored_code

# Parameter sets per executemany: bounds the memory of the prepared values, not the speed.
CHUNK = 2_000
_NOT_YET = object()


class JSONText(str):
    """A JSON document already encoded, for a JSON column: written as it is, not encoded again
    (the audit writer encodes an entry's changes once, for its hash and for its column). Both
    databases read a JSON column's text as the document."""

    @classmethod
    def of(cls, value: Any) -> JSONText:
        """`value` encoded as a JSONField without an encoder of its own encodes it, without the
        field's conversion and wrapper per value (revisions of an import: two documents a row)."""
        return cls(json.dumps(value))


def preparer(field: Field[Any, Any], connection: Any) -> Callable[[Any], Any]:
    """`field.get_db_prep_save`, done once for each distinct value: a batch's organisation,
    author, kind, country or timestamp repeats on every row, and Django's conversion of a value
    costs more than looking it up. Keyed on the value's class as well, since True == 1 and
    1 == 1.0 would otherwise share an entry. Values that cannot be keys (lists, mappings), JSON
    documents (whose True and 1 differ) and primary keys (which never repeat) are converted
    each time; a JSONText is taken as it is."""
    convert = field.get_db_prep_save
    if isinstance(field, JSONField):
        return lambda value: str(value) if isinstance(value, JSONText) else convert(value, connection)
    if field.primary_key:
        return lambda value: convert(value, connection)
    done: dict[tuple[type, Any], Any] = {}

    def prepare(value: Any) -> Any:
        key = (value.__class__, value)
        try:
            prepared = done.get(key, _NOT_YET)
        except TypeError:  # not hashable
            return convert(value, connection)
        # A miss is tested rather than caught: sealed values never repeat, so most fields of an
        # encrypted record miss on every row.
        if prepared is _NOT_YET:
            prepared = done[key] = convert(value, connection)
        return prepared

    return prepare


def insert_rows(model: type[Model], objects: Sequence[Model]) -> None:
    """Insert `objects` (new instances of `model`) and mark them saved. An automatic primary key
    left empty on every object is filled by the database and not read back."""
    if not objects:
        return
    alias = router.db_for_write(model)
    connection = connections[alias]
    meta = model._meta
    fields = list(meta.concrete_fields)
    missing = [getattr(obj, meta.pk.attname) is None for obj in objects]
    if all(missing) and isinstance(meta.pk, AutoField):
        fields.remove(meta.pk)
    elif any(missing):
        raise ValueError("insert_rows takes objects whose primary key is set, or an automatic one on none")

    readers = [_value_reader(field, objects) for field in fields]

    def rows() -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(objects), CHUNK):
            # Fresh for each chunk, so that values that never repeat are not kept for the batch.
            steps = [(read, preparer(field, connection)) for read, field in zip(readers, fields, strict=True)]
            for obj in objects[start : start + CHUNK]:
                yield tuple(prepare(pre_save(obj, True)) for pre_save, prepare in steps)

    _send(connection, meta.db_table, [field.column for field in fields], rows())
    for obj in objects:
        obj._state.adding = False
        obj._state.db = alias


def _value_reader(field: Field[Any, Any], objects: Sequence[Model]) -> Callable[[Model, bool], Any]:
    """`field.pre_save`, or what it would give, read more cheaply:
    - an automatic timestamp (auto_now, auto_now_add) is one moment for the whole insert, taken
      from the first object, as the rows share one statement; each distinct moment would
      otherwise be converted for the database again, row after row;
    - a country is the code stored on the object: django-countries' pre_save builds a Country
      object, with a lookup, to turn it back into that same code."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        moment = field.pre_save(objects[0], True)

        def stamp(obj: Model, add: bool) -> Any:
            setattr(obj, field.attname, moment)
            return moment

        return stamp
    code = stored_code(field)
    if code is not None:
        return lambda obj, add: code(obj)
    return field.pre_save


def insert_values(
    model: type[Model],
    varying: tuple[str, ...],
    rows: Iterable[tuple[Any, ...]],
    *,
    ready: Collection[str] = (),
    ignore_conflicts: bool = False,
    **constants: Any,
) -> None:
    """INSERT `rows` (values of the `varying` columns, by attname, taken as they come) with every
    other column set to the given constant, the field's default or, for an automatic timestamp,
    the moment of the statement, without building model instances: for writers of thousands of
    plain rows (a tick's emergencies, an alert's deliveries, an import's records). Each distinct
    value is converted for the database once (`preparer`), but in the `ready` columns: their
    values are texts or integers (or None) made by the writer as the column stores them
    (envelopes, blind indexes, hashes), new on every row, which Django's conversion would
    return unchanged at a cost. `ignore_conflicts` leaves rows already there alone (`ON
    CONFLICT DO NOTHING`, which SQLite and PostgreSQL both read)."""
    if not set(ready) <= set(varying):
        raise ValueError(f"ready columns must be varying ones: {sorted(set(ready) - set(varying))}")
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
    by_name = {f.attname: f for f in fields}
    fixed = [f for f in fields if f.attname not in varying]
    now = timezone.now()  # automatic timestamps: one moment for the statement, as in insert_rows
    fixed_values = [f.get_db_prep_save(constants.get(f.attname, _default(f, now)), connection) for f in fixed]

    def prepared() -> Iterator[list[Any]]:
        remaining = iter(rows)
        while chunk := list(islice(remaining, CHUNK)):
            # Fresh for each chunk, as in insert_rows.
            preparers = [_as_it_is if name in ready else preparer(by_name[name], connection) for name in varying]
            for row in chunk:
                yield [prepare(value) for prepare, value in zip(preparers, row, strict=True)] + fixed_values

    columns = [by_name[name].column for name in varying] + [f.column for f in fixed]
    _send(connection, model._meta.db_table, columns, prepared(), ignore_conflicts=ignore_conflicts)


def _as_it_is(value: Any) -> Any:
    return value


def _default(field: Field[Any, Any], now: datetime) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    return field.get_default()


def _send(
    connection: Any,
    table: str,
    columns: list[str],
    rows: Iterator[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> None:
    """Write prepared rows, taken from `rows` as they are made. PostgreSQL takes them through
    one COPY: its driver otherwise sends each parameter set as a statement of its own, which the
    server parses and plans again, row after row, while this process waits (half an import's
    time). The COPY streams: the server stores rows already sent while the next ones are sealed
    and prepared here, rather than all of them once the last is ready. SQLite, and inserts that
    must leave conflicting rows alone, which COPY cannot, take one prepared INSERT sent with
    each chunk's parameter sets."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    # Table and column names come from the model, never from input.
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and not ignore_conflicts:
            with cursor.cursor.copy(f"COPY {quote(table)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        placeholders = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})"  # noqa: S608
        if ignore_conflicts:
            sql += " ON CONFLICT DO NOTHING"
        while chunk := list(islice(rows, CHUNK)):
            cursor.executemany(sql, chunk)

"""Inserting many new rows of one model in one statement sent with many parameter sets.

`bulk_create` compiles a multi-row INSERT for each few dozen rows (SQLite caps the parameters
of one statement) and walks every value through the SQL compiler: for an import of thousands of
rows that bookkeeping cost more than the encryption. `insert_rows` writes what bulk_create
writes (each field's `pre_save` value, prepared for the database: encrypted fields seal and
fill their blind indexes there) with one `executemany` of one prepared statement.

As with bulk_create, no signal is sent and `save()` is not called: callers are the batch writers
(imports, the audit chain's writer) that do by hand what a save would do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import AutoField, Model

# Parameter sets per executemany: bounds the memory of the prepared values, not the speed.
CHUNK = 2_000


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
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Table and column names come from the model, never from input.
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    with connection.cursor() as cursor:
        for start in range(0, len(objects), CHUNK):
            chunk = objects[start : start + CHUNK]
            values = [
                tuple(field.get_db_prep_save(field.pre_save(obj, True), connection) for field in fields)
                for obj in chunk
            ]
            cursor.executemany(sql, values)
    for obj in objects:
        obj._state.adding = False
        obj._state.db = alias


def insert_values(
    model: type[Model],
    varying: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    *,
    ignore_conflicts: bool = False,
    **constants: Any,
) -> None:
    """INSERT `rows` (values of the `varying` columns, by attname) with every other column set
    to the given constant or the field's default, without building model instances: for writers
    of thousands of plain rows (a tick's emergencies, an alert's deliveries). Each distinct value
    is converted for the database once. `ignore_conflicts` leaves rows already there alone
    (`ON CONFLICT DO NOTHING`, which SQLite and PostgreSQL both read)."""
    connection = connections[router.db_for_write(model)]
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, AutoField)]
    by_name = {f.attname: f for f in fields}
    fixed = [f for f in fields if f.attname not in varying]
    fixed_values = [f.get_db_prep_save(constants.get(f.attname, f.get_default()), connection) for f in fixed]
    converted: list[dict[Any, Any]] = [{} for _ in varying]

    def prepared(row: tuple[Any, ...]) -> list[Any]:
        values = []
        for index, value in enumerate(row):
            cache = converted[index]
            if value not in cache:
                cache[value] = by_name[varying[index]].get_db_prep_save(value, connection)
            values.append(cache[value])
        return values + fixed_values

    quote = connection.ops.quote_name
    columns = ", ".join(quote(by_name[name].column) for name in varying)
    columns += "".join(", " + quote(f.column) for f in fixed)
    placeholders = ", ".join(["%s"] * (len(varying) + len(fixed)))
    # Table and column names come from the model, never from input.
    sql = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
    if ignore_conflicts:
        sql += " ON CONFLICT DO NOTHING"
    with connection.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, [prepared(row) for row in rows[start : start + CHUNK]])

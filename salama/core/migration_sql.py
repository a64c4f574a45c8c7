"""Running SQL that differs between the two supported databases from a migration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def per_vendor(statements: dict[str, list[str]]) -> Callable[[Any, Any], None]:
    """A RunPython function that executes the statements of the database in use: RunSQL cannot
    depend on the database, and triggers are written differently for SQLite and PostgreSQL."""

    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


def pg_recompute_trigger_function(name: str, recompute: str, column: str) -> str:
    """A PostgreSQL row-trigger function that calls `recompute(key)` for the row's `column`,
    before and after the change: for derived rows rebuilt whole per record (a few rows each)
    rather than patched, which is hard to get right when two source rows share a value."""
    return f"""
CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM {recompute}(OLD.{column});
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM {recompute}(NEW.{column});
    END IF;
    RETURN NULL;
END
$$;
"""

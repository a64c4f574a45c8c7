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

"""Raw SQL against the audit table, as someone with direct database access would send it."""

from __future__ import annotations

from django.db import connection

from salama.audit.models import AuditEntry

TABLE = AuditEntry._meta.db_table
TRIGGER = "audit_entry_append_only"


def sql(statement: str, params: list | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement, params or [])


def lift_the_database_guard() -> None:
    """On PostgreSQL, disable the append-only trigger for the rest of the test's transaction
    (it returns when the transaction rolls back), as the table's owner could."""
    if connection.vendor == "postgresql":
        # Django's foreign keys are checked at commit; ALTER TABLE needs those checks done first.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
        sql(f"ALTER TABLE {TABLE} DISABLE TRIGGER {TRIGGER}")
        sql("SET CONSTRAINTS ALL DEFERRED")

"""What can be imported: every kind of record, by code. The wizard, the batches and the saved
mappings name a kind by its code; how a kind reads, checks and writes rows is in its module."""

from __future__ import annotations

from salama.core.permissions import role_can

from .defender_import import DEFENDERS
from .incident_import import INCIDENTS
from .rows import ImportKind

KINDS: dict[str, ImportKind] = {kind.code: kind for kind in (DEFENDERS, INCIDENTS)}


def importable_by(role: str | None) -> list[ImportKind]:
    return [kind for kind in KINDS.values() if role_can(role, kind.permission)]

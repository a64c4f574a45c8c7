"""The shipped directory data (`actors.json`) and the idempotent loader.

`load_actors()` is called by a data migration and by `salama directory load`. An entry is
created when its slug is new, updated when the shipped data changed since it was last loaded
(compared by a hash of the entry), and left alone when a platform operator edited it in Salama
(`edited_locally`): shipped data never overwrites a local correction.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ACTORS_FILE = Path(__file__).with_name("actors.json")

# The fields an entry of actors.json may set; everything else in an entry is rejected.
SHIPPED_FIELDS = (
    "name",
    "kind",
    "offers",
    "regions",
    "countries",
    "serves",
    "languages",
    "response_time_hours",
    "how_to_reach",
    "website",
    "eligibility",
    "sources",
    "active",
    "notes",
)


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept_local: list[str] = field(default_factory=list)


def shipped_entries(path: Path = ACTORS_FILE) -> list[dict[str, Any]]:
    document = json.loads(path.read_text(encoding="utf-8"))
    return list(document["actors"])


def entry_hash(entry: dict[str, Any]) -> str:
    canonical = json.dumps(entry, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def entry_values(entry: dict[str, Any], model: Any = None) -> dict[str, Any]:
    """The entry's values for the model. A migration passes its historical model, which may not
    have a field added later (the migration adding it fills it in)."""
    values = {name: entry[name] for name in SHIPPED_FIELDS if name in entry}
    values["response_time_hours"] = entry.get("response_time_hours")
    if model is not None:
        known = {field.name for field in model._meta.get_fields()}
        values = {name: value for name, value in values.items() if name in known}
    return values


def load_actors(model: Any = None, path: Path = ACTORS_FILE) -> LoadReport:
    """Create or refresh the shipped actors. `model` lets a data migration pass its historical model."""
    if model is None:
        from salama.directory.models import ProtectionActor

        model = ProtectionActor
    report = LoadReport()
    for entry in shipped_entries(path):
        slug = entry["slug"]
        digest = entry_hash(entry)
        actor = model.objects.filter(slug=slug).first()
        if actor is None:
            model.objects.create(slug=slug, shipped_hash=digest, **entry_values(entry, model))
            report.created.append(slug)
        elif actor.edited_locally:
            report.kept_local.append(slug)
        elif actor.shipped_hash == digest:
            report.unchanged.append(slug)
        else:
            for name, value in entry_values(entry, model).items():
                setattr(actor, name, value)
            actor.shipped_hash = digest
            actor.save()
            report.updated.append(slug)
    return report

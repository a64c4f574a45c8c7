"""Every change made by imports goes through these functions.

Rows are written through the defenders' own actions (do_create_defender, do_update_defender),
so each imported row is checked, audited and encrypted exactly as if typed in a form. Batch
bookkeeping (progress, counts) is written with UPDATEs that leave the sealed file alone.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.audit.actions import record
from salama.core.encryption import key_store
from salama.core.jobs import enqueue
from salama.core.permissions import require, role_can
from salama.orgs.models import Membership

from .kinds import KINDS, ImportKind, RowResult, validate
from .models import ImportBatch, SavedMapping
from .reading import read_file

# Above this many rows to write, an import runs as a background job with progress.
BACKGROUND_THRESHOLD = 500
LOGGABLE = ("kind", "rows", "created", "updated", "skipped", "state")


def _same_org(membership: Membership, batch: ImportBatch) -> None:
    if batch.organization_id != membership.organization_id:
        raise PermissionDenied


def kind_of(batch: ImportBatch) -> ImportKind:
    return KINDS[batch.kind]


@transaction.atomic
def do_upload(actor: Membership, kind: str, name: str, content: bytes) -> ImportBatch:
    """Raises reading.FileError when the file cannot be read as a whole."""
    import_kind = KINDS[kind]
    require(actor, import_kind.permission)
    table = read_file(name, content)
    batch = ImportBatch(
        organization=actor.organization,
        kind=kind,
        file_name=name[:200],
        table=table,  # type: ignore[misc]  # encrypted JSON: typed as its text column
        row_count=len(table["rows"]),
        created_by=actor.user,
    )
    batch.save()
    record(
        "import.uploaded",
        actor=actor.user,
        organization=actor.organization,
        target=("import_batch", batch.pk),
        changes={"kind": (None, kind), "rows": (None, batch.row_count)},
        loggable=LOGGABLE,
    )
    return batch


def _open_batch(actor: Membership, batch: ImportBatch) -> None:
    require(actor, kind_of(batch).permission)
    _same_org(actor, batch)
    if not batch.is_open:
        raise ValidationError(_("This import has already run or was cancelled."))


@transaction.atomic
def do_set_mapping(actor: Membership, batch: ImportBatch, mapping: dict[str, str], save_as: str = "") -> ImportBatch:
    _open_batch(actor, batch)
    headers = batch.table.get("headers", [])
    mapping = {name: column for name, column in mapping.items() if column and column in headers}
    ImportBatch.objects.filter(pk=batch.pk).update(mapping=mapping, state=ImportBatch.State.MAPPED)
    batch.mapping, batch.state = mapping, ImportBatch.State.MAPPED
    if save_as:
        SavedMapping.objects.update_or_create(
            organization=actor.organization,
            kind=batch.kind,
            name=save_as,
            defaults={"mapping": mapping, "created_by": actor.user},
        )
    return batch


@transaction.atomic
def do_set_vocab_map(actor: Membership, batch: ImportBatch, choices: dict[str, dict[str, str]]) -> ImportBatch:
    """Only choices a person made: an unknown value is never turned into a new term."""
    _open_batch(actor, batch)
    merged: dict[str, dict[str, str]] = {name: dict(values) for name, values in batch.vocab_map.items()}
    for name, values in choices.items():
        merged.setdefault(name, {}).update({raw.casefold(): code for raw, code in values.items() if code})
    ImportBatch.objects.filter(pk=batch.pk).update(vocab_map=merged)
    batch.vocab_map = merged
    return batch


def preview(batch: ImportBatch) -> list[RowResult]:
    return validate(kind_of(batch), batch.table, batch.mapping, batch.vocab_map)


def _shred(batch: ImportBatch) -> None:
    """Drops the sealed file and destroys its data key once this commits."""
    org_id, key_id = str(batch.organization_id), batch.data_key_id
    ImportBatch.objects.filter(pk=batch.pk).update(table="", file_name="", data_key_id="", shredded=True)
    if key_id:
        transaction.on_commit(lambda: key_store().destroy_data_key(org_id, key_id))


@transaction.atomic
def do_cancel(actor: Membership, batch: ImportBatch) -> None:
    _open_batch(actor, batch)
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.CANCELLED, finished_at=timezone.now())
    _shred(batch)
    record(
        "import.cancelled",
        actor=actor.user,
        organization=actor.organization,
        target=("import_batch", batch.pk),
        changes={"kind": (None, batch.kind)},
        loggable=LOGGABLE,
    )


def do_start_import(actor: Membership, batch: ImportBatch) -> bool:
    """Imports the valid rows; True when it runs in the background."""
    _open_batch(actor, batch)
    valid = sum(1 for result in preview(batch) if not result.errors)
    if valid == 0:
        raise ValidationError(_("No row is ready to import: correct the file or the choices and try again."))
    background = valid > BACKGROUND_THRESHOLD
    with transaction.atomic():
        # Conditional, so a double submit starts the import once.
        started = ImportBatch.objects.filter(
            pk=batch.pk, state__in=[ImportBatch.State.UPLOADED, ImportBatch.State.MAPPED]
        )
        if not started.update(state=ImportBatch.State.QUEUED, total=valid, done=0):
            raise ValidationError(_("This import has already run or was cancelled."))
        if background:
            enqueue("transfer.import", {"batch": str(batch.pk)})
    if not background:
        run_import(str(batch.pk))
    return background


def run_import(batch_id: str) -> None:
    """Writes the valid rows, resuming after the last one recorded as done (a crashed worker
    picks up where it stopped); the file is shredded once every row is written."""
    batch = ImportBatch.objects.select_related("organization").get(pk=batch_id)
    if batch.state not in (ImportBatch.State.QUEUED, ImportBatch.State.RUNNING):
        return
    ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.RUNNING)
    kind = kind_of(batch)
    actor = Membership.objects.filter(organization=batch.organization, user=batch.created_by).first()
    if actor is None or not role_can(actor.role, kind.permission):
        # Whoever started it has lost the right to import since: nothing more is written.
        with transaction.atomic():
            ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.FAILED, finished_at=timezone.now())
            _shred(batch)
        return
    results = preview(batch)
    valid = [result for result in results if not result.errors]
    for position, result in enumerate(valid):
        if position < batch.done:
            continue
        with transaction.atomic():
            outcome = kind.write(actor, result.values)
            counter = "created_count" if outcome == "created" else "updated_count"
            ImportBatch.objects.filter(pk=batch.pk).update(done=position + 1, **{counter: F(counter) + 1})
    with transaction.atomic():
        skipped = len(results) - len(valid)
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportBatch.State.DONE, skipped_count=skipped, finished_at=timezone.now()
        )
        batch.refresh_from_db(fields=["created_count", "updated_count"])
        _shred(batch)
        record(
            "import.completed",
            actor=actor.user,
            organization=batch.organization,
            target=("import_batch", batch.pk),
            changes={
                "kind": (None, batch.kind),
                "created": (None, batch.created_count),
                "updated": (None, batch.updated_count),
                "skipped": (None, skipped),
            },
            loggable=LOGGABLE,
        )


def summary(batch: ImportBatch, results: list[RowResult]) -> dict[str, Any]:
    """What confirming would do: the dry run, counted."""
    kind = kind_of(batch)
    valid = [result for result in results if not result.errors]
    existing = kind.exists(batch.organization, [result.external_id for result in valid])
    updates = sum(1 for result in valid if result.external_id in existing)
    return {
        "total": len(results),
        "valid": len(valid),
        "invalid": len(results) - len(valid),
        "creates": len(valid) - updates,
        "updates": updates,
        "background": len(valid) > BACKGROUND_THRESHOLD,
    }

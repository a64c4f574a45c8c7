"""Every change made by imports goes through these functions.

Rows are written through each kind's own actions (do_create_defender, do_record_incident...),
so each imported row is checked, audited and encrypted exactly as if typed in a form. Rows are
checked and written as whoever uploaded the file: their need to know decides which cases and
defenders a row may name. Batch bookkeeping (progress, counts) is written with UPDATEs of the
batch row alone: they neither re-seal the batch's file name nor touch the file, which lives in
a row of its own (models.ImportFile).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.audit.actions import record
from salama.core.encryption import key_store
from salama.core.jobs import enqueue
from salama.core.permissions import require, role_can
from salama.orgs.models import Membership

from .kinds import KINDS
from .models import ImportBatch, ImportFile, SavedMapping
from .reading import read_file
from .rows import ImportKind, RowResult, usable_fixed, validate

# Above this many rows to write, an import runs as a background job with progress.
BACKGROUND_THRESHOLD = 500
# Rows written per transaction: enough to batch key creation and inserts, few enough that the
# progress bar moves (about a second each) and a crash repeats little. Each transaction also
# updates the batch's progress: a small row, the file being kept in another.
CHUNK_ROWS = 2_000
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
        row_count=len(table["rows"]),
        created_by=actor.user,
    )
    batch.save()
    ImportFile(
        organization=actor.organization,
        batch=batch,
        table=table,  # type: ignore[misc]  # encrypted JSON: typed as its text column
    ).save()
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
def do_set_mapping(
    actor: Membership,
    batch: ImportBatch,
    mapping: dict[str, str],
    save_as: str = "",
    fixed: dict[str, str] | None = None,
) -> ImportBatch:
    """`fixed`: a value every row takes, for fields no column fills (the case of a whole file)."""
    _open_batch(actor, batch)
    headers = batch.table.get("headers", [])
    mapping = {name: column for name, column in mapping.items() if column and column in headers}
    fixed = {name: value for name, value in usable_fixed(kind_of(batch), fixed or {}).items() if name not in mapping}
    ImportBatch.objects.filter(pk=batch.pk).update(mapping=mapping, fixed=fixed, state=ImportBatch.State.MAPPED)
    batch.mapping, batch.fixed, batch.state = mapping, fixed, ImportBatch.State.MAPPED
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


def writer(batch: ImportBatch) -> Membership | None:
    """Whoever uploaded the file, while they may still import its kind: rows are written as them."""
    if batch.created_by_id is None:
        return None
    actor = Membership.objects.filter(organization_id=batch.organization_id, user_id=batch.created_by_id).first()
    if actor is None or not role_can(actor.role, kind_of(batch).permission):
        return None
    return actor


def preview(batch: ImportBatch) -> list[RowResult]:
    actor = writer(batch)
    if actor is None:
        message = _("Whoever uploaded this file may no longer import it. Upload it again.")
        return [RowResult(number=offset + 2, errors=[message]) for offset in range(len(batch.table.get("rows", [])))]
    return validate(kind_of(batch), batch.table, batch.mapping, batch.vocab_map, actor, batch.fixed)


def _shred(batch: ImportBatch) -> None:
    """Deletes the sealed file and blanks the batch's file name; once this commits, the data keys
    of both are destroyed, so no copy of the database can read them again."""
    # Deleting the file destroys its data key on commit (shred_data_key, on every encrypted
    # model), which needs only the key's columns: the file itself is not read again.
    ImportFile.objects.filter(batch_id=batch.pk).only("organization_id", "data_key_id").delete()
    org_id, key_id = str(batch.organization_id), batch.data_key_id
    ImportBatch.objects.filter(pk=batch.pk).update(file_name="", data_key_id="", shredded=True)
    batch.shredded = True  # so that batch.table answers {} from this object too
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
    actor = writer(batch)
    if actor is None:
        # Whoever started it has lost the right to import since: nothing more is written.
        with transaction.atomic():
            ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.FAILED, finished_at=timezone.now())
            _shred(batch)
        return
    with _set_aside_from_collection():
        results = preview(batch)
        valid = [result for result in results if not result.errors]
        for start in range(batch.done, len(valid), CHUNK_ROWS):
            _write_rows(batch, kind, actor, valid[start : start + CHUNK_ROWS], start)
            gc.collect(1)  # what the run left in reference cycles
    with transaction.atomic():
        ImportBatch.objects.filter(pk=batch.pk).update(
            state=ImportBatch.State.DONE,
            skipped_count=F("skipped_count") + len(results) - len(valid),
            finished_at=timezone.now(),
        )
        batch.refresh_from_db(fields=["created_count", "updated_count", "skipped_count"])
        skipped = batch.skipped_count
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


@contextmanager
def _set_aside_from_collection() -> Iterator[None]:
    """The file's table and its checked rows (hundreds of thousands of objects for a large file)
    live as long as the import. Python's cycle collector would walk all of them again on each of
    its full passes, a growing share of the import's time. So what exists when the import
    starts is set aside from collection (gc.freeze) until it ends, and automatic collection is
    paused. A run makes hundreds of thousands of short-lived objects, which set the collector
    off hundreds of times a run, although almost all of them are freed as soon as the run ends.
    The caller collects the young generations after each run instead. That finds any cycle a
    run left, and walks the checked rows once. Only cycles among what was set aside wait for
    the end to be collected."""
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()


def _count(batch: ImportBatch, done: int, outcomes: list[str]) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        done=done,
        created_count=F("created_count") + outcomes.count("created"),
        updated_count=F("updated_count") + outcomes.count("updated"),
        skipped_count=F("skipped_count") + outcomes.count("skipped"),
    )


def _write_rows(batch: ImportBatch, kind: ImportKind, actor: Membership, rows: list[RowResult], start: int) -> None:
    """Rows and their progress in one transaction, so a worker that crashes writes no row twice."""
    try:
        with transaction.atomic():
            _count(batch, start + len(rows), kind.write(actor, [result.values for result in rows]))
    except (ValidationError, PermissionDenied, Http404):
        # Something changed since the preview (a case left the importer's need to know, a row
        # limit was reached): the run is written again in halves, down to single rows where
        # needed, and only the rows refused are left out. Halving finds one refused row in a
        # run of a thousand in about twenty writes rather than a thousand.
        if len(rows) == 1:
            with transaction.atomic():
                _count(batch, start + 1, ["skipped"])
            return
        half = len(rows) // 2
        _write_rows(batch, kind, actor, rows[:half], start)
        _write_rows(batch, kind, actor, rows[half:], start + half)


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

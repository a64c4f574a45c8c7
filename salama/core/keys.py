"""Key rotation for operators (`salama keys ...`), over the key store and the encrypted models."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import transaction

from salama.crypto import RotationProgress, create_root_key, load_root_key

from .encryption import EncryptedModel, key_store, reset_key_store

Report = Callable[[str, int, int], None]  # (what, done, total)


def encrypted_models() -> list[type[EncryptedModel]]:
    return [m for m in apps.get_models() if issubclass(m, EncryptedModel)]


def organisations_with_data() -> list[str]:
    ids: set[str] = set()
    for model in encrypted_models():
        ids.update(str(pk) for pk in model._default_manager.values_list("organization_id", flat=True).distinct())
    return sorted(ids)


def rotate_org_keys(report: Report, batch_size: int = 500) -> list[RotationProgress]:
    """A new key version for every organisation; data keys re-wrapped in batches. Safe to run
    again after an interruption: each organisation continues where it stopped."""
    store = key_store()
    organisations = sorted(set(organisations_with_data()) | set(store.pending_rotations()))
    results = []
    for number, org_id in enumerate(organisations, start=1):
        results.append(store.rotate_org_key(org_id, batch_size=batch_size))
        report("organisation keys", number, len(organisations))
    return results


def reencrypt_records(report: Report, batch_size: int = 200) -> int:
    """Give every encrypted record a new data key and re-seal it; the old key is destroyed once
    the record is saved. Records are handled in batches, each its own transaction, in primary
    key order, so a run that is stopped can simply be started again."""
    store = key_store()
    total = sum(m._default_manager.count() for m in encrypted_models())
    done = 0
    for model in encrypted_models():
        for batch in _batches(model, batch_size):
            with transaction.atomic():
                for record in batch:
                    old = record.data_key_id
                    for field in record.encrypted_fields():
                        getattr(record, field.attname)  # open under the old key first
                    record.data_key_id = ""
                    record.save()
                    transaction.on_commit(partial(store.destroy_data_key, str(record.organization_id), old))
            done += len(batch)
            report("records", done, total)
    return done


def _batches(model: type[EncryptedModel], size: int) -> Iterator[list[EncryptedModel]]:
    last = None
    while True:
        query = model._default_manager.order_by("pk")
        if last is not None:
            query = query.filter(pk__gt=last)
        batch = list(query[:size])
        if not batch:
            return
        last = batch[-1].pk
        yield batch


def rotate_root_key(report: Report) -> Path:
    """Re-wrap every organisation key under a new root key file, then put it in place. The old
    file is kept beside it, as `root.key.old`, until the operator has a backup of the new one."""
    current = Path(settings.ROOT_KEY_FILE)
    fresh = current.with_name(current.name + ".new")
    new_key = load_root_key(fresh) if fresh.exists() else create_root_key(fresh)
    count = key_store().rewrap_org_keys(new_key)
    report("root key", count, count)
    old = current.with_name(current.name + ".old")
    current.replace(old)
    fresh.replace(current)
    reset_key_store()
    return old

"""Field encryption throughput: a 200-byte field, its data key cached by the key store.

Seal and unseal go through the key store lookup, as a model field would, so the figures include
the cache hit. Creating a data key commits to the key store with a full fsync; it is measured
separately because imports create one per record.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from salama.crypto import Context, SQLiteKeyStore, blind_index, create_root_key, index_bits, seal, unseal

FIELD_BYTES = 200
OPERATIONS = 20_000
NEW_KEYS = 200


def per_second(count: int, seconds: float) -> float:
    return round(count / seconds, 1)


def run() -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="salama-bench-crypto-") as directory:
        keys = Path(directory) / "keys"
        store = SQLiteKeyStore(keys / "keystore.sqlite3", create_root_key(keys / "root.key"))
        org = "org-a"
        key_id, _key = store.new_data_key(org)
        where = Context(org, "defenders.Defender", "notes", 1)
        plaintext = os.urandom(FIELD_BYTES)

        def lookup(kid: str) -> bytes:
            return store.data_key(org, kid)

        envelope = seal(lookup(key_id), key_id, plaintext, where)  # warm-up
        start = time.perf_counter()
        for _ in range(OPERATIONS):
            envelope = seal(lookup(key_id), key_id, plaintext, where)
        sealing = time.perf_counter() - start

        start = time.perf_counter()
        for _ in range(OPERATIONS):
            opened = unseal(lookup, envelope, where)
        opening = time.perf_counter() - start
        assert opened == plaintext

        index_key, bits = store.index_key(org), index_bits(50_000)
        start = time.perf_counter()
        for _ in range(OPERATIONS):
            blind_index(index_key, "defenders.Defender.phone", "+57 (300) 123-4567", "phone", bits)
        indexing = time.perf_counter() - start

        start = time.perf_counter()
        for _ in range(NEW_KEYS):
            store.new_data_key(org)
        creating = time.perf_counter() - start
        store.close()

    return {
        "encryptions_per_s": per_second(OPERATIONS, sealing),
        "decryptions_per_s": per_second(OPERATIONS, opening),
        "blind_indexes_per_s": per_second(OPERATIONS, indexing),
        "new_data_keys_per_s": per_second(NEW_KEYS, creating),
        "envelope_chars": len(envelope),
    }

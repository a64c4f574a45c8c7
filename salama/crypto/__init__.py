"""Envelope encryption and blind indexes for Salama's sensitive fields (ARCHITECTURE.md s.4).

No Django here: this package is plain Python on `cryptography` and `sqlite3`, so it can be
reviewed, tested and reused on its own.

Key hierarchy:

    root key            32 random bytes in a 0600 key file (SALAMA_DATA_DIR/keys/ or
                        SALAMA_ROOT_KEY_FILE); never in any database
      org key           one per organisation, versioned (rotatable), wrapped by the root key
        data key        one per record or file, wrapped by its organisation's key; destroying
                        it crypto-shreds the record, old copies of the main database included
      index key         one per organisation, wrapped by the root key; per-field blind-index
                        keys are derived from it with HKDF

Wrapped keys live in the key store (`SQLiteKeyStore`, its own file), apart from the main
database: a copy of the main database alone decrypts nothing, and neither does the key store
without the root key file.

Use:

    store = SQLiteKeyStore(data_dir / "keys" / "keystore.sqlite3", load_root_key(key_file))
    key_id, key = store.new_data_key(org_id)            # before writing the record
    where = Context(org_id, "defenders.Defender", "phone", pk, version=1)
    stored = seal(key, key_id, b"+57 300 123 4567", where)
    phone = unseal(lambda kid: store.data_key(org_id, kid), stored, where)
    bucket = blind_index(store.index_key(org_id), "defenders.Defender.phone", "+573001234567", "phone",
                         index_bits(50_000))

Every failure to open a value raises `DecryptionError` (`KeyDestroyed` when its key was
shredded); nothing ever falls back to returning stored bytes.
"""

from .blind import KINDS, Kind, NothingToIndex, blind_index, coincidences, field_index_key, index_bits, normalise
from .envelope import (
    Context,
    DecryptionError,
    Envelope,
    KeyLookup,
    SealingKey,
    pack,
    parse_envelope,
    seal,
    unseal,
)
from .keys import KeyFileError, create_root_key, generate_key, load_or_create_root_key, load_root_key, new_key_id
from .keystore import (
    KeyDestroyed,
    KeyStore,
    KeyStoreError,
    RotationProgress,
    SQLiteKeyStore,
    root_key_fingerprint,
)

__all__ = [
    "KINDS",
    "Context",
    "DecryptionError",
    "Envelope",
    "KeyDestroyed",
    "KeyFileError",
    "KeyLookup",
    "KeyStore",
    "KeyStoreError",
    "Kind",
    "NothingToIndex",
    "RotationProgress",
    "SQLiteKeyStore",
    "SealingKey",
    "blind_index",
    "coincidences",
    "create_root_key",
    "field_index_key",
    "generate_key",
    "index_bits",
    "load_or_create_root_key",
    "load_root_key",
    "new_key_id",
    "normalise",
    "pack",
    "parse_envelope",
    "root_key_fingerprint",
    "seal",
    "unseal",
]

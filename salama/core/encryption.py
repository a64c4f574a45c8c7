"""Encrypted model fields, on top of `salama.crypto` (ARCHITECTURE.md section 4).

A model with sensitive fields subclasses `EncryptedModel`. Its encrypted fields read and write
like ordinary fields: `defender.legal_name = "..."`, `defender.save()`, `defender.legal_name`.
In the database each holds an envelope sealed with the record's own data key, bound to
`organisation | model | field | primary key | record version`; the data key lives, wrapped, in
the key store apart from the main database.

- Primary keys are UUIDs made before the first save, because the key binds to them.
- Every save re-seals every encrypted field under the new record version, so an old ciphertext
  copied back into a row no longer opens (fail closed).
- Reading a value that does not authenticate raises `DecryptionError`; nothing falls back to the
  stored bytes.
- `blind_index=KIND` adds a companion column `<name>_bidx` for exact-match search (see
  `blind_search`).
- Deleting a record, one by one or in bulk, destroys its data key once the deletion commits
  (crypto-shredding; `shred_data_key` is connected to every encrypted model in CoreConfig.ready).
"""

from __future__ import annotations

import functools
import json
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models, transaction

from salama.core.bulk import insert_values
from salama.core.values import is_blank
from salama.crypto import (
    Context,
    DecryptionError,
    KeyStore,
    KeyStoreError,
    Kind,
    NothingToIndex,
    SealingKey,
    SQLiteKeyStore,
    blind_index,
    index_bits,
    load_or_create_root_key,
    normalise,
    unseal,
)

__all__ = ["DecryptionError", "EncryptedJSONField", "EncryptedModel", "EncryptedTextField", "blind_search", "key_store"]

_store: KeyStore | None = None
_store_lock = threading.Lock()


def key_store() -> KeyStore:
    """The process's key store, opened on first use from the settings."""
    global _store
    if _store is not None:
        # Read on every sealed field: once open, the store is taken without the lock.
        return _store
    with _store_lock:
        if _store is None:
            root_file = Path(settings.ROOT_KEY_FILE)
            halfway = [
                p
                for p in (root_file.with_name(root_file.name + ".new"), root_file.with_name(root_file.name + ".old"))
                if p.exists()
            ]
            if not root_file.exists() and halfway:
                # A root key replacement stopped halfway: making a fresh key now would lock every
                # record out for good. The operator puts the right file back (docs/operations.md).
                raise KeyStoreError(
                    f"{root_file} is missing but {halfway[0]} exists: finish the root key rotation first."
                )
            root = load_or_create_root_key(root_file)
            _store = SQLiteKeyStore(settings.KEYSTORE_PATH, root)
        return _store


def reset_key_store() -> None:
    """Forget the open key store (tests, and after the root key file changes)."""
    global _store
    with _store_lock:
        if _store is not None:
            _store.close()
        _store = None


# Where a record keeps the maker of its fields' contexts (EncryptedModel.field_contexts).
CONTEXTS = "_contexts_of_record"


class Stored(str):
    """An envelope as read from the database, as opposed to a value someone assigned."""


class EncryptedField(models.TextField):
    """Base of the encrypted fields: the column holds an envelope; the attribute, the value."""

    def __init__(self, *args: Any, blind_index: str | None = None, index_rows: int = 100_000, **kwargs: Any) -> None:
        self.blind_kind = blind_index
        self.index_rows = index_rows
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs["editable"] = kwargs.get("editable", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.blind_kind:
            kwargs["blind_index"] = self.blind_kind
            kwargs["index_rows"] = self.index_rows
        return name, path, args, kwargs

    def contribute_to_class(self, cls: type[models.Model], name: str, private_only: bool = False) -> None:
        super().contribute_to_class(cls, name, private_only)
        setattr(cls, self.attname, _SealedAttribute(self))
        # Migration states (module "__fake__") list the companion column as a field of its own.
        if self.blind_kind and not cls._meta.abstract and cls.__module__ != "__fake__":
            index: models.BigIntegerField[int | None, int | None] = models.BigIntegerField(
                null=True, blank=True, editable=False, db_index=True
            )
            cls.add_to_class(f"{name}_bidx", index)

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        return Stored(value) if value else value

    # Conversions between the value and the bytes that are sealed.
    def to_bytes(self, value: Any) -> bytes:
        return str(value).encode()

    def from_bytes(self, data: bytes) -> Any:
        return data.decode()

    def is_empty(self, value: Any) -> bool:
        return is_blank(value)

    def empty(self) -> Any:
        return ""

    @functools.cached_property
    def blind_bits(self) -> int:
        """The blind index's width, from the rows the field expects (crypto.blind.index_bits)."""
        return index_bits(self.index_rows)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        instance: EncryptedModel = model_instance  # type: ignore[assignment]
        value = getattr(instance, self.attname)
        if self.blind_kind:
            setattr(instance, f"{self.name}_bidx", instance.blind_value(self, value))
        if self.is_empty(value):
            return ""
        return self.seal(value, instance.sealing_key(), instance.field_contexts())

    def seal(self, value: Any, key: SealingKey, contexts: Callable[[str], Context]) -> str:
        """What the column holds for `value`: its envelope, or "" for an empty value.
        `contexts` gives the record's contexts by field (Context.of_record): none is made for
        an empty value, and most of an imported row's protected fields are empty."""
        return "" if self.is_empty(value) else key.seal(self.to_bytes(value), contexts(self.name))


class EncryptedTextField(EncryptedField):
    pass


class EncryptedJSONField(EncryptedField):
    """A list or mapping (aliases, addresses, relatives), sealed as one JSON document."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", list)
        super().__init__(*args, **kwargs)

    def to_bytes(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, sort_keys=True).encode()

    def from_bytes(self, data: bytes) -> Any:
        return json.loads(data)

    def empty(self) -> Any:
        return self.get_default()


class _SealedAttribute:
    """Opens the stored envelope on first read and keeps the value on the instance."""

    def __init__(self, field: EncryptedField) -> None:
        self.field = field
        self.cache_name = f"_plain_{field.attname}"

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        if self.cache_name in instance.__dict__:
            return instance.__dict__[self.cache_name]
        stored = instance.__dict__.get(self.field.attname)
        if not stored:
            value = self.field.empty()
        else:
            value = self.field.from_bytes(instance.open_value(self.field.name, stored))
        instance.__dict__[self.cache_name] = value
        return value

    def __set__(self, instance: Any, value: Any) -> None:
        if isinstance(value, Stored):
            instance.__dict__[self.field.attname] = value
            instance.__dict__.pop(self.cache_name, None)
        else:
            instance.__dict__[self.field.attname] = None
            instance.__dict__[self.cache_name] = value


class EncryptedModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    data_key_id = models.CharField(max_length=32, editable=False, blank=True)
    # Bumped by every save and bound into every ciphertext: a stale ciphertext never opens.
    record_version = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Open every value under the current version before the version moves on.
        for field in self.encrypted_fields():
            getattr(self, field.attname)
        if not self.data_key_id:
            self.data_key_id, _key = key_store().new_data_key(str(self.organization_id))
        self.record_version += 1
        if kwargs.get("update_fields") is not None:
            kwargs["update_fields"] = {*kwargs["update_fields"], "record_version", *self._sealed_columns()}
        super().save(*args, **kwargs)

    def encrypted_fields(self) -> list[EncryptedField]:
        return [f for f in self._meta.concrete_fields if isinstance(f, EncryptedField)]

    def crypto_context(self, field_name: str) -> Context:
        return self.field_contexts()(field_name)

    def field_contexts(self) -> Callable[[str], Context]:
        """Context.of_record for this record as it is now: made once for all the fields it
        seals or opens, and again if its ids or its version change."""
        org_id, pk, version = self.organization_id, self.id, self.record_version
        known = self.__dict__.get(CONTEXTS)
        if known is not None and known[0] is org_id and known[1] is pk and known[2] == version:
            return known[3]
        contexts = Context.of_record(str(org_id), self._meta.label, str(pk), version)
        self.__dict__[CONTEXTS] = (org_id, pk, version, contexts)
        return contexts

    def data_key(self) -> tuple[str, bytes]:
        return self.data_key_id, key_store().data_key(str(self.organization_id), self.data_key_id)

    def sealing_key(self) -> SealingKey:
        """The data key, ready to seal all of the record's fields."""
        key_id, key = self.data_key()
        return SealingKey(key, key_id)

    def open_value(self, field_name: str, envelope: str) -> bytes:
        keys = {self.data_key_id: key_store().data_key(str(self.organization_id), self.data_key_id)}
        return unseal(keys, envelope, self.crypto_context(field_name))

    def blind_value(self, field: EncryptedField, value: Any) -> int | None:
        return _blind_value(key_store().index_key(str(self.organization_id)), self._meta.label, field, value)

    def _sealed_columns(self) -> list[str]:
        columns = []
        for field in self.encrypted_fields():
            columns.append(field.attname)
            if field.blind_kind:
                columns.append(f"{field.name}_bidx")
        return columns


def _blind_value(index_key: bytes, model_label: str, field: EncryptedField, value: Any) -> int | None:
    if field.is_empty(value) or not field.blind_kind:
        return None
    kind: Kind = field.blind_kind  # type: ignore[assignment]
    try:
        return blind_index(index_key, f"{model_label}.{field.name}", str(value), kind, field.blind_bits)
    except NothingToIndex:
        return None


def create_many_values(
    model: type[EncryptedModel],
    organization_id: Any,
    varying: tuple[str, ...],
    rows: Sequence[tuple[Any, ...]],
    **constants: Any,
) -> list[uuid.UUID]:
    """Insert new encrypted records of one organisation at once (an import), given as rows of
    values (of the `varying` columns, by attname), every other column being the given constant
    or the field's default, without building a model instance each. Each record gets its id,
    its own data key (all of them made in one key-store write rather than one durable write
    each) and version 1, and its encrypted fields are sealed, with the key just made, and
    indexed as a save would (EncryptedField.seal, the same contexts). Returns the new records'
    ids, in order."""
    if not rows:
        return []
    org_id, label = str(organization_id), model._meta.label
    encrypted = {field.attname: field for field in model._meta.concrete_fields if isinstance(field, EncryptedField)}
    for name, field in encrypted.items():
        if name not in varying:
            if not field.is_empty(constants.get(name, field.get_default())):
                raise ValueError(f"{name} is sealed record by record: give it among the varying columns")
            constants[name] = ""  # what an empty encrypted field holds (EncryptedField.seal)
    sealed = [(position, encrypted[name]) for position, name in enumerate(varying) if name in encrypted]
    indexed = [(position, field) for position, field in sealed if field.blind_kind]
    index_key = key_store().index_key(org_id) if indexed else b""
    keys = key_store().new_data_keys(org_id, len(rows))
    ids: list[uuid.UUID] = []

    def sealed_rows() -> Iterator[tuple[Any, ...]]:
        # Sealed as they are sent: the database stores the first rows while the next are sealed.
        for row, (key_id, key) in zip(rows, keys, strict=True):
            pk = uuid.uuid4()
            contexts, sealer = Context.of_record(org_id, label, str(pk), 1), SealingKey(key, key_id)
            values = list(row)
            for position, field in sealed:
                values[position] = field.seal(row[position], sealer, contexts)
            indexes = [_blind_value(index_key, label, field, row[position]) for position, field in indexed]
            ids.append(pk)
            yield (pk, key_id, 1, *values, *indexes)

    indexes = tuple(f"{field.name}_bidx" for _position, field in indexed)
    columns = ("id", "data_key_id", "record_version", *varying, *indexes)
    made_here = ("data_key_id", *(field.attname for _position, field in sealed), *indexes)
    insert_values(model, columns, sealed_rows(), ready=made_here, organization_id=organization_id, **constants)
    return ids


def shred_data_key(sender: type[models.Model], instance: EncryptedModel, **kwargs: Any) -> None:
    """Connected to post_delete of every encrypted model: once the deletion commits, its data key
    is destroyed, so the record cannot be read again even from an old database copy."""
    org_id, data_key_id = str(instance.organization_id), instance.data_key_id
    if data_key_id:
        transaction.on_commit(lambda: key_store().destroy_data_key(org_id, data_key_id))


def blind_search(queryset: models.QuerySet[Any], organization_id: Any, field_name: str, value: str) -> list[Any]:
    """Records of one organisation whose encrypted field equals `value` once normalised.

    The blind index narrows the search to a few candidates (several records share each index
    value by design); each candidate is then opened and compared, so the answer is exact.
    """
    model = queryset.model
    field: EncryptedField = model._meta.get_field(field_name)
    probe = model(organization_id=organization_id)
    index = probe.blind_value(field, value)
    if index is None:
        return []
    wanted = normalise(value, field.blind_kind)  # type: ignore[arg-type]
    candidates = queryset.filter(organization_id=organization_id, **{f"{field_name}_bidx": index})
    return [c for c in candidates if normalise(str(getattr(c, field_name)), field.blind_kind) == wanted]  # type: ignore[arg-type]


def with_presence(queryset: models.QuerySet[Any], names: Sequence[str]) -> models.QuerySet[Any]:
    """Annotate `has_<name>` for each encrypted field, read from the column (an empty field is
    stored as ""), so pages and the API say what is set without opening anything."""
    flags: dict[str, Any] = {
        f"has_{name}": models.ExpressionWrapper(~models.Q(**{name: ""}), output_field=models.BooleanField())
        for name in names
    }
    return queryset.annotate(**flags)

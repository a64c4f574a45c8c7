"""AES-256-GCM envelopes: one encrypted field value, self-describing, bound to where it lives.

Layout (ASCII text, so it fits a TEXT column and survives dumps, JSON and CSV unchanged):

    v1.<key id>.<payload>

    v1        format version: AES-256-GCM, 96-bit random nonce, 128-bit tag, base64url.
              Any other version is refused, never guessed at.
    key id    16 lowercase hex characters naming the data key in the key store.
    payload   unpadded base64url (RFC 4648 section 5) of
              nonce (12 bytes) || ciphertext (len(plaintext) bytes) || tag (16 bytes).

So an envelope is 20 + ceil(4 * (len(plaintext) + 28) / 3) characters; 200 bytes of plaintext
take 324.

Associated data, authenticated but not stored:

    pack("salama.envelope.v1", key id) || pack("salama.context.v1", org, model, field, pk, version)

where `pack` writes each part as a 4-byte big-endian length followed by its UTF-8 bytes. Length
prefixes make the encoding injective: ("a|b", "c") and ("a", "b|c") give different bytes. A
ciphertext copied to another row, field, model, organisation or version, or relabelled with
another key id, therefore fails to authenticate.

Fail closed: `unseal` returns authenticated plaintext or raises `DecryptionError`. It never
returns stored bytes and never lets a parsing or library error escape as another type.

Nonces are random, so the usual bound applies: at most 2**32 encryptions per key. Data keys are
per record (a handful of fields, rewritten now and then), far below it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import NamedTuple
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from .keys import KEY_BYTES, KEY_ID_PATTERN

VERSION = "v1"
NONCE_BYTES = 12
TAG_BYTES = 16

_PAYLOAD = re.compile(r"[A-Za-z0-9_-]+")

KeyLookup = Mapping[str, bytes] | Callable[[str], bytes]
"""A key id -> key mapping, or a function that raises LookupError (or DecryptionError) for an
unknown id. A function's other errors (a locked key store, say) propagate unchanged: they are
not about the envelope, and the caller may retry."""


class DecryptionError(Exception):
    """The envelope cannot be opened. The message never holds plaintext or key material."""


def pack(*parts: str | bytes) -> bytes:
    """Length-prefixed concatenation: an unambiguous encoding of a tuple of strings."""
    chunks: list[bytes] = []
    for part in parts:
        data = part.encode() if isinstance(part, str) else bytes(part)
        chunks += (len(data).to_bytes(4, "big"), data)
    return b"".join(chunks)


@dataclass(frozen=True, slots=True)
class Context:
    """Where a value lives: organisation, model, field, primary key and version.

    Ids are compared as their text, so pk=7 and pk="7" are the same place, as are a UUID and
    its canonical string.
    `version` is the field's encryption version, bumped when a field's meaning changes.
    """

    org_id: str | int | UUID
    model: str
    field: str
    pk: str | int | UUID
    version: int = 1
    # Made once, when the context is checked: sealing and opening use the same bytes again.
    _encoded: bytes = dataclasses.field(default=b"", init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        org_id, pk = _id_text("org_id", self.org_id), _id_text("pk", self.pk)
        _check_name("model", self.model)
        _check_name("field", self.field)
        _check_version(self.version)
        # Fails here, at construction, rather than later inside unseal (e.g. lone surrogates).
        # pack() of all the parts is its first parts' pack followed by the rest's.
        encoded = _place(org_id, self.model, self.field) + pack(pk, str(self.version))
        object.__setattr__(self, "_encoded", encoded)

    def encode(self) -> bytes:
        return self._encoded

    @classmethod
    def of_record(
        cls, org_id: str | int | UUID, model: str, pk: str | int | UUID, version: int
    ) -> Callable[[str], Context]:
        """The contexts of one record's fields, as a function of the field's name. The record's
        ids and version are checked and encoded once, not once per field: a record seals all of
        its fields at each save, and an import saves thousands of records."""
        org_text, pk_text = _id_text("org_id", org_id), _id_text("pk", pk)
        _check_name("model", model)
        _check_version(version)
        tail = pack(pk_text, str(version))
        assign = object.__setattr__  # the class is frozen

        def for_field(field: str) -> Context:
            _check_name("field", field)
            context = object.__new__(cls)
            assign(context, "org_id", org_id)
            assign(context, "model", model)
            assign(context, "field", field)
            assign(context, "pk", pk)
            assign(context, "version", version)
            assign(context, "_encoded", _place(org_text, model, field) + tail)
            return context

        return for_field


@functools.lru_cache(maxsize=4096)
def _place(org_id: str, model: str, field: str) -> bytes:
    """The encoded start of a context. A context is made for every field sealed or opened, and
    an import seals the same few fields of one organisation on every row."""
    return pack("salama.context.v1", org_id, model, field)


def _check_name(name: str, value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ValueError(f"Context.{name} must be a non-empty string")


def _check_version(version: object) -> None:
    if isinstance(version, bool) or not isinstance(version, int) or version < 0:
        raise ValueError("Context.version must be a non-negative integer")


def _id_text(name: str, value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | UUID):
        raise ValueError(f"Context.{name} must be a non-empty string, an integer or a UUID")
    text = str(value)
    if not text:
        raise ValueError(f"Context.{name} must be a non-empty string, an integer or a UUID")
    return text


class Envelope(NamedTuple):
    version: str
    key_id: str
    nonce: bytes
    ciphertext: bytes  # includes the 16-byte tag


def _associated_data(key_id: str, context: Context) -> bytes:
    return _key_part(key_id) + context.encode()


@functools.lru_cache(maxsize=4096)
def _key_part(key_id: str) -> bytes:
    """The encoded start of the associated data. A record's fields are sealed under one key."""
    return pack("salama.envelope.v1", key_id)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SealingKey:
    """A data key made ready to seal many values: a record's fields, a message's recipients.
    Setting AES-GCM up for a key costs about four times the sealing of a short value, so it is
    done once for all of them. The key itself is not kept as an attribute, nor shown."""

    __slots__ = ("_aead", "key_id")

    def __init__(self, key: bytes, key_id: str) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"key must be {KEY_BYTES} bytes")
        if not KEY_ID_PATTERN.fullmatch(key_id):
            raise ValueError("key id must be 16 lowercase hex characters")
        self.key_id = key_id
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return f"SealingKey({self.key_id})"

    def seal(self, plaintext: bytes, context: Context) -> str:
        """Encrypt `plaintext` for the place named by `context`, under a fresh random nonce."""
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead.encrypt(nonce, plaintext, _associated_data(self.key_id, context))
        return f"{VERSION}.{self.key_id}.{_b64(nonce + sealed)}"


def seal(key: bytes, key_id: str, plaintext: bytes, context: Context) -> str:
    """Encrypt `plaintext` under `key` (32 bytes) for the place named by `context`."""
    return SealingKey(key, key_id).seal(plaintext, context)


def parse_envelope(envelope: object) -> Envelope:
    """Split an envelope into its parts, checking its syntax only (nothing is authenticated)."""
    if not isinstance(envelope, str):
        raise DecryptionError("envelope is not text")
    parts = envelope.split(".")
    if len(parts) != 3:
        raise DecryptionError("envelope is malformed")
    version, key_id, payload = parts
    if version != VERSION:
        raise DecryptionError("envelope version is not supported")
    if not KEY_ID_PATTERN.fullmatch(key_id) or not _PAYLOAD.fullmatch(payload):
        raise DecryptionError("envelope is malformed")
    try:
        raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    except (binascii.Error, ValueError):
        raise DecryptionError("envelope is malformed") from None
    # Several texts decode to the same bytes (the unused low bits of the last character); only
    # the canonical one is accepted, so that any change to the stored text is detected.
    if _b64(raw) != payload or len(raw) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("envelope is malformed")
    return Envelope(version, key_id, raw[:NONCE_BYTES], raw[NONCE_BYTES:])


def _find_key(keys: KeyLookup, key_id: str) -> bytes:
    if isinstance(keys, Mapping):
        key = keys.get(key_id)
    else:
        try:
            key = keys(key_id)
        except LookupError:
            key = None
    if not isinstance(key, bytes) or len(key) != KEY_BYTES:
        raise DecryptionError("envelope names an unknown key")
    return key


def unseal(keys: KeyLookup, envelope: object, context: Context) -> bytes:
    """Decrypt and authenticate an envelope sealed for `context`, or raise DecryptionError."""
    parsed = parse_envelope(envelope)
    key = _find_key(keys, parsed.key_id)
    try:
        return AESGCM(key).decrypt(parsed.nonce, parsed.ciphertext, _associated_data(parsed.key_id, context))
    except InvalidTag:
        raise DecryptionError("envelope does not authenticate: wrong key, wrong place or altered") from None

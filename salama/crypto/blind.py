"""Blind indexes: exact-match search on encrypted fields without decrypting them.

    field key   = HKDF-SHA256(org index key, salt=none, info="salama.blind-index.v1:" + field, 32 bytes)
    blind index = first `bits` bits of HMAC-SHA256(field key, pack(field, normalise(value, kind)))

returned as a non-negative int below 2**bits (bits <= 63, so it fits a signed 64-bit column).
The org index key comes from the key store (`KeyStore.index_key(org_id)`); name fields as
"model.field" so that each field of each model gets its own key. Different organisations and
fields therefore give unrelated indexes for the same value, and nothing can be joined across
them.

Truncation is deliberate. An index that is unique per value tells whoever holds the database
which records share a value; a short one only narrows a search to a bucket that holds other
records too, which the caller decrypts and filters. The width follows CipherSweet's planning
rule: with R rows and indexes of b bits in total on the same rows (their values can be
intersected), the expected number of rows sharing an index value is

    C = R / 2**b,   and we want   2 <= C < sqrt(R).

`index_bits` picks the largest b with C >= 2, that is b = floor(log2(R)) - 1 minus the bits of
the other indexes, and checks C < sqrt(R), i.e. R < 4**b. Pass R as the expected number of rows
per organisation over the life of the field: changing the width means re-indexing. There is no
fixed floor (such as 8 bits): below 512 rows a floor of 8 would give C < 2 and break the rule.
"""

from __future__ import annotations

import functools
import hmac
import unicodedata
from typing import Literal, get_args

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from .envelope import pack

Kind = Literal["text", "email", "phone", "document"]
KINDS: tuple[str, ...] = get_args(Kind)
MAX_BITS = 63


class NothingToIndex(ValueError):
    """The value is empty once normalised: store no index (NULL) rather than one bucket for
    every empty value."""


def _without_marks(value: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", value) if not unicodedata.combining(c))


def _ascii_digit(c: str) -> str:
    # Arabic-Indic, Devanagari and other decimal digits are the same numbers to the people
    # typing them.
    return str(unicodedata.decimal(c)) if c.isdecimal() else c


def normalise(value: str, kind: Kind) -> str:
    """The form of `value` that is indexed, so that the same thing written differently matches.

    text      accents and other combining marks removed (NFKD), case folded, runs of
              whitespace collapsed to one space: "  José   MARÍA " -> "jose maria".
    email     compatibility-normalised (NFKC), trimmed, case folded.
    phone     digits only (any script's digits, as ASCII), keeping a leading "+":
              "+57 (300) 123-4567" -> "+573001234567". A "00" or "011" exit code is not
              rewritten to "+", since it cannot be told from a national number reliably.
    document  letters and digits only, marks removed, upper case: "ab-123.456" -> "AB123456".
    """
    if kind == "text":
        # Marks go before case folding: folding a decomposed letter never brings a mark back,
        # whereas folding first can yield letters that decompose further (checked over every
        # code point: the result is idempotent).
        return " ".join(_without_marks(value).casefold().split())
    if kind == "email":
        return unicodedata.normalize("NFKC", value).strip().casefold()
    if kind == "phone":
        value = unicodedata.normalize("NFKC", value).strip()
        digits = "".join(_ascii_digit(c) for c in value if c.isdecimal())
        return ("+" + digits if value.startswith("+") else digits) if digits else ""
    if kind == "document":
        return "".join(_ascii_digit(c) for c in _without_marks(value) if c.isalnum()).upper()
    raise ValueError(f"unknown kind {kind!r}; expected one of {', '.join(KINDS)}")


@functools.lru_cache(maxsize=1024)
def field_index_key(index_key: bytes, field: str) -> bytes:
    """The per-field key derived from an organisation's index key. Remembered: an import
    indexes the same few fields of one organisation for every row."""
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"salama.blind-index.v1:" + field.encode()
    ).derive(index_key)


def blind_index(index_key: bytes, field: str, value: str, kind: Kind, bits: int) -> int:
    """The blind index of `value` for `field`, keyed by the organisation's index key.

    Raises NothingToIndex (a ValueError) when nothing is left to index after normalisation.
    """
    if not 1 <= bits <= MAX_BITS:
        raise ValueError(f"bits must be between 1 and {MAX_BITS}")
    normal = normalise(value, kind)
    if not normal:
        raise NothingToIndex("nothing to index after normalisation")
    digest = hmac.digest(field_index_key(index_key, field), pack(field, normal), "sha256")
    return int.from_bytes(digest[:8], "big") >> (64 - bits)


def coincidences(estimated_rows: int, bits: int, *, other_index_bits: int = 0) -> float:
    """Expected rows per index value, C = R / 2**(bits + other_index_bits)."""
    return estimated_rows / 2 ** (bits + other_index_bits)


def index_bits(estimated_rows: int, *, other_index_bits: int = 0) -> int:
    """The blind index width for a field: the largest b with 2 <= C < sqrt(R), C = R / 2**b.

    `other_index_bits` is the total width of the other blind indexes on the same rows, which an
    observer can combine with this one. Raises ValueError when no width meets the rule (too
    few rows, or the other indexes already narrow each bucket to fewer than two rows).
    """
    if estimated_rows < 1 or other_index_bits < 0:
        raise ValueError("estimated_rows must be positive and other_index_bits not negative")
    # 2 <= R / 2**t  <=>  2**(t + 1) <= R  <=>  t <= floor(log2 R) - 1, and for integers
    # floor(log2 R) is bit_length - 1.
    bits = min(estimated_rows.bit_length() - 2 - other_index_bits, MAX_BITS)
    total = bits + other_index_bits
    # C < sqrt(R)  <=>  R**2 < R * 4**t  <=>  R < 4**t, kept in integers to avoid rounding.
    if bits < 1 or estimated_rows >= 4**total:
        raise ValueError(
            f"no blind index width keeps 2 <= coincidences < sqrt(rows) for {estimated_rows} rows "
            f"with {other_index_bits} bits of other indexes; index fewer fields or combine them"
        )
    return bits

"""Blind indexes: normalisation, keyed per organisation and field, and the width rule."""

from __future__ import annotations

import hmac
import math

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from salama.crypto import (
    KINDS,
    NothingToIndex,
    blind_index,
    coincidences,
    field_index_key,
    generate_key,
    index_bits,
    normalise,
)

ORG_A = generate_key()
ORG_B = generate_key()
PHONE = "defenders.Defender.phone"


@pytest.mark.parametrize(
    "written",
    [
        "+57 (300) 123-4567",
        "+573001234567",
        "  +57 300 123 4567 ",
        "+57.300.123.4567",
        "+57-300-1234567",
        "\uff0b\uff15\uff17 300 123 4567",  # fullwidth plus and digits
        "+\u0665\u0667\u0663\u0660\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667",  # Arabic-Indic digits
    ],
)
def test_the_same_phone_in_different_formats_gives_the_same_index(written):
    assert normalise(written, "phone") == "+573001234567"
    assert blind_index(ORG_A, PHONE, written, "phone", 16) == blind_index(ORG_A, PHONE, "+573001234567", "phone", 16)


@given(
    digits=st.text(alphabet="0123456789", min_size=6, max_size=15),
    separators=st.lists(st.sampled_from([" ", "-", ".", "(", ")", "/", "  "]), min_size=15, max_size=15),
)
def test_phone_formatting_never_changes_the_index(digits, separators):
    formatted = "+" + "".join(digit + separator for digit, separator in zip(digits, separators, strict=False))
    assert blind_index(ORG_A, PHONE, formatted, "phone", 32) == blind_index(ORG_A, PHONE, "+" + digits, "phone", 32)


def test_a_leading_plus_is_kept_apart_from_a_national_number():
    assert normalise("+57 300", "phone") != normalise("57 300", "phone")


@pytest.mark.parametrize(
    ("kind", "written", "normal"),
    [
        ("text", "  José   MARÍA\tÑandú ", "jose maria nandu"),
        ("text", "STRASSE", normalise("straße", "text")),
        ("text", "\uff21\uff4c\uff49", "ali"),  # fullwidth
        ("email", "  Alice.Doe@Example.ORG \n", "alice.doe@example.org"),
        ("document", "ab-123.456", "AB123456"),
        ("document", " CC 1.020.304 ", "CC1020304"),
        ("document", "é-12", "E12"),
        ("phone", "tel: none", ""),
        ("phone", "+", ""),
    ],
)
def test_normalisation_examples(kind, written, normal):
    assert normalise(written, kind) == normal


@given(value=st.text(), kind=st.sampled_from(KINDS))
def test_normalisation_is_idempotent(value, kind):
    once = normalise(value, kind)
    assert normalise(once, kind) == once


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        normalise("x", "name")  # type: ignore[arg-type]


@settings(max_examples=200)
@given(value=st.text(alphabet="0123456789", min_size=5, max_size=12))
def test_organisations_and_fields_get_unrelated_indexes(value):
    a_phone = blind_index(ORG_A, PHONE, value, "phone", 63)
    assert blind_index(ORG_B, PHONE, value, "phone", 63) != a_phone
    assert blind_index(ORG_A, "defenders.Contact.phone", value, "phone", 63) != a_phone


def test_field_keys_differ_per_field_and_organisation():
    keys = {field_index_key(org, field) for org in (ORG_A, ORG_B) for field in ("a.b", "a.c", "x.b")}
    assert len(keys) == 6


@given(value=st.text(min_size=1).filter(lambda v: normalise(v, "text")), bits=st.integers(1, 63))
def test_indexes_fit_their_width(value, bits):
    index = blind_index(ORG_A, "m.f", value, "text", bits)
    assert 0 <= index < 2**bits


def test_the_index_is_truncated_hmac_sha256_of_field_and_value_under_an_hkdf_field_key():
    field, value = "defenders.Defender.document", "cc 1.020.304"
    field_key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"salama.blind-index.v1:" + field.encode()
    ).derive(ORG_A)
    message = len(field).to_bytes(4, "big") + field.encode() + len(b"CC1020304").to_bytes(4, "big") + b"CC1020304"
    digest = hmac.digest(field_key, message, "sha256")
    assert blind_index(ORG_A, field, value, "document", 20) == int.from_bytes(digest, "big") >> (256 - 20)


@pytest.mark.parametrize("bits", [0, 64, -1])
def test_widths_outside_1_to_63_bits_are_refused(bits):
    with pytest.raises(ValueError):
        blind_index(ORG_A, PHONE, "+1 555", "phone", bits)


def test_nothing_left_to_index_is_refused():
    with pytest.raises(NothingToIndex, match="nothing to index"):
        blind_index(ORG_A, PHONE, "n/a", "phone", 16)


def satisfies_rule(rows, bits, other=0):
    total = bits + other
    # 2 <= R / 2**t < sqrt(R), in exact integers.
    return 2 * 2**total <= rows and rows < 4**total


@settings(max_examples=500)
@given(rows=st.integers(min_value=10, max_value=10**8))
def test_index_bits_respects_the_coincidence_rule_from_10_to_100_million_rows(rows):
    bits = index_bits(rows)
    assert bits >= 1
    assert satisfies_rule(rows, bits)
    assert 2 <= coincidences(rows, bits) < math.sqrt(rows)
    assert coincidences(rows, bits + 1) < 2, "the largest width that keeps two rows per value"


@settings(max_examples=500)
@given(rows=st.integers(min_value=1, max_value=10**15), other=st.integers(min_value=0, max_value=40))
def test_index_bits_meets_the_rule_or_says_it_cannot(rows, other):
    try:
        bits = index_bits(rows, other_index_bits=other)
    except ValueError:
        assert not any(satisfies_rule(rows, bits, other) for bits in range(1, 64))
    else:
        assert satisfies_rule(rows, bits, other)
        assert not satisfies_rule(rows, bits + 1, other) or bits == 63


@pytest.mark.parametrize(("rows", "bits"), [(10, 2), (16, 3), (1_000, 8), (50_000, 14), (1_000_000, 18), (10**8, 25)])
def test_index_bits_examples(rows, bits):
    assert index_bits(rows) == bits


def test_other_indexes_on_the_same_rows_narrow_the_width():
    assert index_bits(1_000_000, other_index_bits=8) == index_bits(1_000_000) - 8
    with pytest.raises(ValueError, match="no blind index width"):
        index_bits(1_000, other_index_bits=8)


def test_arabic_vowel_marks_and_presentation_forms_do_not_split_a_name():
    plain = "\u0627\u0644\u0633\u0644\u0627\u0645"
    with_vowels = "\u0627\u0644\u0633\u0651\u064e\u0644\u064e\u0627\u0645"
    presentation_forms = "\ufe8d\ufedf\ufeb4\ufefc\ufee1"
    assert normalise(with_vowels, "text") == normalise(presentation_forms, "text") == plain

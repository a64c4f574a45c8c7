"""Envelopes: round trips, binding to their place, and failing closed on anything else."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salama.crypto import (
    Context,
    DecryptionError,
    KeyDestroyed,
    SealingKey,
    generate_key,
    new_key_id,
    parse_envelope,
    seal,
    unseal,
)
from salama.crypto.envelope import NONCE_BYTES, _b64

from .strategies import contexts

KEY = generate_key()
KEY_ID = new_key_id()
KEYS = {KEY_ID: KEY}
HERE = Context("org-a", "defenders.Defender", "phone", 42, version=1)


@given(plaintext=st.binary(max_size=4096), context=contexts)
def test_round_trip_for_any_bytes_and_context(plaintext, context):
    assert unseal(KEYS, seal(KEY, KEY_ID, plaintext, context), context) == plaintext


@given(plaintext=st.binary(max_size=512))
def test_layout_is_version_key_id_and_base64url_payload_of_the_documented_length(plaintext):
    envelope = seal(KEY, KEY_ID, plaintext, HERE)
    assert re.fullmatch(rf"v1\.{KEY_ID}\.[A-Za-z0-9_-]+", envelope)
    assert len(envelope) == 20 + math.ceil(4 * (len(plaintext) + 28) / 3)
    parsed = parse_envelope(envelope)
    assert (parsed.version, parsed.key_id, len(parsed.nonce)) == ("v1", KEY_ID, NONCE_BYTES)
    assert len(parsed.ciphertext) == len(plaintext) + 16


def test_the_same_plaintext_encrypts_differently_each_time():
    assert seal(KEY, KEY_ID, b"same", HERE) != seal(KEY, KEY_ID, b"same", HERE)


def test_every_single_bit_flip_anywhere_in_the_envelope_is_refused():
    envelope = seal(KEY, KEY_ID, b"Colombia, Cauca: threat received 2024-05-01", HERE)
    for position, character in enumerate(envelope):
        for bit in range(8):
            tampered = envelope[:position] + chr(ord(character) ^ (1 << bit)) + envelope[position + 1 :]
            with pytest.raises(DecryptionError):
                unseal(KEYS, tampered, HERE)


@given(plaintext=st.binary(max_size=300), data=st.data())
def test_bit_flips_in_the_decoded_payload_are_refused(plaintext, data):
    parsed = parse_envelope(seal(KEY, KEY_ID, plaintext, HERE))
    raw = bytearray(parsed.nonce + parsed.ciphertext)
    position = data.draw(st.integers(0, len(raw) - 1))
    raw[position] ^= 1 << data.draw(st.integers(0, 7))
    with pytest.raises(DecryptionError):
        unseal(KEYS, f"v1.{KEY_ID}.{_b64(bytes(raw))}", HERE)


@pytest.mark.parametrize(
    "moved",
    [
        {"pk": 43},
        {"pk": "42 "},
        {"field": "email"},
        {"model": "defenders.Contact"},
        {"org_id": "org-b"},
        {"version": 2},
    ],
    ids=lambda moved: next(iter(moved)),
)
def test_a_ciphertext_moved_to_another_row_field_model_organisation_or_version_is_refused(moved):
    envelope = seal(KEY, KEY_ID, b"+57 300 123 4567", HERE)
    with pytest.raises(DecryptionError):
        unseal(KEYS, envelope, dataclasses.replace(HERE, **moved))


@given(first=contexts, second=contexts)
def test_ciphertexts_only_open_in_the_context_they_were_sealed_for(first, second):
    envelope = seal(KEY, KEY_ID, b"x", first)
    if first.encode() == second.encode():
        assert unseal(KEYS, envelope, second) == b"x"
    else:
        with pytest.raises(DecryptionError):
            unseal(KEYS, envelope, second)


def test_ids_are_compared_as_text():
    envelope = seal(KEY, KEY_ID, b"x", Context(7, "m", "f", 42))
    assert unseal(KEYS, envelope, Context("7", "m", "f", "42")) == b"x"


@given(first=contexts, second=contexts)
def test_context_encoding_is_injective(first, second):
    def text(context):
        return (str(context.org_id), context.model, context.field, str(context.pk), context.version)

    assert (first.encode() == second.encode()) == (text(first) == text(second))


def test_separators_inside_names_cannot_collide():
    assert Context("a|b", "m", "f", 1).encode() != Context("a", "|b", "f", 1).encode()
    assert Context("o", "ab", "c", 1).encode() != Context("o", "a", "bc", 1).encode()


@pytest.mark.parametrize(
    "fields",
    [
        {"org_id": ""},
        {"model": ""},
        {"pk": ""},
        {"pk": None},
        {"pk": True},
        {"field": 3},
        {"version": -1},
        {"version": True},
        {"version": "1"},
        {"model": "\ud800"},
    ],
)
def test_invalid_contexts_are_refused_when_built(fields):
    with pytest.raises(ValueError):
        Context(**{"org_id": "o", "model": "m", "field": "f", "pk": 1, **fields})


def test_a_wrong_key_under_the_right_id_is_refused():
    envelope = seal(KEY, KEY_ID, b"secret", HERE)
    with pytest.raises(DecryptionError):
        unseal({KEY_ID: generate_key()}, envelope, HERE)


def test_an_unknown_key_id_is_refused_for_mappings_and_functions():
    envelope = seal(KEY, KEY_ID, b"secret", HERE)
    with pytest.raises(DecryptionError):
        unseal({new_key_id(): KEY}, envelope, HERE)
    with pytest.raises(DecryptionError):
        unseal({}.__getitem__, envelope, HERE)


def test_relabelling_an_envelope_with_another_known_key_id_is_refused():
    other_id = new_key_id()
    envelope = seal(KEY, KEY_ID, b"secret", HERE)
    relabelled = envelope.replace(KEY_ID, other_id)
    with pytest.raises(DecryptionError):
        unseal({KEY_ID: KEY, other_id: KEY}, relabelled, HERE)


def test_a_lookup_that_says_destroyed_keeps_saying_it():
    def shredded(key_id):
        raise KeyDestroyed("data key is missing or destroyed")

    with pytest.raises(KeyDestroyed):
        unseal(shredded, seal(KEY, KEY_ID, b"secret", HERE), HERE)


@pytest.mark.parametrize("returned", [None, b"", b"short", "a" * 32, KEY + b"!"])
def test_a_lookup_returning_something_other_than_a_key_is_refused(returned):
    with pytest.raises(DecryptionError):
        unseal(lambda key_id: returned, seal(KEY, KEY_ID, b"secret", HERE), HERE)


def test_every_truncation_is_refused():
    envelope = seal(KEY, KEY_ID, b"a value", HERE)
    for end in range(len(envelope)):
        with pytest.raises(DecryptionError):
            unseal(KEYS, envelope[:end], HERE)


@settings(max_examples=500)
@given(garbage=st.one_of(st.text(), st.binary(), st.none(), st.integers(), st.lists(st.text())))
def test_garbage_raises_decryption_error_and_nothing_else(garbage):
    with pytest.raises(DecryptionError):
        unseal(KEYS, garbage, HERE)


@settings(max_examples=500)
@given(
    version=st.sampled_from(["v1", "v2", "v0", "V1", "", "v1 "]),
    key_id=st.one_of(st.just(KEY_ID), st.text(max_size=20)),
    payload=st.one_of(st.text(alphabet="ABCDEFabcdef0123456789_-=+/. ", max_size=120), st.text(max_size=60)),
    extra=st.sampled_from(["", ".", ".x", "\n"]),
)
def test_structured_garbage_raises_decryption_error_and_nothing_else(version, key_id, payload, extra):
    with pytest.raises(DecryptionError):
        unseal(KEYS, f"{version}.{key_id}.{payload}{extra}", HERE)


@given(plaintext=st.binary(min_size=1, max_size=64))
def test_non_canonical_base64_of_the_same_bytes_is_refused(plaintext):
    envelope = seal(KEY, KEY_ID, plaintext, HERE)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    last = alphabet.index(envelope[-1])
    for sibling in alphabet:
        if sibling != envelope[-1] and alphabet.index(sibling) >> 4 == last >> 4:
            with pytest.raises(DecryptionError):
                unseal(KEYS, envelope[:-1] + sibling, HERE)
    with pytest.raises(DecryptionError):
        unseal(KEYS, envelope + "==", HERE)


def test_no_nonce_repeats_over_100_000_encryptions():
    nonces = {parse_envelope(seal(KEY, KEY_ID, b"", HERE)).nonce for _ in range(100_000)}
    assert len(nonces) == 100_000


def test_error_messages_hold_neither_plaintext_nor_key_material():
    plaintext = b"Maria Lopez, safe house at Calle 5"
    envelope = seal(KEY, KEY_ID, plaintext, HERE)
    failures = []
    for attempt in (
        lambda: unseal({KEY_ID: generate_key()}, envelope, HERE),
        lambda: unseal(KEYS, envelope, dataclasses.replace(HERE, pk=1)),
        lambda: unseal(KEYS, envelope[:-3], HERE),
        lambda: unseal({}, envelope, HERE),
    ):
        with pytest.raises(DecryptionError) as caught:
            attempt()
        failures.append(caught.value)
    for failure in failures:
        message = str(failure)
        assert "Maria" not in message and KEY.hex() not in message and envelope[25:60] not in message
        # No chained library exception in tracebacks either.
        assert failure.__cause__ is None and (failure.__context__ is None or failure.__suppress_context__)


@pytest.mark.parametrize("key", [b"", b"k" * 16, b"k" * 24, b"k" * 33])
def test_seal_takes_only_256_bit_keys(key):
    with pytest.raises(ValueError):
        seal(key, KEY_ID, b"x", HERE)


@pytest.mark.parametrize("key_id", ["", "ABCDEF0123456789", "0123", "0123456789abcdef0", "0123456789abcde.", 7])
def test_seal_takes_only_well_formed_key_ids(key_id):
    with pytest.raises((ValueError, TypeError)):
        seal(KEY, key_id, b"x", HERE)


@given(st.lists(st.tuples(st.binary(max_size=200), contexts), min_size=1, max_size=12))
def test_a_sealing_key_seals_many_values_each_for_its_own_place(values):
    sealer = SealingKey(KEY, KEY_ID)
    envelopes = [sealer.seal(plaintext, context) for plaintext, context in values]
    for envelope, (plaintext, context) in zip(envelopes, values, strict=True):
        assert unseal(KEYS, envelope, context) == plaintext
    # The key is set up once, but every value still takes a nonce of its own.
    assert len({parse_envelope(envelope).nonce for envelope in envelopes}) == len(envelopes)


def test_a_value_sealed_by_a_sealing_key_opens_only_where_it_was_sealed():
    sealer = SealingKey(KEY, KEY_ID)
    phone, email = dataclasses.replace(HERE, field="phone"), dataclasses.replace(HERE, field="email")
    envelope = sealer.seal(b"+57 300 123 4567", phone)
    assert unseal(KEYS, envelope, phone) == b"+57 300 123 4567"
    with pytest.raises(DecryptionError):
        unseal(KEYS, envelope, email)


def test_a_sealing_key_shows_its_id_and_never_its_key():
    sealer = SealingKey(KEY, KEY_ID)
    assert KEY_ID in repr(sealer)
    assert KEY.hex() not in repr(sealer) and str(KEY) not in repr(sealer)
    assert not any(getattr(sealer, name, None) == KEY for name in dir(sealer))


@pytest.mark.parametrize(("key", "key_id"), [(b"k" * 16, KEY_ID), (KEY, "ABCDEF0123456789"), (KEY, "0123")])
def test_a_sealing_key_is_refused_for_a_bad_key_or_key_id(key, key_id):
    with pytest.raises(ValueError):
        SealingKey(key, key_id)


@given(context=contexts)
def test_the_contexts_of_a_record_are_the_contexts_of_its_fields(context):
    of_record = Context.of_record(context.org_id, context.model, context.pk, context.version)
    made = of_record(context.field)
    assert made == context and made.encode() == context.encode()
    envelope = seal(KEY, KEY_ID, b"x", made)
    assert unseal(KEYS, envelope, context) == b"x"


@pytest.mark.parametrize(
    "fields",
    [{"org_id": ""}, {"model": ""}, {"pk": None}, {"pk": True}, {"version": -1}, {"version": "1"}],
)
def test_a_record_with_invalid_ids_or_version_has_no_contexts(fields):
    with pytest.raises(ValueError):
        Context.of_record(**{"org_id": "o", "model": "m", "pk": 1, "version": 1, **fields})


@pytest.mark.parametrize("field", ["", 3, None, "\ud800"])
def test_an_invalid_field_name_has_no_context(field):
    with pytest.raises(ValueError):
        Context.of_record("o", "m", 1, 1)(field)

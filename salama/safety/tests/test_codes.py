"""Codes survive what a phone keyboard does to them, and no other code matches."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from salama.safety import codes
from salama.safety.models import CheckInSchedule

code_strategy = st.text(alphabet=codes.ALPHABET, min_size=codes.CODE_LENGTH, max_size=codes.CODE_LENGTH)


@settings(max_examples=50, deadline=None)
@given(code=code_strategy, other=code_strategy, data=st.data())
def test_typed_variants_match_and_other_codes_do_not(code: str, other: str, data: st.DataObject) -> None:
    schedule = CheckInSchedule(code_digest=codes.code_digest(code), duress_digest=codes.code_digest(code[::-1]))
    separators = data.draw(st.lists(st.sampled_from(["", " ", "-"]), min_size=len(code), max_size=len(code)))
    typed = "".join(
        sep + (c.lower() if data.draw(st.booleans()) else c) for sep, c in zip(separators, code, strict=True)
    )
    expected = "ok" if code != code[::-1] else "duress"  # a palindrome is both; duress wins
    assert codes.code_matches(schedule, typed) == expected
    if other not in {code, code[::-1]}:
        assert codes.code_matches(schedule, other) == ""


def test_new_codes_use_the_unambiguous_alphabet() -> None:
    for _ in range(200):
        code = codes.new_code()
        assert len(code) == codes.CODE_LENGTH and set(code) <= set(codes.ALPHABET)
        assert not set(code) & set("01OIL")

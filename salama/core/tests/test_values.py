import datetime

import pytest

from salama.core.values import is_blank


@pytest.mark.parametrize("value", [None, "", [], {}])
def test_no_value_is_blank(value) -> None:
    assert is_blank(value)


@pytest.mark.parametrize(
    "value", [0, False, 0.0, " ", "0", [""], [None], {"a": None}, (), datetime.date(2026, 1, 1), "Zoë"]
)
def test_anything_recorded_is_not_blank_zero_and_false_included(value) -> None:
    assert not is_blank(value)

"""The signatory list's order, for any names: the drafter first, then alphabetical, stable."""

from __future__ import annotations

import random

from hypothesis import given
from hypothesis import strategies as st

from salama.statements.access import in_listing_order
from salama.statements.models import Signature

DRAFTER = 1
names = st.text(alphabet=st.characters(categories=["L", "Zs", "Nd"]), min_size=1, max_size=30)


@given(drafter_name=names, others=st.lists(names, max_size=12), seed=st.integers())
def test_the_drafter_comes_first_then_the_others_alphabetically_whatever_the_row_order(drafter_name, others, seed):
    signatures = [Signature(pk=1, organization_id=DRAFTER, display_name=drafter_name)]
    signatures += [Signature(pk=i + 2, organization_id=i + 2, display_name=name) for i, name in enumerate(others)]
    shuffled = signatures[:]
    random.Random(seed).shuffle(shuffled)

    ordered = in_listing_order(shuffled, DRAFTER)

    assert ordered[0].organization_id == DRAFTER
    rest = [signature.display_name.casefold() for signature in ordered[1:]]
    assert rest == sorted(rest)
    assert [s.pk for s in ordered] == [s.pk for s in in_listing_order(signatures, DRAFTER)]  # stable
    assert sorted(s.pk for s in ordered) == sorted(s.pk for s in signatures)  # nobody lost or added

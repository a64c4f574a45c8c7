"""Hypothesis strategies shared by the crypto tests."""

from __future__ import annotations

from hypothesis import strategies as st

from salama.crypto import Context

ids = st.one_of(st.text(min_size=1, max_size=20), st.integers(min_value=0, max_value=2**63), st.uuids()).filter(
    lambda value: str(value) != ""
)
names = st.text(min_size=1, max_size=30)
contexts = st.builds(Context, org_id=ids, model=names, field=names, pk=ids, version=st.integers(0, 2**31))

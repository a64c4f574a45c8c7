"""Signed per-recipient links (acknowledge, preferences...), valid without signing in.

The token names a delivery by its idempotency key only; the views that answer these links
belong to the producers (alerts) and check the token with `read_token`.
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.core import signing

PURPOSES = ("ack", "preferences", "unsubscribe")


@lru_cache(maxsize=16)
def _signer(purpose: str) -> signing.Signer:
    # Cached: a link is signed per recipient, on the hot path of a fan-out.
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return signing.Signer(salt=f"salama.delivery.link.{purpose}")


def signed_link(purpose: str, idempotency_key: str) -> str:
    return f"{settings.SITE_URL}/d/{purpose}/{_signer(purpose).sign(idempotency_key)}/"


def read_token(purpose: str, token: str) -> str | None:
    """The idempotency key a token was made for, or None when it was not signed by us."""
    try:
        return _signer(purpose).unsign(token)
    except signing.BadSignature:
        return None

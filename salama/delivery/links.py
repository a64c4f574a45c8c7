"""Signed per-recipient links (acknowledge, preferences...), valid without signing in.

The token names a delivery by its idempotency key only; the views that answer these links
belong to the producers (alerts) and check the token with `read_token`.
"""

from __future__ import annotations

import hashlib
import hmac
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core import signing
from django.utils.encoding import force_bytes

PURPOSES = ("ack", "preferences", "unsubscribe")


@lru_cache(maxsize=16)
def _signer(purpose: str) -> signing.Signer:
    # Cached: a link is signed per recipient, on the hot path of a fan-out.
    if purpose not in PURPOSES:
        raise ValueError(f"unknown link purpose {purpose!r}")
    return signing.Signer(salt=f"salama.delivery.link.{purpose}")


@lru_cache(maxsize=16)
def _mac(purpose: str) -> Any:
    """The keyed hash `Signer.sign` computes, with its derived key made once instead of per
    link (django.utils.crypto.salted_hmac: key = H(salt + "signer" + secret)). The test suite
    checks that the tokens are those of `Signer.sign`, which `read_token` verifies."""
    signer = _signer(purpose)
    digest = getattr(hashlib, signer.algorithm)
    derived = digest(force_bytes(signer.salt) + b"signer" + force_bytes(signer.key)).digest()
    return hmac.new(derived, digestmod=digest)


def sign(purpose: str, idempotency_key: str) -> str:
    mac = _mac(purpose).copy()
    mac.update(idempotency_key.encode())
    return f"{idempotency_key}{_signer(purpose).sep}{signing.b64_encode(mac.digest()).decode()}"


def signed_link(purpose: str, idempotency_key: str) -> str:
    return f"{settings.SITE_URL}/d/{purpose}/{sign(purpose, idempotency_key)}/"


def read_token(purpose: str, token: str) -> str | None:
    """The idempotency key a token was made for, or None when it was not signed by us."""
    try:
        return _signer(purpose).unsign(token)
    except signing.BadSignature:
        return None

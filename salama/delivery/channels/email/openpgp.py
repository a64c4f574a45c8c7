"""OpenPGP for email: checking a recipient's public key, and encrypting one message to it.

GnuPG does the cryptography, driven by python-gnupg (docs/delivery.md, "OpenPGP"). Every call
runs in a home folder of its own, made for the call under `SALAMA_DATA_DIR/gnupg/` (0700) and
removed after it: no keyring outlives a message, so the user ids of the keys (names, addresses)
are never kept on disk in clear, and concurrent senders share no state. The message goes to
GnuPG on its standard input and comes back on its standard output: GnuPG writes no plaintext to
a file. `--no-autostart` keeps GnuPG from starting an agent, which public-key work never needs.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import getaddresses
from pathlib import Path
from typing import Any

import gnupg
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

# python-gnupg logs, at debug level, GnuPG's output: user ids (names, addresses) and the first
# bytes of what it reads. None of it may reach a log, whatever level the root logger is at.
logging.getLogger("gnupg").setLevel(logging.WARNING)

ARMOUR_HEADER = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
MAX_KEY_CHARS = 200_000  # a key with many signatures runs to tens of kilobytes
GNUPG_OPTIONS = ["--no-autostart", "--no-auto-key-locate", "--no-auto-key-retrieve"]
# Validity letters of GnuPG's colon listing that make a key or subkey unusable.
UNUSABLE = {"r": "revoked", "e": "expired", "i": "invalid", "d": "disabled"}


class KeyRefused(ValueError):
    """The key cannot be used; the message says why, in words a person acts on."""


class EncryptionFailed(RuntimeError):
    """Encryption did not happen; `code` is a short code for `Delivery.last_error`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class KeyInfo:
    fingerprint: str
    expires_at: datetime | None


def home_root() -> Path:
    root = Path(settings.DATA_DIR) / "gnupg"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(root, 0o700)  # an existing folder may have been made with looser rights
    return root


@contextmanager
def workspace() -> Iterator[gnupg.GPG]:
    """GnuPG with an empty home of its own, removed afterwards."""
    home = tempfile.mkdtemp(prefix="call-", dir=home_root())  # mkdtemp makes it 0700
    try:
        yield gnupg.GPG(gnupghome=home, options=GNUPG_OPTIONS)
    finally:
        shutil.rmtree(home, ignore_errors=True)


def grouped(fingerprint: str) -> str:
    """Groups of four hex digits (ABCD 1234 ...), as people compare fingerprints aloud."""
    return " ".join(fingerprint[i : i + 4] for i in range(0, len(fingerprint), 4))


def _timestamp(value: str) -> datetime | None:
    return datetime.fromtimestamp(int(value), tz=UTC) if value and value.isdigit() else None


def _usable_for_encryption(component: dict[str, Any], now: datetime) -> bool:
    expires = _timestamp(component.get("expires", ""))
    return (
        "e" in component.get("cap", "")
        and component.get("trust", "") not in UNUSABLE
        and (expires is None or expires > now)
    )


def _addresses(user_ids: list[str]) -> set[str]:
    return {address.casefold() for _name, address in getaddresses(user_ids) if "@" in address}


def inspect_key(armoured: str, address: str) -> KeyInfo:
    """The key's fingerprint, or KeyRefused: it must be one ASCII-armoured public key, neither
    revoked nor expired, with a valid key for encryption and a user id with this address."""
    armoured = (armoured or "").strip()
    if "PRIVATE KEY BLOCK" in armoured:
        raise KeyRefused(_("This is a private key. Never share it: paste the public key instead."))
    if not armoured.startswith(ARMOUR_HEADER) or len(armoured) > MAX_KEY_CHARS:
        raise KeyRefused(
            _("This is not an ASCII-armoured OpenPGP public key (it begins with %(header)s).")
            % {"header": ARMOUR_HEADER}
        )
    try:
        with workspace() as gpg:
            keys = list(gpg.scan_keys_mem(armoured))
    except OSError:
        raise KeyRefused(_("OpenPGP keys cannot be checked on this server now: GnuPG is not installed.")) from None
    if not keys:
        raise KeyRefused(_("This OpenPGP key could not be read. Copy the whole public key block again."))
    if len(keys) > 1:
        raise KeyRefused(_("This block holds several keys: paste the one public key for this address."))
    return _check(keys[0], address)


def _check(key: dict[str, Any], address: str) -> KeyInfo:
    now = timezone.now()
    expires = _timestamp(key.get("expires", ""))
    if key.get("trust") == "r":
        raise KeyRefused(_("This key has been revoked by its owner."))
    if expires is not None and expires <= now:
        date = expires.date().isoformat()
        raise KeyRefused(_("This key expired on %(date)s. Ask for a renewed key.") % {"date": date})
    if key.get("trust") == "e":
        raise KeyRefused(_("This key has expired. Ask for a renewed key."))
    components = [key, *key.get("subkey_info", {}).values()]
    if not any(_usable_for_encryption(component, now) for component in components):
        raise KeyRefused(
            _("This key has no valid encryption key (it may only sign, or its encryption subkey expired).")
        )
    if address.casefold() not in _addresses(key.get("uids", [])):
        raise KeyRefused(_("None of this key's user ids is %(address)s.") % {"address": address})
    return KeyInfo(fingerprint=key["fingerprint"], expires_at=expires)


def encrypt(armoured: str, plaintext: bytes) -> bytes:
    """An ASCII-armoured OpenPGP message for the key's holder, or EncryptionFailed."""
    try:
        with workspace() as gpg:
            imported = gpg.import_keys(armoured)
            fingerprints = sorted(set(imported.fingerprints or []))
            if len(fingerprints) != 1:
                raise EncryptionFailed("openpgp:unreadable_key")
            # Trusted because a person checked it against the address when it was registered.
            result = gpg.encrypt(plaintext, fingerprints, always_trust=True, armor=True)
    except OSError:
        raise EncryptionFailed("openpgp:gnupg_unavailable") from None
    if not result.ok:
        raise EncryptionFailed("openpgp:unusable_key")
    return bytes(result.data)

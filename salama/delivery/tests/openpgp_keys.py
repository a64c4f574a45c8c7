"""Real OpenPGP key pairs for tests, made once per session with GnuPG in a home of their own.

The `openpgp_keys` fixture is imported by the conftest of each app whose tests use it."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import gnupg
import pytest


class KeyMaker:
    """Makes key pairs, gives out their public keys, and decrypts what was encrypted to them:
    the recipient's side of an encrypted message."""

    def __init__(self, home: Path) -> None:
        home.chmod(0o700)
        self.home = home
        self.gpg = gnupg.GPG(gnupghome=str(home))

    @cache  # noqa: B019 - one instance per session; keys are slow enough to make once
    def public_key(self, address: str, *, encrypts: bool = True, expires: str = "0", name: str = "Test") -> str:
        """The ASCII-armoured public key of a new pair for `address`; `encrypts=False` gives a
        key that can only sign; `expires` is GnuPG's notation ("1d", "0" for never)."""
        options = {"subkey_type": "ECDH", "subkey_curve": "cv25519", "subkey_usage": "encrypt"} if encrypts else {}
        spec = self.gpg.gen_key_input(
            key_type="EDDSA",
            key_curve="ed25519",
            key_usage="sign",
            name_real=name,
            name_email=address,
            expire_date=expires,
            no_protection=True,
            **options,
        )
        made = self.gpg.gen_key(spec)
        assert made.fingerprint, made.stderr
        return str(self.gpg.export_keys(made.fingerprint))

    def fingerprint(self, public_key: str) -> str:
        return str(self.gpg.scan_keys_mem(public_key)[0]["fingerprint"])

    def revoked_public_key(self, address: str) -> str:
        """GnuPG writes a revocation certificate for every key it makes; importing it revokes."""
        public = self.public_key(address, name="Revoked")
        certificate = (self.home / "openpgp-revocs.d" / f"{self.fingerprint(public)}.rev").read_text()
        self.gpg.import_keys(certificate.replace(":-----BEGIN", "-----BEGIN"))
        return str(self.gpg.export_keys(self.fingerprint(public)))

    def secret_key(self, public_key: str) -> str:
        return str(self.gpg.export_keys(self.fingerprint(public_key), secret=True, expect_passphrase=False))

    def decrypt(self, armoured: str | bytes) -> bytes:
        result = self.gpg.decrypt(armoured)
        assert result.ok, result.status
        return bytes(result.data)

    def close(self) -> None:
        # Making and using secret keys started an agent for this home: stop it.
        subprocess.run(["gpgconf", "--homedir", str(self.home), "--kill", "gpg-agent"], check=False)  # noqa: S603,S607


@pytest.fixture(scope="session")
def openpgp_keys(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KeyMaker]:
    keys = KeyMaker(tmp_path_factory.mktemp("gnupg"))
    yield keys
    keys.close()

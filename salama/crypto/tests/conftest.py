"""Fixtures for the crypto tests: a root key and a key store in a temporary directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from salama.crypto import SQLiteKeyStore, create_root_key


@pytest.fixture
def root_key(tmp_path: Path) -> bytes:
    return create_root_key(tmp_path / "keys" / "root.key")


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    return tmp_path / "keys" / "keystore.sqlite3"


@pytest.fixture
def store(store_path: Path, root_key: bytes) -> Iterator[SQLiteKeyStore]:
    with SQLiteKeyStore(store_path, root_key) as opened:
        yield opened

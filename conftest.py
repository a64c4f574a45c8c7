"""Fixtures for the fixed test cast (ARCHITECTURE.md section 7); see salama/core/testing.py."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings


def pytest_configure(config: pytest.Config) -> None:
    # Argon2 is deliberately slow; the cast signs in hundreds of times.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each run gets its own root key and key store, never the development ones in ./var.
    keys = Path(tempfile.mkdtemp(prefix="salama-test-keys-"))
    settings.ROOT_KEY_FILE = keys / "root.key"
    settings.KEYSTORE_PATH = keys / "keystore.sqlite3"


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    """Each test starts and ends in the default language. A request through the test client
    leaves the language it asked for (LocaleMiddleware activates it and nothing undoes it) in
    force for the thread, and so for the next tests: messages they check would come out in
    Arabic or Spanish depending on which tests ran before."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def cast(db: None) -> Any:
    from salama.core.testing import make_cast

    return make_cast()


@pytest.fixture
def as_user(db: None) -> Callable[..., Any]:
    """as_user(user) -> a test client signed in as that user, second factor included."""
    from django.test import Client

    from salama.core.testing import sign_in

    def make(user: Any, **client_options: Any) -> Client:
        return sign_in(Client(**client_options), user)

    return make

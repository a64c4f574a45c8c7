"""The cast, subscribers on organisation A's list (the audiences helpers), and the SMTP sink."""

from __future__ import annotations

from typing import Any

import pytest

from salama.audiences.tests.conftest import lead, subscribe  # noqa: F401  fixtures
from salama.delivery.tests.conftest import clock, fresh_state, sink  # noqa: F401  fixtures


@pytest.fixture
def admin(cast: Any) -> Any:
    return cast.membership("a_admin")


@pytest.fixture
def coordinator(cast: Any) -> Any:
    return cast.membership("a_coordinator")

"""The cast, a defender on a case with a trusted contact, a schedule, and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from salama.delivery.tests.conftest import fresh_state  # noqa: F401  fixture

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin(cast: Any) -> Any:
    return cast.membership("a_admin")


@pytest.fixture
def caseworker(cast: Any) -> Any:
    return cast.membership("a_caseworker_team")


@pytest.fixture
def defender(cast: Any, admin: Any) -> Any:
    from salama.defenders.actions import do_add_trusted_contact, do_create_defender

    person = do_create_defender(admin, public_name="Ana", email="ana@example.org")
    do_add_trusted_contact(admin, person, name="Brother", email="brother@example.org")
    return person


@pytest.fixture
def case(cast: Any, admin: Any, defender: Any) -> Any:
    from salama.cases.actions import do_add_team_member, do_open_case, do_remove_team_member

    opened = do_open_case(admin, title="Accompaniment", defenders=[defender])
    do_add_team_member(admin, opened, cast.a_caseworker_team)
    do_remove_team_member(admin, opened, cast.a_admin)
    return opened


@pytest.fixture
def scheduled(clock: Any, caseworker: Any, defender: Any, case: Any) -> Any:
    """(schedule, credentials): due in 24 hours with an hour's grace, the default chain."""
    from salama.safety.actions import do_create_schedule

    return do_create_schedule(
        caseworker, defender=defender, case=case, interval=timedelta(hours=24), grace_period=timedelta(hours=1)
    )

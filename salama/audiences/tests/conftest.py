"""Helpers to put subscribers on organisation A's list."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from salama.audiences import actions
from salama.audiences.models import Channel, ContactPoint, Subscriber
from salama.delivery.tests.openpgp_keys import openpgp_keys  # noqa: F401 - a fixture: real OpenPGP key pairs


@pytest.fixture
def lead(cast: Any) -> Any:
    return cast.membership("a_admin")


@pytest.fixture
def subscribe(lead: Any) -> Callable[..., tuple[Subscriber, ContactPoint]]:
    """subscribe(name, address, kind=..., languages=[...], countries=[...], verified=True)."""

    def make(
        name: str,
        address: str,
        *,
        kind: str = Subscriber.Kind.ACTIVIST,
        channel: str = Channel.EMAIL,
        verified: bool = True,
        **interests: Any,
    ) -> tuple[Subscriber, ContactPoint]:
        subscriber = actions.do_create_subscriber(lead, kind=kind, display_name=name, affiliation="", **interests)
        point = actions.do_add_contact_point(lead, subscriber, channel=channel, address=address, consent_how="form")
        if verified:
            point = actions.do_verify_contact_point(lead, point, reason="confirmed by phone")
        return subscriber, point

    return make

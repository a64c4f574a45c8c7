"""Fixtures: an organisation, an in-process SMTP sink with fault injection, a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from salama.delivery import channels, engine
from salama.delivery.engine import Recipient
from salama.delivery.models import Priority
from salama.delivery.sink import SinkHandler, start

from .matrix_homeserver import homeserver  # noqa: F401  fixture
from .openpgp_keys import openpgp_keys  # noqa: F401 - a fixture: real OpenPGP key pairs

CONTENT = {
    "email": {
        "en": {
            "subject": "Urgent: act now",
            "text": "Dear [[greeting]],\nPlease act.\n[[link:ack]]\n",
            "html": '<p>Dear [[greeting]]</p><a href="[[link:ack]]">ok</a>',
        },
        "es": {"subject": "Urgente: actúe", "text": "Estimada [[greeting]],\nActúe.\n", "html": ""},
    },
    "webhook": {"en": {"payload": {"title": "Urgent", "greeting": "[[greeting]]", "ack": "[[link:ack]]"}}},
}


@pytest.fixture
def org(db: None) -> Any:
    from salama.orgs.models import Organization

    return Organization.objects.create(name="Org A", slug="org-a", kind="local_ngo", country="CO", region="americas")


@pytest.fixture
def sink(settings: Any) -> Iterator[SinkHandler]:
    handler = SinkHandler()
    controller = start(handler)
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER = False, ""
    reset_default_channels()  # fresh channels, with a pool pointing at this sink
    yield handler
    reset_default_channels()
    controller.stop()


def reset_default_channels() -> None:
    for name in ("email", "webhook"):
        channel = channels.REGISTRY.pop(name, None)
        if channel is not None:
            channel.close()


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(datetime(2026, 11, 25, 12, 0, tzinfo=UTC), tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def fresh_state(settings: Any) -> Iterator[None]:
    settings.DELIVERY_SWEEP_SECONDS = 0
    engine.versions.clear()
    yield
    engine.versions.clear()


def people(count: int, *, prefix: str = "p", language: str = "en") -> list[Recipient]:
    return [Recipient("email", f"{prefix}{n}@example.org", language, greeting=f"Person {n}") for n in range(count)]


def publish(org: Any, recipients: list[Recipient], *, priority: int = Priority.ROUTINE, **options: Any) -> Any:
    message = engine.create_message(org, "tests.alert", "1", priority=priority, **options)
    version = engine.add_version(message, CONTENT)
    engine.create_deliveries(version, recipients)
    return message


def run_until_idle(limit: int = 1000) -> int:
    """Work until a round claims nothing (due retries wait for the clock to move)."""
    total = 0
    for _ in range(limit):
        done = engine.work_once("test-worker")
        if not done:
            return total
        total += done
    raise AssertionError("deliveries never settled")

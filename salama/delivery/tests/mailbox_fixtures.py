"""The demo mailbox running for one test; import the fixture where it is needed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from salama.delivery import mailbox

from .conftest import reset_default_channels


@pytest.fixture
def demo_mailbox(settings: Any) -> Iterator[Any]:
    """Demo mode on, all mail to the in-process sink. The mailbox writes the mail settings after
    this override, so they are undone with it."""
    settings.DEMO_MODE = True
    mailbox.start()
    yield mailbox
    mailbox.stop()
    reset_default_channels()


def send_sample_mail(subject: str = "Sample mail") -> None:
    from django.core.mail import send_mail

    send_mail(subject, "Sample text", "salama@localhost", ["someone@example.org"])

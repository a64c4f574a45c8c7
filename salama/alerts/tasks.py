"""The fan-out: the frozen audience streamed into deliveries, committed batch by batch."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import replace
from typing import Any

from salama.core.jobs import PermanentError, job
from salama.delivery import engine
from salama.delivery.engine import Recipient
from salama.delivery.models import MessageVersion

from .models import Alert


def with_fallback(recipients: Iterable[Recipient], languages: dict[str, set[str]], default: str) -> Iterator[Recipient]:
    """A recipient whose language the alert lacks gets the alert's default language; the row
    then says which language was really sent, for the board."""
    for recipient in recipients:
        if recipient.channel not in languages:
            continue  # a channel the alert is not rendered for (none yet): nothing to send there
        if recipient.language not in languages.get(recipient.channel, set()):
            recipient = replace(recipient, language=default)
        yield recipient


@job("alerts.fan_out")
def fan_out(payload: dict[str, Any]) -> None:
    """Idempotent: running it again (a lease that expired) inserts no second delivery."""
    from salama.audiences.freezing import recipients

    alert = Alert.objects.filter(pk=payload["alert"]).select_related("audience").first()
    version = MessageVersion.objects.filter(pk=payload["version"]).first()
    if alert is None or version is None or alert.audience is None:
        raise PermanentError("alert, version or audience missing")
    languages = {channel: set(content) for channel, content in version.rendered.items()}
    engine.create_deliveries(
        version,
        with_fallback(recipients(alert.audience), languages, version.default_language),
        commit_each_batch=True,
    )

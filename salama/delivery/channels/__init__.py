"""The one interface every channel implements, and the registry of channels.

A channel gets a batch of `Item`s (one per delivery, already opened and with the content of the
recipient's language) and answers one `Result` per item. It classifies each failure: transient
(retried with backoff) or permanent (failed; `suppress` when the address itself is bad).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import lru_cache
from typing import Any, Protocol

PLACEHOLDER = re.compile(r"\[\[(greeting|link:[a-z_]+)\]\]")


class Outcome(StrEnum):
    SENT = "sent"
    TRANSIENT = "transient"
    PERMANENT = "permanent"


@dataclass(frozen=True, slots=True)
class Item:
    delivery_id: int
    idempotency_key: str
    address: str
    greeting: str
    language: str
    content: Mapping[str, Any]
    links: Mapping[str, str] = field(default_factory=dict)
    # Channel-specific sealed values of the contact point (a webhook's signing secret).
    extra: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Result:
    delivery_id: int
    outcome: Outcome
    code: str = ""
    # Permanent failures caused by the address itself put it on the suppression list.
    suppress: bool = False


class InvalidAddress(ValueError):
    pass


class Channel(Protocol):
    name: str
    # True when the idempotency key travels on the wire and the far side drops copies, so a
    # re-send after a crash is invisible; False sends expired leases to `in_doubt` instead.
    dedups: bool

    def normalise(self, address: str) -> str:
        """The canonical form of an address, or InvalidAddress."""
        ...

    def send_batch(self, items: list[Item]) -> list[Result]: ...

    def close(self) -> None: ...


REGISTRY: dict[str, Channel] = {}


def register(channel: Channel) -> Channel:
    REGISTRY[channel.name] = channel
    return channel


def get(name: str) -> Channel:
    if name not in REGISTRY:
        load_default_channels()
    return REGISTRY[name]


def enabled() -> list[Channel]:
    load_default_channels()
    return list(REGISTRY.values())


def load_default_channels() -> None:
    from .email import EmailChannel
    from .matrix.channel import MatrixChannel
    from .webhook import WebhookChannel

    for channel in (EmailChannel(), WebhookChannel(), MatrixChannel()):
        REGISTRY.setdefault(channel.name, channel)


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


@lru_cache(maxsize=256)
def _pieces(text: str) -> tuple[str, ...]:
    """Literal text and placeholder names, alternating: split once per rendered content (the
    same string for every recipient of a version), not once per recipient."""
    return tuple(PLACEHOLDER.split(text))


def substitute(text: str, greeting: str, links: Mapping[str, str], *, escape: Any = None) -> str:
    """Fill the per-recipient placeholders; `escape` (html.escape, a JSON escaper) guards them."""
    if "[[" not in text:
        return text
    pieces = list(_pieces(text))
    for n in range(1, len(pieces), 2):
        name = pieces[n]
        filled = greeting if name == "greeting" else links.get(name.removeprefix("link:"), "")
        pieces[n] = escape(filled) if escape else filled
    return "".join(pieces)


def html_escape(value: str) -> str:
    return html.escape(value, quote=True)

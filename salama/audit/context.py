"""Which way a change came in (web, api, cli, worker), without passing a request to actions.

A context variable, so each request, thread and task has its own value. Outside a request or a
job the code runs from a management command or a shell, hence the default.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

CHANNELS = ("web", "api", "cli", "worker")

_channel: ContextVar[str] = ContextVar("salama_audit_channel", default="cli")


def current_channel() -> str:
    return _channel.get()


@contextmanager
def channel(name: str) -> Iterator[None]:
    if name not in CHANNELS:
        raise ValueError(f"unknown audit channel {name!r}")
    # Reset, not just set: WSGI threads serve many requests and keep their context between them.
    token = _channel.set(name)
    try:
        yield
    finally:
        _channel.reset(token)

"""Database sessions that remember their owner, when they began and when they were last used."""

from __future__ import annotations

import secrets
import time
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore

SEEN_KEY = "_salama_seen"  # epoch seconds of the last request
STARTED_KEY = "_salama_started"  # epoch seconds of the sign-in
AGENT_KEY = "_salama_agent"  # a short description of the browser
HANDLE_KEY = "_salama_handle"  # names the session in pages; the key never leaves the cookie


def _moment(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=UTC) if epoch else None


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> Any:
        from .models import Session

        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        data.setdefault(HANDLE_KEY, secrets.token_urlsafe(12))
        instance: Any = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        instance.user_id = int(user_id) if user_id else None
        instance.handle = data[HANDLE_KEY]
        instance.created_at = _moment(data.get(STARTED_KEY)) or _moment(time.time())
        instance.last_seen_at = _moment(data.get(SEEN_KEY))
        instance.user_agent = str(data.get(AGENT_KEY, ""))[:120]
        return instance

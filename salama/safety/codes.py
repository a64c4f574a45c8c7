"""The defender's credentials: a signed check-in link and two short codes per schedule.

- The link signs `schedule id . defender id . link version` with a salt of its own: it cannot be
  forged, names exactly one schedule and one defender, and bumping the version revokes it.
- Codes are 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L). Only a keyed
  hash is stored: HMAC-SHA256 under a blind-index key kept in the key store, apart from the
  main database, so a seized database gives no code away and cannot be tested offline.
- Guessing is slowed per client: after `SAFETY_GUESS_LIMIT` wrong tries in the window, every
  answer is the neutral page, right code or not.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db.models import Q
from django.utils import timezone

from salama.core.encryption import key_store
from salama.crypto import field_index_key

from .models import CheckInSchedule, GuessAttempt

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
LINK_SALT = "salama.safety.checkin-link"
# The key store's blind-index key under a platform-wide name: a code is typed on a page that
# does not know the organisation yet.
KEY_OWNER = "salama.safety"


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """What a person types on a phone keyboard: spaces, dashes and small letters allowed."""
    return "".join(c for c in typed.upper() if c.isalnum())


def _keyer(purpose: str) -> bytes:
    return field_index_key(key_store().index_key(KEY_OWNER), f"safety.{purpose}")


def code_digest(code: str) -> str:
    return hmac.new(_keyer("code"), normalise_code(code).encode(), hashlib.sha256).hexdigest()


def client_key(address: str | None) -> str:
    return hmac.new(_keyer("client"), (address or "").encode(), hashlib.sha256).hexdigest()


# -- the signed link ---------------------------------------------------------------------------


def _signer() -> signing.Signer:
    return signing.Signer(salt=LINK_SALT)


def link_token(schedule: CheckInSchedule) -> str:
    return _signer().sign(f"{schedule.pk}.{schedule.defender_id}.{schedule.link_version}")


def link_url(schedule: CheckInSchedule) -> str:
    return f"{settings.SITE_URL}/c/{link_token(schedule)}/"


def schedule_for_token(token: str) -> CheckInSchedule | None:
    """The active schedule a token was signed for, if it is still its current link."""
    try:
        schedule_id, defender_id, version = _signer().unsign(token).split(".")
    except (signing.BadSignature, ValueError):
        return None
    schedule = (
        CheckInSchedule.objects.filter(pk=schedule_id, defender_id=defender_id, active=True)
        .select_related("defender", "organization")
        .first()
    )
    if schedule is None or str(schedule.link_version) != version:
        return None
    return schedule


def schedule_for_code(code: str) -> tuple[CheckInSchedule | None, bool]:
    """The active schedule whose code (or duress code) this is, and whether it was the duress one."""
    typed = normalise_code(code)
    if len(typed) != CODE_LENGTH:
        return None, False
    digest = code_digest(typed)
    schedule = (
        CheckInSchedule.objects.filter(Q(code_digest=digest) | Q(duress_digest=digest), active=True)
        .select_related("defender", "organization")
        .first()
    )
    if schedule is None:
        return None, False
    return schedule, hmac.compare_digest(schedule.duress_digest or "", digest)


def code_matches(schedule: CheckInSchedule, code: str) -> str:
    """On the signed-link page: "ok", "duress", or "" for a code of neither kind."""
    typed = normalise_code(code)
    if len(typed) != CODE_LENGTH:
        return ""
    digest = code_digest(typed)
    if hmac.compare_digest(schedule.duress_digest or "", digest):
        return "duress"
    if hmac.compare_digest(schedule.code_digest or "", digest):
        return "ok"
    return ""


# -- slowing guesses ---------------------------------------------------------------------------


def _window_start() -> Any:
    return timezone.now() - timedelta(minutes=settings.SAFETY_GUESS_WINDOW_MINUTES)


def guessing_blocked(address: str | None) -> bool:
    recent = GuessAttempt.objects.filter(client_key=client_key(address), at__gte=_window_start())
    return recent.count() >= settings.SAFETY_GUESS_LIMIT


def count_guess(address: str | None) -> None:
    GuessAttempt.objects.create(client_key=client_key(address))
    # Old attempts say nothing any more; forgetting them keeps the table small.
    GuessAttempt.objects.filter(at__lt=_window_start() - timedelta(days=1)).delete()

"""Sign-ins and failed sign-ins, from Django's own signals.

A success is recorded when the second factor completes the sign-in (that is when
`django.contrib.auth.login` runs). A failure is recorded for a wrong password and for a wrong
second factor. What was typed into the address field is never stored: people type passwords
there by mistake. An address that belongs to an account is stored in its normalised form (it
is that account's name); anything else is recorded as "unknown".
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from salama.accounts.models import User, UserManager

from .actions import account, record

# `note_failed_second_factor` in salama.accounts.views sends the failure signal itself.
SECOND_FACTOR_SENDER = "salama.accounts.views"


@receiver(user_logged_in, dispatch_uid="salama.audit.signed_in")
def on_signed_in(sender: Any, request: Any, user: User, **kwargs: Any) -> None:
    record("signin.succeeded", actor=user, target=account(user))


@receiver(user_login_failed, dispatch_uid="salama.audit.sign_in_failed")
def on_sign_in_failed(sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any) -> None:
    typed = credentials.get("username")
    address = UserManager.normalize(typed) if isinstance(typed, str) else ""
    known = bool(address) and User.objects.filter(email=address).exists()
    step = "second_factor" if sender == SECOND_FACTOR_SENDER else "password"
    record(
        "signin.failed",
        target=account(address) if known else ("account", "unknown"),
        changes={"step": (None, step)},
        loggable=["step"],
    )

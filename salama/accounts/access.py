"""Reads of a person's own account data: sessions, devices and API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ApiToken, Session, User, WebAuthnDevice


def is_fully_signed_in(user: Any) -> bool:
    """Signed in with a password and a second factor in this session."""
    return bool(user.is_authenticated and getattr(user, "is_verified", lambda: False)())


def sessions_of(user: User) -> QuerySet[Session]:
    return Session.objects.filter(user=user, expire_date__gt=timezone.now()).order_by("-last_seen_at")


def tokens_of(user: User) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user).select_related("organization").order_by("-created_at")


def backup_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user).count()


def access_device(user: User, kind: str, device_id: int) -> Device:
    model = {"totp": TOTPDevice, "webauthn": WebAuthnDevice}.get(kind)
    device = model.objects.filter(user=user, pk=device_id, confirmed=True).first() if model else None
    if device is None:
        raise Http404
    return device


def authenticate_token(secret: str) -> ApiToken | None:
    """The usable token for a bearer secret, or None; notes its use at most once a minute."""
    if not secret.startswith(ApiToken.PREFIX):
        return None
    token = (
        ApiToken.objects.usable()
        .select_related("user", "organization")
        .filter(token_hash=ApiToken.hash(secret))
        .first()
    )
    if token is not None:
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token

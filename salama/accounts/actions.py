"""Every change to accounts, devices, sessions and API tokens goes through these functions."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from salama.audit.actions import account, created, record

from .models import ApiToken, Session, User, WebAuthnDevice

if TYPE_CHECKING:
    from django_otp.models import Device

    from salama.orgs.models import Organization

BACKUP_CODE_COUNT = 10


@transaction.atomic
def do_create_user(email: str, display_name: str, password: str | None, *, language: str = "") -> User:
    user = User.objects.create_user(email=email, password=password, display_name=display_name, language=language)
    record(
        "account.created",
        target=account(user),
        changes=created({"email": user.email, "display_name": display_name, "password": None}),
        loggable=("email",),
    )
    return user


def new_totp_key() -> str:
    """A fresh authenticator secret, kept in the session until its first code confirms it."""
    return random_hex(20)


@transaction.atomic
def do_enrol_totp(user: User, key: str, code: str, name: str = "") -> TOTPDevice | None:
    """Save an authenticator once it has produced a valid code; that code is spent (no replay)."""
    totp = TOTP(bytes.fromhex(key))
    totp.time = time.time()
    if not code.isdigit() or not totp.verify(int(code), tolerance=1):
        return None
    device = TOTPDevice.objects.create(
        user=user, key=key, name=name or _("Authenticator app"), confirmed=True, last_t=totp.t(), drift=totp.drift
    )
    record(
        "second_factor.added",
        actor=user,
        target=("second_factor", device.persistent_id),
        changes=created({"kind": "totp", "name": device.name}),
        loggable=("kind",),
    )
    return device


@transaction.atomic
def do_generate_backup_codes(user: User) -> list[str]:
    """Replace the account's backup codes with a fresh set, shown once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    record(
        "backup_codes.regenerated",
        actor=user,
        target=account(user),
        changes=created({"count": len(codes)}),
        loggable=("count",),
    )
    return codes


def second_factors(user: User) -> list[Device]:
    factors: list[Device] = []
    for model in (TOTPDevice, WebAuthnDevice):
        factors.extend(model.objects.filter(user=user, confirmed=True))
    return factors


def has_second_factor(user: User) -> bool:
    return bool(second_factors(user))


# The longest base64url credential ID the model stores; real keys use far shorter IDs.
CREDENTIAL_ID_MAX = WebAuthnDevice._meta.get_field("credential_id").max_length or 1024


@transaction.atomic
def do_add_webauthn_device(
    user: User, name: str, credential_id: str, public_key: str, sign_count: int
) -> WebAuthnDevice:
    """Keep a security key whose registration the caller has verified."""
    name = name.strip() or _("Security key")
    name_max = WebAuthnDevice._meta.get_field("name").max_length or 64
    if len(name) > name_max:
        raise ValidationError({"name": _("Use at most %(max)d characters.") % {"max": name_max}})
    if len(credential_id) > CREDENTIAL_ID_MAX:
        raise ValidationError(_("This security key cannot be used with Salama."))
    try:
        # A savepoint, so that a key registered twice at once fails cleanly, not with a 500.
        with transaction.atomic():
            device = WebAuthnDevice.objects.create(
                user=user,
                name=name,
                confirmed=True,
                credential_id=credential_id,
                public_key=public_key,
                sign_count=sign_count,
            )
    except IntegrityError:
        raise ValidationError(_("This security key is already registered.")) from None
    record(
        "second_factor.added",
        actor=user,
        target=("second_factor", device.persistent_id),
        changes=created({"kind": "webauthn", "name": name}),
        loggable=("kind",),
    )
    return device


def do_record_webauthn_use(user: User, device: WebAuthnDevice, sign_count: int) -> bool:
    """Note that a key signed in, with its new signature counter.

    False if another sign-in has already used this counter value (a replayed or cloned key).
    A key that keeps no counter always reports 0, so its uses cannot be compared.
    """
    if device.user_id != user.pk:
        raise ValidationError(_("This device is not yours."))
    unused = WebAuthnDevice.objects.filter(pk=device.pk, user=user)
    if sign_count:
        unused = unused.filter(sign_count__lt=sign_count)
    return bool(unused.update(sign_count=sign_count, last_used_at=timezone.now()))


@transaction.atomic
def do_delete_device(user: User, device: Device, current: Device | None = None) -> None:
    """Remove an authenticator or security key: never the last one, nor the one this session
    was verified with (sign in with another first; that also proves the other one works)."""
    if device.user_id != user.pk:
        raise ValidationError(_("This device is not yours."))
    if current is not None and device.persistent_id == current.persistent_id:
        raise ValidationError(_("You signed in with this device. Sign in with another one to remove it."))
    if len(second_factors(user)) <= 1:
        raise ValidationError(_("This is your only second factor. Add another one before removing it."))
    removed = device.persistent_id
    device.delete()
    record("second_factor.removed", actor=user, target=("second_factor", removed))


def do_change_password(request: HttpRequest, user: User, new_password: str) -> int:
    """Set a new password, keep this session, end every other one. Returns how many ended."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        ended = _end_other_sessions(user, keep=request.session.session_key)
        record(
            "password.changed",
            actor=user,
            target=account(user),
            changes={"password": (None, None), "sessions_ended": (None, ended)},
            loggable=("sessions_ended",),
        )
        return ended


def do_set_password_by_reset(user: User, new_password: str) -> None:
    """A reset may follow a compromise: it ends every session and revokes every API token.
    Signing in afterwards still needs the second factor."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        ended, _detail = Session.objects.filter(user=user).delete()
        revoked = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(revoked_at=timezone.now())
        record(
            "password.reset",
            actor=user,
            target=account(user),
            changes={"password": (None, None), "sessions_ended": (None, ended), "api_tokens_revoked": (None, revoked)},
            loggable=("sessions_ended", "api_tokens_revoked"),
        )


@transaction.atomic
def do_end_session(user: User, handle: str) -> int:
    deleted, _detail = Session.objects.filter(user=user, handle=handle).delete()
    if deleted:
        record("session.ended", actor=user, target=account(user))
    return deleted


def _end_other_sessions(user: User, keep: str | None) -> int:
    deleted, _detail = Session.objects.filter(user=user).exclude(session_key=keep or "").delete()
    return deleted


@transaction.atomic
def do_end_other_sessions(user: User, keep: str | None) -> int:
    ended = _end_other_sessions(user, keep)
    record(
        "session.others_ended",
        actor=user,
        target=account(user),
        changes={"sessions_ended": (None, ended)},
        loggable=("sessions_ended",),
    )
    return ended


@transaction.atomic
def do_create_api_token(user: User, organization: Organization, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for one organisation the user belongs to. The secret is returned once."""
    if not user.memberships.filter(organization=organization).exists():  # type: ignore[attr-defined]
        raise ValidationError(_("You are not a member of this organisation."))
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(_("A token lasts from 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS})
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user,
        organization=organization,
        name=name,
        hint=secret[:10],
        token_hash=ApiToken.hash(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    record(
        "token.created",
        actor=user,
        organization=organization,
        target=("api_token", token.pk),
        changes=created({"name": name, "expires_at": token.expires_at}),
        loggable=("name", "expires_at"),
    )
    return token, secret


@transaction.atomic
def do_revoke_api_token(user: User, token_id: int) -> bool:
    token = ApiToken.objects.filter(user=user, pk=token_id).select_related("organization").first()
    if token is None or not ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    ):
        return False
    record("token.revoked", actor=user, organization=token.organization, target=("api_token", token.pk))
    return True

"""Every change to accounts, devices, sessions and API tokens goes through these functions."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import update_session_auth_hash
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import ApiToken, Session, User

if TYPE_CHECKING:
    from django_otp.models import Device

    from salama.orgs.models import Organization

BACKUP_CODE_COUNT = 10


@transaction.atomic
def do_create_user(email: str, display_name: str, password: str | None, *, language: str = "") -> User:
    return User.objects.create_user(email=email, password=password, display_name=display_name, language=language)


def pending_totp_device(user: User) -> TOTPDevice:
    """The unconfirmed authenticator being enrolled, made once and reused until confirmed."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name=_("Authenticator app"), confirmed=False)


@transaction.atomic
def do_confirm_totp(user: User, device: TOTPDevice, code: str, name: str = "") -> bool:
    """Confirm an authenticator by its first code; the code is then spent (no replay)."""
    if device.user_id != user.pk or device.confirmed or not device.verify_token(code):
        return False
    device.confirmed = True
    if name:
        device.name = name
    device.save()
    return True


@transaction.atomic
def do_generate_backup_codes(user: User) -> list[str]:
    """Replace the account's backup codes with a fresh set, shown once."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, defaults={"name": "Backup codes", "confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


def second_factors(user: User) -> list[Device]:
    from .models import WebAuthnDevice

    factors: list[Device] = []
    for model in (TOTPDevice, WebAuthnDevice):
        factors.extend(model.objects.filter(user=user, confirmed=True))
    return factors


def has_second_factor(user: User) -> bool:
    return bool(second_factors(user))


@transaction.atomic
def do_delete_device(user: User, device: Device) -> None:
    """Remove an authenticator or security key, never the last one."""
    if device.user_id != user.pk:
        raise ValidationError(_("This device is not yours."))
    if len(second_factors(user)) <= 1:
        raise ValidationError(_("This is your only second factor. Add another one before removing it."))
    device.delete()


def do_change_password(request: HttpRequest, user: User, new_password: str) -> int:
    """Set a new password, keep this session, end every other one. Returns how many ended."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        update_session_auth_hash(request, user)
        return do_end_other_sessions(user, keep=request.session.session_key)


def do_set_password_by_reset(user: User, new_password: str) -> None:
    """A reset ends every session; signing in afterwards still needs the second factor."""
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password"])
        Session.objects.filter(user=user).delete()


def do_end_session(user: User, handle: str) -> int:
    deleted, _detail = Session.objects.filter(user=user, handle=handle).delete()
    return deleted


def do_end_other_sessions(user: User, keep: str | None) -> int:
    deleted, _detail = Session.objects.filter(user=user).exclude(session_key=keep or "").delete()
    return deleted


@transaction.atomic
def do_create_api_token(user: User, organization: Organization, name: str, days: int) -> tuple[ApiToken, str]:
    """A new token for one organisation the user belongs to. The secret is returned once."""
    if not user.memberships.filter(organization=organization).exists():  # type: ignore[attr-defined]
        raise ValidationError(_("You are not a member of this organisation."))
    if not 1 <= days <= settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(
            _("A token lasts from 1 to %(max)d days.") % {"max": settings.API_TOKEN_MAX_DAYS}
        )
    secret = ApiToken.new_secret()
    token = ApiToken.objects.create(
        user=user,
        organization=organization,
        name=name,
        hint=secret[:10],
        token_hash=ApiToken.hash(secret),
        expires_at=timezone.now() + timedelta(days=days),
    )
    return token, secret


def do_revoke_api_token(user: User, token_id: int) -> bool:
    return bool(
        ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).update(revoked_at=timezone.now())
    )

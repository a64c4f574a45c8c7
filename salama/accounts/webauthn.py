"""Security keys and platform authenticators (WebAuthn) as an optional second factor.

People add a key on the account security page and use it on the second-factor step, where a
code would otherwise be typed. Each ceremony is two POSTs: *begin* answers with the options
for the browser and keeps their challenge in the session; *finish* spends that challenge,
whatever the outcome, and verifies what the authenticator signed.
"""

from __future__ import annotations

import json
import logging
import time
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.http.request import RawPostDataException
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url, options_to_json_dict
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from . import actions
from .models import User, WebAuthnDevice
from .views import (
    finish_sign_in,
    next_after_sign_in,
    note_failed_second_factor,
    pending_user,
    recent_second_factor,
)

log = logging.getLogger("salama.accounts")

REGISTER_CHALLENGE = "_salama_webauthn_register"
LOGIN_CHALLENGE = "_salama_webauthn_login"
# How long the browser may take over one ceremony; the server forgets the challenge after it.
CEREMONY_SECONDS = 120
# The password is the knowledge factor already: the key only has to prove it is present, so
# a security key without a PIN works and one with a PIN is not made to ask for it.
USER_VERIFICATION = UserVerificationRequirement.DISCOURAGED


class CeremonyError(Exception):
    def __init__(self, code: str, message: str, fields: dict[str, list[str]] | None = None) -> None:
        super().__init__(code)
        self.code, self.message, self.fields = code, message, fields or {}

    def response(self) -> JsonResponse:
        body = {"error": {"code": self.code, "message": self.message, "fields": self.fields}}
        return JsonResponse(body, status=400)


def _expired_error() -> CeremonyError:
    return CeremonyError("sign_in_expired", _("Please sign in again."))


def _not_verified() -> CeremonyError:
    return CeremonyError("not_verified", _("The security key's answer could not be verified."))


def _origin(request: HttpRequest) -> str:
    """The request's own origin, if security keys may be used there (see WEBAUTHN_ORIGIN)."""
    allowed = settings.WEBAUTHN_ORIGIN
    origin = f"{request.scheme}://{request.get_host()}"
    if origin not in ([allowed] if isinstance(allowed, str) else allowed):
        message = _("Security keys cannot be used at this address.")
        raise CeremonyError("origin_not_allowed", message)
    return origin


def _keep_challenge(request: HttpRequest, key: str, challenge: bytes, user: User) -> None:
    kept = {"challenge": bytes_to_base64url(challenge), "user": user.pk, "at": time.time()}
    request.session[key] = kept


def _take_challenge(request: HttpRequest, key: str, user: User) -> bytes:
    """The challenge given to this person for this ceremony, spent now so it is never reused."""
    kept = request.session.pop(key, None)
    if not isinstance(kept, dict) or kept.get("user") != user.pk:
        message = _("Start again: press the button, then use your security key.")
        raise CeremonyError("no_challenge", message)
    if time.time() - kept.get("at", 0) > CEREMONY_SECONDS:
        message = _("That took too long. Start again and use your key sooner.")
        raise CeremonyError("challenge_expired", message)
    return base64url_to_bytes(kept["challenge"])


def _payload(request: HttpRequest) -> dict[str, Any]:
    try:
        data = json.loads(request.body)
    except (ValueError, RawPostDataException):  # not JSON, or a multipart body already consumed
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("credential"), dict):
        fields = {"credential": [_("This field is required.")]}
        raise CeremonyError("invalid", _("The browser sent an incomplete answer."), fields)
    return data


def _descriptors(devices: list[WebAuthnDevice]) -> list[PublicKeyCredentialDescriptor]:
    return [PublicKeyCredentialDescriptor(id=base64url_to_bytes(d.credential_id)) for d in devices]


def _user_handle(user: User) -> bytes:
    # Stable per account, so a key asked to register twice recognises it, yet no address or
    # database ID reaches the authenticator.
    return salted_hmac("salama.accounts.webauthn.user-handle", str(user.pk)).digest()


def _keys_of(user: User) -> list[WebAuthnDevice]:
    return list(WebAuthnDevice.objects.filter(user=user, confirmed=True))


# Adding a key ------------------------------------------------------------------------------


@require_POST
@recent_second_factor
def webauthn_register_begin(request: HttpRequest) -> JsonResponse:
    user: User = request.user  # type: ignore[assignment]
    try:
        _origin(request)
    except CeremonyError as error:
        return error.response()
    options = generate_registration_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        rp_name=settings.OTP_TOTP_ISSUER,
        user_id=_user_handle(user),
        user_name=user.email,
        user_display_name=user.display_name,
        timeout=CEREMONY_SECONDS * 1000,
        exclude_credentials=_descriptors(_keys_of(user)),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED, user_verification=USER_VERIFICATION
        ),
    )
    _keep_challenge(request, REGISTER_CHALLENGE, options.challenge, user)
    return JsonResponse(options_to_json_dict(options))


def _register(request: HttpRequest, user: User) -> WebAuthnDevice:
    challenge = _take_challenge(request, REGISTER_CHALLENGE, user)
    origin = _origin(request)
    data = _payload(request)
    name = data.get("name", "")
    if not isinstance(name, str):
        raise CeremonyError("invalid", _("Give the key a name."), {"name": [_("Enter text.")]})
    try:
        verified = verify_registration_response(
            credential=data["credential"],
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=origin,
        )
    # The library lets some malformed input through as plain Python errors; all of it means
    # "not verified", and a bad answer from a browser must never become a 500.
    except Exception as error:
        log.info("security key registration refused: %s", type(error).__name__)
        raise _not_verified() from None
    try:
        return actions.do_add_webauthn_device(
            user,
            name,
            credential_id=bytes_to_base64url(verified.credential_id),
            public_key=bytes_to_base64url(verified.credential_public_key),
            sign_count=verified.sign_count,
        )
    except ValidationError as error:
        fields = dict(error.message_dict) if hasattr(error, "error_dict") else {}
        raise CeremonyError("invalid", error.messages[0], fields) from None


@require_POST
def webauthn_register_finish(request: HttpRequest) -> JsonResponse:
    try:
        _register(request, request.user)  # type: ignore[arg-type]
    except CeremonyError as error:
        return error.response()
    messages.success(request, _("Security key added."))
    return JsonResponse({"redirect": reverse("accounts:security")})


# Signing in with a key ---------------------------------------------------------------------


@require_POST
def webauthn_login_begin(request: HttpRequest) -> JsonResponse:
    user = pending_user(request)
    try:
        if user is None:
            raise _expired_error()
        _origin(request)
        keys = _keys_of(user)
        if not keys:
            raise CeremonyError("no_security_key", _("This account has no security key."))
    except CeremonyError as error:
        return error.response()
    options = generate_authentication_options(
        rp_id=settings.WEBAUTHN_RP_ID,
        timeout=CEREMONY_SECONDS * 1000,
        allow_credentials=_descriptors(keys),
        user_verification=USER_VERIFICATION,
    )
    _keep_challenge(request, LOGIN_CHALLENGE, options.challenge, user)
    return JsonResponse(options_to_json_dict(options))


def _assert(request: HttpRequest, user: User) -> WebAuthnDevice:
    """The person's key that signed this sign-in's challenge; its counter is updated."""
    challenge = _take_challenge(request, LOGIN_CHALLENGE, user)
    origin = _origin(request)
    credential = _payload(request)["credential"]
    credential_id = credential.get("id")
    keys = WebAuthnDevice.objects.filter(user=user, confirmed=True)
    device = None
    if isinstance(credential_id, str):
        device = keys.filter(credential_id=credential_id).first()
    if device is None:
        message = _("That security key is not registered to this account.")
        raise CeremonyError("unknown_key", message)
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=challenge,
            expected_rp_id=settings.WEBAUTHN_RP_ID,
            expected_origin=origin,
            credential_public_key=base64url_to_bytes(device.public_key),
            credential_current_sign_count=device.sign_count,
        )
    except Exception as error:  # as for registration: any failure to verify is a refusal
        log.info("security key sign-in refused: %s", type(error).__name__)
        raise _not_verified() from None
    if not actions.do_record_webauthn_use(user, device, verified.new_sign_count):
        raise _not_verified()
    return device


def _failed(request: HttpRequest, user: User, error: CeremonyError) -> JsonResponse:
    """A refused key counts against the account like a wrong code (see verify_view)."""
    ended = note_failed_second_factor(request, user)
    # A lock is recorded and enforced at the password step; left set, the flag makes the
    # throttle swap this JSON answer for its HTML sign-in page.
    request.axes_locked_out = False  # type: ignore[attr-defined]
    return (_expired_error() if ended else error).response()


@require_POST
def webauthn_login_finish(request: HttpRequest) -> JsonResponse:
    user = pending_user(request)
    if user is None:
        return _expired_error().response()
    try:
        device = _assert(request, user)
    except CeremonyError as error:
        return _failed(request, user, error)
    finish_sign_in(request, user, device)
    return JsonResponse({"redirect": next_after_sign_in(request)})

"""Signing in (password, then a second factor), enrolment, and the account security page."""

from __future__ import annotations

import base64
import functools
import time
from collections.abc import Callable
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, user_login_failed
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp import match_token
from django_otp.middleware import is_verified as otp_is_verified
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.orgs.access import memberships_of

from . import actions
from .access import access_device, backup_codes_left, is_fully_signed_in, sessions_of, tokens_of
from .forms import (
    ApiTokenForm,
    ChangePasswordForm,
    CodeForm,
    EnrolForm,
    ResetPasswordForm,
    ResetRequestForm,
    SignInForm,
)
from .models import User, WebAuthnDevice
from .session_store import AGENT_KEY, SEEN_KEY, STARTED_KEY

PENDING_USER = "_salama_pending_user"
PENDING_AT = "_salama_pending_at"
PENDING_NEXT = "_salama_pending_next"
PENDING_FAILURES = "_salama_pending_failures"
ENROL_KEY = "_salama_enrol_key"  # an authenticator secret awaiting its first code
STEP_UP_AT = "_salama_second_factor_at"  # when this session last proved its second factor
MAX_CODE_FAILURES = 5

# One answer for an unknown address, a wrong password and a throttled account.
SIGN_IN_FAILED = gettext_lazy(
    "The email address or password is wrong, or signing in is paused for this account. Try again later."
)


def safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(candidate, {request.get_host()}, request.is_secure()):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def _sign_in_page(request: HttpRequest, form: SignInForm, failed: bool = False) -> HttpResponse:
    if failed:
        form.add_error(None, SIGN_IN_FAILED)
    return render(
        request, "accounts/login.html", {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")}
    )


def throttle_key(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The account a sign-in attempt is counted against: "Ally@X" and "ally@x" are one account."""
    raw = (credentials or {}).get("username") or request.POST.get("username", "")
    return str(raw).strip().lower()


def client_address(request: HttpRequest) -> str | None:
    return request.META.get("REMOTE_ADDR")


def login_locked_out(
    request: HttpRequest, credentials: dict[str, Any] | None = None, *args: Any, **kwargs: Any
) -> HttpResponse:
    """The throttle's answer: word for word the answer to a wrong password."""
    form = SignInForm(request.POST)
    form.is_valid()
    return _sign_in_page(request, form, failed=True)


def pending_user(request: HttpRequest) -> User | None:
    """The person who gave the right password and still owes a second factor, if still in time."""
    user_id, started = request.session.get(PENDING_USER), request.session.get(PENDING_AT, 0)
    if not user_id or time.time() - started > settings.SECOND_FACTOR_WINDOW_SECONDS:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def start_pending_sign_in(request: HttpRequest, user: User, next_url: str = "") -> None:
    """The password is right: a new session that waits for the second factor, nothing more."""
    request.session.cycle_key()
    request.session[PENDING_USER] = user.pk
    request.session[PENDING_AT] = time.time()
    request.session[PENDING_FAILURES] = 0
    request.session[PENDING_NEXT] = next_url


def clear_pending(request: HttpRequest) -> None:
    for key in (PENDING_USER, PENDING_AT, PENDING_NEXT, PENDING_FAILURES, ENROL_KEY):
        request.session.pop(key, None)


def finish_sign_in(request: HttpRequest, user: User, device: Device) -> None:
    next_url = request.session.get(PENDING_NEXT)
    clear_pending(request)
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    otp_login(request, device)
    # The rest of this request (a page rendered now) sees a verified user, as later ones will.
    request.user.is_verified = functools.partial(otp_is_verified, request.user)  # type: ignore[union-attr]
    now = time.time()
    request.session[STARTED_KEY] = now
    request.session[SEEN_KEY] = now
    request.session[AGENT_KEY] = request.headers.get("User-Agent", "")[:120]
    request.session[STEP_UP_AT] = now
    request.session[PENDING_NEXT] = next_url


def next_after_sign_in(request: HttpRequest) -> str:
    return safe_next(request, request.session.pop(PENDING_NEXT, None))


@require_http_methods(["GET", "POST"])
def login_view(request: HttpRequest) -> HttpResponse:
    if is_fully_signed_in(request.user):
        return redirect(safe_next(request, request.GET.get("next")))
    form = SignInForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return _sign_in_page(request, form)
        user = authenticate(request, username=form.cleaned_data["username"], password=form.cleaned_data["password"])
        if user is None:
            return _sign_in_page(request, form, failed=True)
        start_pending_sign_in(request, user, request.POST.get("next", ""))  # type: ignore[arg-type]
        if actions.has_second_factor(user):  # type: ignore[arg-type]
            return redirect("accounts:verify")
        return redirect("accounts:enrol")
    return _sign_in_page(request, form)


def note_failed_second_factor(request: HttpRequest, user: User) -> bool:
    """A wrong code or key counts against the account like a wrong password. True when this
    sign-in attempt is over (too many failures, or the account is now locked)."""
    user_login_failed.send(sender=__name__, credentials={"username": user.email}, request=request)
    failures = request.session.get(PENDING_FAILURES, 0) + 1
    request.session[PENDING_FAILURES] = failures
    if failures >= MAX_CODE_FAILURES or getattr(request, "axes_locked_out", False):
        clear_pending(request)
        return True
    return False


def _expired(request: HttpRequest) -> HttpResponseRedirect:
    clear_pending(request)
    messages.info(request, _("Please sign in again."))
    return redirect("accounts:login")


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest) -> HttpResponse:
    user = pending_user(request)
    if user is None or not actions.has_second_factor(user):
        return _expired(request)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["code"])
        if device is not None:
            finish_sign_in(request, user, device)
            if device.persistent_id.startswith("otp_static"):
                left = backup_codes_left(user)
                messages.warning(
                    request,
                    ngettext(
                        "You used a backup code. You have %(count)d left.",
                        "You used a backup code. You have %(count)d left.",
                        left,
                    )
                    % {"count": left},
                )
            return redirect(next_after_sign_in(request))
        if note_failed_second_factor(request, user):
            return _expired(request)
        form.add_error("code", _("That code did not work. Check the time on your phone and try the newest code."))
    has_key = WebAuthnDevice.objects.filter(user=user, confirmed=True).exists()
    return render(request, "accounts/verify.html", {"form": form, "has_security_key": has_key})


def _qr_data_uri(text: str) -> str:
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=12, border=2)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _enrolment_context(request: HttpRequest, user: User, form: EnrolForm) -> dict[str, Any]:
    key = request.session.get(ENROL_KEY)
    if not key:
        key = request.session[ENROL_KEY] = actions.new_totp_key()
    secret = base64.b32encode(bytes.fromhex(key)).decode().rstrip("=")
    preview = TOTPDevice(user=user, key=key)  # never saved: only renders the QR code's URL
    return {
        "form": form,
        "qr": _qr_data_uri(preview.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
    }


def _enrol(request: HttpRequest, user: User, form: EnrolForm) -> TOTPDevice | None:
    key = request.session.get(ENROL_KEY)
    device = key and actions.do_enrol_totp(user, key, form.cleaned_data["code"], form.cleaned_data.get("name", ""))
    if device:
        request.session.pop(ENROL_KEY, None)
        return device
    form.add_error("code", _("That code did not work. Check the time on your phone and try the newest code."))
    return None


@require_http_methods(["GET", "POST"])
def enrol_view(request: HttpRequest) -> HttpResponse:
    """First sign-in: set up an authenticator before anything else."""
    user = pending_user(request)
    if user is None or actions.has_second_factor(user):
        return _expired(request)
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = _enrol(request, user, form)
        if device:
            codes = actions.do_generate_backup_codes(user)
            finish_sign_in(request, user, device)
            return render(request, "accounts/backup_codes.html", {"codes": codes, "next": next_after_sign_in(request)})
    return render(request, "accounts/enrol.html", _enrolment_context(request, user, form))


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You have signed out."))
    return redirect("accounts:login")


# Password reset: Django's views, with a form that queues the mail and one that ends sessions.

password_reset_view = auth_views.PasswordResetView.as_view(
    form_class=ResetRequestForm,
    template_name="accounts/password_reset.html",
    success_url=reverse_lazy("accounts:password_reset_done"),
)
password_reset_done_view = auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html")
password_reset_confirm_view = auth_views.PasswordResetConfirmView.as_view(
    form_class=ResetPasswordForm,
    template_name="accounts/password_reset_confirm.html",
    success_url=reverse_lazy("accounts:password_reset_complete"),
    post_reset_login=False,  # signing in still needs the second factor
)
password_reset_complete_view = auth_views.PasswordResetCompleteView.as_view(
    template_name="accounts/password_reset_complete.html"
)


# Step-up: sensitive changes need a second factor proved in the last few minutes -----------------


def needs_step_up(request: HttpRequest) -> bool:
    return time.time() - request.session.get(STEP_UP_AT, 0) > settings.STEP_UP_SECONDS


def wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "") or request.path.startswith("/api/")


def recent_second_factor(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Guard a sensitive change: a session left open is not enough to make it."""

    @functools.wraps(view)
    def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not needs_step_up(request):
            return view(request, *args, **kwargs)
        back = request.get_full_path() if request.method == "GET" else reverse("accounts:security")
        confirm = f"{reverse('accounts:confirm')}?{urlencode({'next': back})}"
        if wants_json(request):
            message = _("For your safety, confirm it is you with your second factor first.")
            body = {"error": {"code": "step_up_required", "message": message, "fields": {}, "redirect": confirm}}
            return JsonResponse(body, status=403)
        return redirect(confirm)

    return guarded


@require_http_methods(["GET", "POST"])
def confirm_view(request: HttpRequest) -> HttpResponse:
    """Prove the second factor again before a sensitive change."""
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if match_token(request.user, form.cleaned_data["code"]) is not None:
            request.session[STEP_UP_AT] = time.time()
            return redirect(safe_next(request, request.POST.get("next")))
        form.add_error("code", _("That code did not work. Check the time on your phone and try the newest code."))
    return render(
        request,
        "accounts/confirm.html",
        {"form": form, "next": request.POST.get("next") or request.GET.get("next", "")},
    )


# The account security page ------------------------------------------------------------------


def _token_form(user: User, data: Any = None) -> ApiTokenForm:
    choices = [(m.organization.slug, m.organization.name) for m in memberships_of(user)]
    return ApiTokenForm(data, organizations=choices)


def _security_page(request: HttpRequest, **extra: Any) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    status = extra.pop("status", 200)
    context = {
        "totp_devices": TOTPDevice.objects.filter(user=user, confirmed=True),
        "webauthn_devices": WebAuthnDevice.objects.filter(user=user, confirmed=True),
        "backup_codes_left": backup_codes_left(user),
        "sessions": sessions_of(user),
        "current_session": request.session.session_key,
        "tokens": tokens_of(user),
        "token_form": extra.pop("token_form", None) or _token_form(user),
        "password_form": extra.pop("password_form", None) or ChangePasswordForm(user),
        **extra,
    }
    return render(request, "accounts/security.html", context, status=status)


@require_http_methods(["GET"])
def security_view(request: HttpRequest) -> HttpResponse:
    return _security_page(request)


@require_POST
def password_change_view(request: HttpRequest) -> HttpResponse:
    form = ChangePasswordForm(request.user, request.POST)
    if not form.is_valid():
        return _security_page(request, password_form=form, status=400)
    ended = actions.do_change_password(request, request.user, form.cleaned_data["new_password1"])  # type: ignore[arg-type]
    if ended:
        template = ngettext(
            "Password changed. %(count)d other session was signed out.",
            "Password changed. %(count)d other sessions were signed out.",
            ended,
        )
        messages.success(request, template % {"count": ended})
    else:
        messages.success(request, _("Password changed."))
    return redirect("accounts:security")


@require_POST
def session_end_view(request: HttpRequest, handle: str) -> HttpResponse:
    actions.do_end_session(request.user, handle)  # type: ignore[arg-type]
    if request.headers.get("HX-Request"):
        return HttpResponse("")  # htmx removes the session's row in place
    messages.success(request, _("That session was signed out."))
    return redirect("accounts:security")


@require_POST
def sessions_end_others_view(request: HttpRequest) -> HttpResponse:
    ended = actions.do_end_other_sessions(request.user, keep=request.session.session_key)  # type: ignore[arg-type]
    message = ngettext("%(count)d other session was signed out.", "%(count)d other sessions were signed out.", ended)
    messages.success(request, message % {"count": ended})
    return redirect("accounts:security")


@require_http_methods(["GET", "POST"])
@recent_second_factor
def totp_add_view(request: HttpRequest) -> HttpResponse:
    """Add another authenticator app (for example a second phone)."""
    user: User = request.user  # type: ignore[assignment]
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _enrol(request, user, form):
        messages.success(request, _("Authenticator added."))
        return redirect("accounts:security")
    return render(request, "accounts/enrol.html", {**_enrolment_context(request, user, form), "adding": True})


@require_POST
@recent_second_factor
def device_delete_view(request: HttpRequest, kind: str, device_id: int) -> HttpResponse:
    device = access_device(request.user, kind, device_id)  # type: ignore[arg-type]
    try:
        actions.do_delete_device(request.user, device, current=request.user.otp_device)  # type: ignore[arg-type, union-attr]
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, _("Device removed."))
    return redirect("accounts:security")


@require_POST
@recent_second_factor
def backup_codes_view(request: HttpRequest) -> HttpResponse:
    codes = actions.do_generate_backup_codes(request.user)  # type: ignore[arg-type]
    return render(request, "accounts/backup_codes.html", {"codes": codes, "next": reverse("accounts:security")})


@require_POST
@recent_second_factor
def token_create_view(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    form = _token_form(user, request.POST)
    if not form.is_valid():
        return _security_page(request, token_form=form, status=400)
    membership = memberships_of(user).get(organization__slug=form.cleaned_data["organization"])
    try:
        token, secret = actions.do_create_api_token(
            user, membership.organization, form.cleaned_data["name"], form.cleaned_data["days"]
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _security_page(request, token_form=form, status=400)
    return _security_page(request, new_token=secret, new_token_row=token)


@require_POST
def token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    if actions.do_revoke_api_token(request.user, token_id):  # type: ignore[arg-type]
        messages.success(request, _("Token revoked."))
    return redirect("accounts:security")

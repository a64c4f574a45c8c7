"""Account mail, sent by the background workers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from salama.core.jobs import job

from .models import User


@job("accounts.password_reset_mail")
def password_reset_mail(payload: dict[str, Any]) -> None:
    user = User.objects.filter(pk=payload["user_id"], is_active=True).first()
    if user is None:
        return
    path = reverse(
        "accounts:password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    link = settings.SITE_URL + path
    with translation.override(user.language or "en"):
        subject = render_to_string("accounts/mail/password_reset_subject.txt").strip()
        body = render_to_string("accounts/mail/password_reset.txt", {"user": user, "link": link})
    send_mail(subject, body, None, [user.email])

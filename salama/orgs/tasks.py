"""Invitation mail, sent by the background workers."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from salama.core.jobs import job

from .models import Invitation


def invitation_link(invitation: Invitation) -> str:
    return settings.SITE_URL + reverse("orgs:invitation", kwargs={"token": invitation.link_token})


@job("orgs.invitation_mail")
def invitation_mail(payload: dict[str, Any]) -> None:
    invitation = Invitation.objects.open().select_related("organization").filter(pk=payload["invitation_id"]).first()
    if invitation is None:
        return  # withdrawn or used before the mail went out
    languages = invitation.organization.languages or ["en"]
    with translation.override(languages[0] if languages[0] in dict(settings.LANGUAGES) else "en"):
        subject = render_to_string("orgs/mail/invitation_subject.txt", {"invitation": invitation}).strip()
        body = render_to_string(
            "orgs/mail/invitation.txt", {"invitation": invitation, "link": invitation_link(invitation)}
        )
    send_mail(subject, body, None, [invitation.email])

"""Mail to the organisations asked to sign, through the delivery engine (routine priority).

The mail names the drafting organisation, the statement's working title and the deadline, and
links to the statement in the reader's own organisation's pages: the text itself stays behind
the sign-in, so a mailbox read by someone else learns nothing the title does not say.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import formats, translation
from django.utils.translation import gettext as _

from salama.delivery import engine
from salama.delivery.models import Message, Priority
from salama.safety.notify import coordinators

from .models import Invitation, JointStatement, Signature

LANGUAGE_CODES = [code for code, _name in settings.LANGUAGES]


def statement_url(statement: JointStatement, org_slug: str) -> str:
    return settings.SITE_URL + reverse("statements:detail", kwargs={"org_slug": org_slug, "statement_id": statement.pk})


def _deadline(statement: JointStatement) -> str:
    if statement.signature_deadline is None:
        return _("No deadline was set.")
    return _("Please answer by %(deadline)s.") % {
        "deadline": formats.date_format(statement.signature_deadline, "DATETIME_FORMAT")
    }


def _content(statement: JointStatement, org_slug: str, subject: str, lead: str) -> dict[str, str]:
    text = "\n\n".join([_("Dear [[greeting]],"), lead, _deadline(statement), statement_url(statement, org_slug)])
    return {"subject": subject, "text": text + "\n", "html": ""}


def _send(
    statement: JointStatement, producer: tuple[str, str], organization_id: Any, content: dict[str, dict[str, str]]
) -> int:
    kind, producer_id = producer
    if Message.objects.filter(producer_kind=kind, producer_id=producer_id).exists():
        return 0  # already told: running this again sends nothing twice
    recipients = coordinators(organization_id)
    if not recipients:
        return 0
    message = engine.create_message(statement.organization, kind, producer_id, priority=Priority.ROUTINE)
    version = engine.add_version(message, {"email": content})
    engine.create_deliveries(version, recipients)
    return len(recipients)


def send_invitation(invitation: Invitation) -> int:
    """Tell the invited organisation's admins and coordinators; the number of people told."""
    statement = invitation.statement
    content: dict[str, dict[str, str]] = {}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            subject = _("Invitation to sign: %(title)s") % {"title": statement.title}
            lead = _('%(organisation)s invites your organisation to sign the joint statement "%(title)s".') % {
                "organisation": statement.organization.name,
                "title": statement.title,
            }
            content[language] = _content(statement, invitation.organization.slug, subject, lead)
    return _send(statement, ("statements.invitation", str(invitation.pk)), invitation.organization_id, content)


def send_confirmation_request(signature: Signature) -> int:
    """The text changed after this organisation signed: ask its leads to read it and confirm."""
    statement = signature.statement
    content: dict[str, dict[str, str]] = {}
    for language in LANGUAGE_CODES:
        with translation.override(language):
            subject = _("Please confirm your signature: %(title)s") % {"title": statement.title}
            lead = _(
                '%(organisation)s changed the text of "%(title)s" after your organisation signed it. '
                "Your signature counts only once you confirm it on the new text."
            ) % {"organisation": statement.organization.name, "title": statement.title}
            content[language] = _content(statement, signature.organization.slug, subject, lead)
    producer_id = f"{signature.pk}:{statement.text_version[:16]}"
    return _send(statement, ("statements.reconfirm", producer_id), signature.organization_id, content)

"""Joint statements that several organisations of the network co-sign through a sign-on flow.

A statement is public text once published, but until then a draft can warn the people it
denounces and may name defenders who have not yet agreed to be named: each language version is
an encrypted model (like an alert's versions). The statement row holds only workflow values.

Every signature records the version of the text it was given on (`text_version`, a hash of all
language versions). When the drafting organisation changes the text, earlier signatures no
longer match and count as "signed an earlier version" until their organisation confirms again.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedModel, EncryptedTextField

LANGUAGE_CHOICES = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("ar", "العربية")]


class JointStatement(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        OPEN = "open", _("Open for signatures")
        CLOSED = "closed", _("Closed")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The drafting organisation: it writes the text, invites, closes and publishes.
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    # Seen only by the drafting organisation, through need to know; never by signers.
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="joint_statements",
        verbose_name=_("case"),
    )
    # The defenders the text names publicly: each needs their "named publicly" consent in force
    # before the statement opens for signatures and again before it is published.
    names_defenders = models.ManyToManyField(
        "defenders.Defender", blank=True, related_name="joint_statements", verbose_name=_("defenders named")
    )
    # A working title for lists, in clear like a case's code name; the text itself is sealed.
    title = models.CharField(_("working title"), max_length=200)
    default_language = models.CharField(_("main language"), max_length=10, choices=LANGUAGE_CHOICES, default="en")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    open_to_network = models.BooleanField(
        _("open to the whole network"),
        default=False,
        help_text=_("Any organisation of the network may sign while it is open, not only those invited."),
    )
    signature_deadline = models.DateTimeField(_("signature deadline"), null=True, blank=True)
    # Hash of every language version at the last change (see salama.statements.texts).
    text_version = models.CharField(max_length=64, blank=True, editable=False)
    public_page = models.BooleanField(_("public page"), default=False)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    published_url = models.URLField(_("published at (link)"), blank=True)
    opened_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"], name="statement_list_idx"),
            models.Index(fields=["status", "open_to_network"], name="statement_open_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def editable(self) -> bool:
        return self.status in {self.Status.DRAFT, self.Status.OPEN}

    @property
    def deadline_passed(self) -> bool:
        return self.signature_deadline is not None and self.signature_deadline <= timezone.now()

    @property
    def accepts_signatures(self) -> bool:
        return self.status == self.Status.OPEN and not self.deadline_passed


class StatementText(EncryptedModel):
    """The statement in one language; sealed with the drafting organisation's keys."""

    statement = models.ForeignKey(JointStatement, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    title = EncryptedTextField(_("title"))
    body = EncryptedTextField(_("text"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["statement", "language"], name="statement_text_language")]

    def __str__(self) -> str:
        return f"{self.statement_id} [{self.language}]"


class Invitation(models.Model):
    """An organisation of the network asked to sign, and its answer."""

    class Status(models.TextChoices):
        INVITED = "invited", _("Invited")
        SIGNED = "signed", _("Signed")
        DECLINED = "declined", _("Declined")

    statement = models.ForeignKey(JointStatement, on_delete=models.CASCADE, related_name="invitations")
    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="statement_invitations"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.INVITED)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    invited_at = models.DateTimeField(default=timezone.now)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["invited_at", "pk"]
        constraints = [models.UniqueConstraint(fields=["statement", "organization"], name="statement_invitation_once")]

    def __str__(self) -> str:
        return f"{self.organization_id} invited to {self.statement_id}"


class Signature(models.Model):
    """An organisation's signature, given by one of its leads, on one version of the text."""

    statement = models.ForeignKey(JointStatement, on_delete=models.CASCADE, related_name="signatures")
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    display_name = models.CharField(_("name as it should appear"), max_length=200)
    signed_at = models.DateTimeField(default=timezone.now)
    text_version = models.CharField(max_length=64)

    class Meta:
        ordering = ["display_name", "pk"]
        constraints = [models.UniqueConstraint(fields=["statement", "organization"], name="statement_signature_once")]

    def __str__(self) -> str:
        return self.display_name

    @property
    def current(self) -> bool:
        """False when the text changed after this signature: it is on an earlier version."""
        return self.text_version == self.statement.text_version

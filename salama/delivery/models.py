"""Outgoing messages as rows: one Delivery per recipient x channel x message version."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedJSONField, EncryptedModel


class Priority(models.IntegerChoices):
    # Lower is claimed first, as for jobs.
    URGENT = 10, _("Urgent")
    ROUTINE = 100, _("Routine")


class Message(models.Model):
    class State(models.TextChoices):
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        CANCELLED = "cancelled", _("Cancelled")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    # What produced it (an alert, an escalation step...), as a reference only.
    producer_kind = models.CharField(max_length=50)
    producer_id = models.CharField(max_length=64)
    priority = models.SmallIntegerField(choices=Priority.choices, default=Priority.ROUTINE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.ACTIVE)
    deadline = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["producer_kind", "producer_id"], name="delivery_msg_producer_idx")]

    def __str__(self) -> str:
        return f"{self.producer_kind}:{self.producer_id} ({self.state})"


class MessageVersion(EncryptedModel):
    """The rendered content of one version, once per language and channel.

    `rendered` is {channel: {language: content}}; for email the content is {"subject", "text",
    "html"}, for webhooks {"payload"}. The only per-recipient parts are the placeholders
    `[[greeting]]` and `[[link:<purpose>]]`. The version's data key also seals the addresses of
    its deliveries, so destroying it shreds content and addresses together.
    """

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    default_language = models.CharField(max_length=10, default="en")
    rendered = EncryptedJSONField(default=dict)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["message", "number"], name="delivery_version_unique")]

    def __str__(self) -> str:
        return f"{self.message_id} v{self.number}"


class Delivery(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        IN_DOUBT = "in_doubt", _("In doubt")
        SUPPRESSED = "suppressed", _("Suppressed")
        CANCELLED = "cancelled", _("Cancelled")

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    version = models.ForeignKey(MessageVersion, on_delete=models.CASCADE, related_name="deliveries")
    # Copied from the message so that the claim query orders by one index.
    priority = models.SmallIntegerField(default=Priority.ROUTINE)
    channel = models.CharField(max_length=20)
    language = models.CharField(max_length=10)
    # An envelope holding {"address", "greeting"}, sealed with the version's data key and bound
    # to this row's idempotency key: no per-row data key to create or fetch.
    recipient = models.TextField()
    # The producer's contact point (e.g. "subscriber:12/email:3"); ids only, never an address.
    contact_ref = models.CharField(max_length=100, blank=True)
    # HMAC of the normalised address with the organisation's index key (see suppression).
    address_key = models.CharField(max_length=64)
    idempotency_key = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)
    # A short code such as "smtp:550" or "http:410"; never content.
    last_error = models.CharField(max_length=100, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["state", "channel", "priority", "next_attempt_at"], name="delivery_claim_idx"),
            models.Index(fields=["state", "lease_until"], name="delivery_lease_idx"),
            models.Index(fields=["message", "state"], name="delivery_message_state_idx"),
        ]

    def __str__(self) -> str:
        return f"delivery#{self.pk} {self.channel} {self.state}"


class Suppression(models.Model):
    """Addresses not to send to again, per organisation and channel, by keyed hash only."""

    class Reason(models.TextChoices):
        BOUNCE = "bounce", _("Permanent failure")
        COMPLAINT = "complaint", _("Complaint")
        OPT_OUT = "opt_out", _("Opted out")

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=20)
    address_key = models.CharField(max_length=64)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    code = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "address_key"], name="delivery_suppression_unique"
            )
        ]

    def __str__(self) -> str:
        return f"suppression {self.channel} {self.reason}"


class RateBucket(models.Model):
    """A token bucket per channel, shared by every worker through the database."""

    channel = models.CharField(max_length=20, unique=True)
    tokens = models.FloatField(default=0)
    refilled_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"rate {self.channel}"

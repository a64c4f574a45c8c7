"""Referrals of a case to a protection actor or mechanism: to whom, when, what was sent, the
consent checked, the status and its history, the deadline and reminders, the reply, the outcome.

What could identify a defender or tells their story (what was sent, the reply, the notes on the
outcome, the extra facts a submission draft needs) is encrypted like a case's summary; what the
network counts and routes on (the actor, the status, dates, the outcome code) is not.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedModel, EncryptedTextField


class Referral(EncryptedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SENT = "sent", _("Sent")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        ACCEPTED = "accepted", _("Accepted")
        DECLINED = "declined", _("Declined")
        CLOSED = "closed", _("Closed")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        WEB_FORM = "web_form", _("Web form")
        POST = "post", _("Post")
        IN_PERSON = "in_person", _("In person")
        OTHER = "other", _("Other")

    class Outcome(models.TextChoices):
        ACTED_ON = "acted_on", _("Accepted and acted on")
        COMMUNICATION_SENT = "communication_sent", _("Communication sent to the state")
        PRECAUTIONARY_MEASURES = "precautionary_measures", _("Precautionary measures granted")
        GRANT_AWARDED = "grant_awarded", _("Grant awarded")
        DECLINED = "declined", _("Declined")
        NO_REPLY = "no_reply", _("No reply")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    # Statuses in which the actor still owes a reply: the deadline and its reminders apply.
    AWAITING_REPLY = (Status.SENT, Status.ACKNOWLEDGED)
    OPEN_STATUSES = (Status.DRAFT, Status.SENT, Status.ACKNOWLEDGED, Status.ACCEPTED, Status.DECLINED)

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="referrals", verbose_name=_("case"))
    actor = models.ForeignKey(
        "directory.ProtectionActor", on_delete=models.PROTECT, related_name="referrals", verbose_name=_("referred to")
    )
    defenders = models.ManyToManyField(
        "defenders.Defender", related_name="referrals", verbose_name=_("defenders concerned")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    status_changed_at = models.DateTimeField(default=timezone.now, editable=False)
    sent_on = models.DateField(_("sent on"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    what_was_sent = EncryptedTextField(_("what was sent"))
    # Codes of the submission drafts sent with it (salama.referrals.documents.KINDS).
    documents_sent = models.JSONField(_("documents sent"), default=list, blank=True)
    reference_number = models.CharField(_("their reference number"), max_length=100, blank=True)
    reply_due_on = models.DateField(_("reply due on"), null=True, blank=True)
    reply = EncryptedTextField(_("reply"))
    reply_received_on = models.DateField(_("reply received on"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=30, choices=Outcome.choices, blank=True)
    outcome_notes = EncryptedTextField(_("notes on the outcome"))

    # Facts a submission draft needs that the case's records do not hold.
    link_to_work = EncryptedTextField(_("link between the violations and the human-rights work"))
    domestic_remedies = EncryptedTextField(_("domestic remedies tried, or why not"))
    state_informed = EncryptedTextField(_("whether the state was informed, and its answer"))
    other_proceedings = EncryptedTextField(_("other proceedings (national or international)"))
    urgency = EncryptedTextField(_("seriousness, urgency and irreparable harm"))
    requested_action = EncryptedTextField(_("action asked for"))
    grant_need = EncryptedTextField(_("what the grant is needed for"))
    grant_amount = models.DecimalField(_("amount requested"), max_digits=12, decimal_places=2, null=True, blank=True)
    grant_currency = models.CharField(_("currency"), max_length=3, blank=True)

    # The deadline and the status last reminded about, so that each reminder is sent once.
    reply_reminded_for = models.DateField(null=True, blank=True, editable=False)
    stale_reminded_for = models.DateTimeField(null=True, blank=True, editable=False)

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "status", "-created_at"], name="referral_list_idx"),
            models.Index(fields=["status", "reply_due_on"], name="referral_due_idx"),
            models.Index(fields=["status", "status_changed_at"], name="referral_stale_idx"),
        ]
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")

    def __str__(self) -> str:
        return f"referral {self.pk}"

    @property
    def awaiting_reply(self) -> bool:
        return self.status in self.AWAITING_REPLY and self.reply_received_on is None

    def documents_sent_labels(self) -> list[str]:
        from .documents import KINDS

        return [str(KINDS[code].label) if code in KINDS else code for code in self.documents_sent]

    def is_overdue(self, today: object = None) -> bool:
        today = today or timezone.localdate()
        return self.awaiting_reply and self.reply_due_on is not None and self.reply_due_on < today  # type: ignore[operator]


class ReferralEvent(models.Model):
    """One dated change of a referral: its status history, the reply, the outcome, reminders."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        STATUS = "status", _("Status changed")
        REPLY = "reply", _("Reply recorded")
        OUTCOME = "outcome", _("Outcome recorded")
        REMINDER = "reminder", _("Reminder sent")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    old_status = models.CharField(max_length=20, blank=True)
    new_status = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    details = models.JSONField(default=dict, blank=True)  # public values only

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} on {self.referral_id}"

    @property
    def new_status_label(self) -> str:
        return str(dict(Referral.Status.choices).get(self.new_status, self.new_status))


class ReferralConsent(models.Model):
    """The consent checked for one defender when the referral was sent."""

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="consents_checked")
    defender = models.ForeignKey("defenders.Defender", on_delete=models.CASCADE, related_name="+")
    consent = models.ForeignKey("defenders.Consent", null=True, on_delete=models.SET_NULL, related_name="+")
    checked_at = models.DateTimeField(default=timezone.now)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["referral", "defender"], name="referral_consent_per_defender")]

    def __str__(self) -> str:
        return f"consent for {self.defender_id} on {self.referral_id}"


class ReferralReminder(models.Model):
    """A reminder sent to the case team; `key` names what it was about (the deadline, or the
    status left unchanged since a time), and is unique per referral, so a tick that runs twice or
    after a restart never sends it again."""

    class Reason(models.TextChoices):
        REPLY_OVERDUE = "reply_overdue", _("Reply overdue")
        STALE = "stale", _("Status unchanged")

    referral = models.ForeignKey(Referral, on_delete=models.CASCADE, related_name="reminders")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    key = models.CharField(max_length=80)
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-sent_at"]
        constraints = [models.UniqueConstraint(fields=["referral", "key"], name="referral_reminder_once")]

    def __str__(self) -> str:
        return f"{self.reason} reminder for {self.referral_id}"

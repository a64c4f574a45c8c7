"""Check-in schedules, check-ins, emergencies (a missed check-in, an SOS, a duress code) and the
timed steps of their escalation chains.

Every timer is a row (ARCHITECTURE.md s.5): a schedule's `escalate_at` says when a missed
check-in starts an escalation, and each `EscalationStep` says when it fires; `salama.safety.ticks`
claims both under a lease, so a worker killed between two steps loses nothing and fires nothing
twice. Codes and link secrets are never stored: only keyed hashes (see salama.safety.codes).
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedModel, EncryptedTextField


class Audience(models.TextChoices):
    """Who one escalation step reaches."""

    CASE_TEAM = "case_team", _("Case team")
    COORDINATORS = "coordinators", _("Coordinators and administrators")
    TRUSTED_CONTACTS = "trusted_contacts", _("Trusted contacts and partner organisations")


# The default chain: the case team at once, coordinators after 30 minutes without an
# acknowledgement, trusted contacts and partners an hour after that. `after` counts minutes
# from the previous step.
DEFAULT_CHAIN: list[dict[str, Any]] = [
    {"to": Audience.CASE_TEAM.value, "after": 0},
    {"to": Audience.COORDINATORS.value, "after": 30},
    {"to": Audience.TRUSTED_CONTACTS.value, "after": 60},
]


def default_chain() -> list[dict[str, Any]]:
    return [dict(step) for step in DEFAULT_CHAIN]


class CheckInSchedule(models.Model):
    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    defender = models.ForeignKey(
        "defenders.Defender", on_delete=models.CASCADE, related_name="checkin_schedules", verbose_name=_("defender")
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="checkin_schedules",
        verbose_name=_("case or accompaniment"),
    )
    interval = models.DurationField(_("interval"), default=timedelta(hours=24))
    grace_period = models.DurationField(_("grace period"), default=timedelta(hours=1))
    channel = models.CharField(_("reminder channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    language = models.CharField(_("language of the check-in page"), max_length=10, blank=True)
    escalation_chain = models.JSONField(_("escalation chain"), default=default_chain)
    next_due_at = models.DateTimeField(_("next check-in due"))
    # next_due_at + grace_period, kept in a column so that the tick finds the overdue schedules
    # through one index (an expression over two columns would not be indexable everywhere).
    escalate_at = models.DateTimeField(editable=False)
    active = models.BooleanField(_("active"), default=True)
    last_checkin_at = models.DateTimeField(null=True, blank=True)
    # The due time the defender was last reminded of, so each due check-in is reminded once.
    reminded_for = models.DateTimeField(null=True, blank=True, editable=False)
    # Bumped to rotate the signed link: older links stop working at once.
    link_version = models.PositiveIntegerField(default=1, editable=False)
    # Keyed hashes of the short code and of the duress code (salama.safety.codes), never the codes.
    code_digest = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    duress_digest = models.CharField(max_length=64, unique=True, null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["next_due_at"]
        indexes = [
            # The tick: active schedules whose grace period is over.
            models.Index(fields=["active", "escalate_at"], name="safety_schedule_due_idx"),
            # Reminders: active schedules whose check-in has fallen due.
            models.Index(fields=["active", "next_due_at"], name="safety_schedule_remind_idx"),
            models.Index(fields=["organization", "defender"], name="safety_schedule_defender_idx"),
        ]

    def __str__(self) -> str:
        return f"check-in schedule {self.pk}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.escalate_at = self.next_due_at + self.grace_period
        if kwargs.get("update_fields") is not None and "next_due_at" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "escalate_at"}
        super().save(*args, **kwargs)


class CheckIn(models.Model):
    class Via(models.TextChoices):
        LINK = "link", _("Signed link")
        CODE = "code", _("Short code")
        API = "api", _("API")
        STAFF = "staff", _("Recorded by staff")

    schedule = models.ForeignKey(CheckInSchedule, on_delete=models.CASCADE, related_name="checkins")
    at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=10, choices=Via.choices)
    late = models.BooleanField(default=False)
    # A check-in made with the duress code: staff see it flagged; the defender's side never does.
    duress = models.BooleanField(default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["schedule", "-at"], name="safety_checkin_schedule_idx")]

    def __str__(self) -> str:
        return f"check-in {self.pk} on {self.schedule_id}"


class Emergency(EncryptedModel):
    class Kind(models.TextChoices):
        MISSED_CHECKIN = "missed_checkin", _("Missed check-in")
        SOS = "sos", _("SOS")
        DURESS = "duress", _("Duress")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        RESOLVED = "resolved", _("Resolved")
        CANCELLED = "cancelled", _("Cancelled")

    class Outcome(models.TextChoices):
        SAFE = "safe", _("Safe")
        CHECKED_IN_LATE = "checked_in_late", _("Checked in late")
        FALSE_ALARM = "false_alarm", _("False alarm")
        HARMED = "harmed", _("Harmed")
        DETAINED = "detained", _("Detained")
        MISSING = "missing", _("Missing")
        KILLED = "killed", _("Killed")
        OTHER = "other", _("Other")

    OPEN_STATES = (State.OPEN, State.ACKNOWLEDGED)

    schedule = models.ForeignKey(
        CheckInSchedule, null=True, blank=True, on_delete=models.SET_NULL, related_name="emergencies"
    )
    defender = models.ForeignKey("defenders.Defender", on_delete=models.CASCADE, related_name="emergencies")
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL, related_name="emergencies")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.OPEN)
    # Silent: no trusted contact is told and nothing goes back to the defender.
    silent = models.BooleanField(default=False)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    location = EncryptedTextField(_("location"))
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(default=timezone.now)
    # An SOS can be called off by whoever raised it until then ("false alarm").
    cancel_until = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    alert = models.ForeignKey("alerts.Alert", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # One open escalation per schedule and kind: a tick that runs twice creates nothing twice.
            models.UniqueConstraint(
                fields=["schedule", "kind"],
                condition=models.Q(state__in=["open", "acknowledged"]),
                name="safety_one_open_emergency_per_schedule",
            )
        ]
        indexes = [
            models.Index(fields=["organization", "state", "-started_at"], name="safety_emergency_list_idx"),
            models.Index(fields=["schedule", "state"], name="safety_emergency_schedule_idx"),
        ]

    def __str__(self) -> str:
        return f"emergency {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES

    def can_cancel(self, now: Any = None) -> bool:
        now = now or timezone.now()
        return self.state == self.State.OPEN and self.cancel_until is not None and now <= self.cancel_until


class EscalationStep(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("Waiting")
        FIRING = "firing", _("Sending")
        FIRED = "fired", _("Sent")
        STOPPED = "stopped", _("Not needed")

    emergency = models.ForeignKey(Emergency, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    audience = models.CharField(_("who"), max_length=20, choices=Audience.choices)
    due_at = models.DateTimeField(_("due"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    lease_until = models.DateTimeField(null=True, blank=True)
    # A random token per claim: only the worker holding the current claim may record the step.
    claim = models.CharField(max_length=32, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    fired_at = models.DateTimeField(null=True, blank=True)
    recipients = models.PositiveIntegerField(default=0)
    message = models.ForeignKey("delivery.Message", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["emergency", "position"], name="safety_step_position")]
        indexes = [models.Index(fields=["state", "due_at"], name="safety_step_claim_idx")]

    def __str__(self) -> str:
        return f"step {self.position} of {self.emergency_id}"


class GuessAttempt(models.Model):
    """A wrong link or code on the public check-in pages, counted per client to slow guessing.

    `client_key` is a keyed hash of the client address (never the address itself)."""

    client_key = models.CharField(max_length=64)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["client_key", "at"], name="safety_guess_client_idx")]

    def __str__(self) -> str:
        return f"guess at {self.at}"

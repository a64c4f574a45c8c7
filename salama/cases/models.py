"""Protection cases: one or more defenders, a team on a need-to-know basis, and a timeline.

The case's title is public within the organisation (a code name is wise); its summary and its
notes are encrypted like a defender's details.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedModel, EncryptedTextField


class Case(EncryptedModel):
    class Status(models.TextChoices):
        NEW = "new", _("New")
        ASSESSING = "assessing", _("Assessing")
        ACTIVE = "active", _("Active")
        MONITORING = "monitoring", _("Monitoring")
        CLOSED = "closed", _("Closed")

    class Priority(models.TextChoices):
        URGENT = "urgent", _("Urgent")
        HIGH = "high", _("High")
        NORMAL = "normal", _("Normal")
        LOW = "low", _("Low")

    class ClosedReason(models.TextChoices):
        RISK_REDUCED = "risk_reduced", _("Risk reduced")
        DEFENDER_SAFE = "defender_safe", _("Defender safe or relocated")
        REFERRED = "referred", _("Referred to another organisation")
        NO_CONTACT = "no_contact", _("Contact lost")
        DEFENDER_DECLINED = "defender_declined", _("Defender declined support")
        DEFENDER_KILLED = "defender_killed", _("Defender killed")
        OTHER = "other", _("Other")

    reference = models.CharField(_("reference"), max_length=30)
    title = models.CharField(_("title or code name"), max_length=200)
    summary = EncryptedTextField(_("summary"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    closed_reason = models.CharField(_("reason for closing"), max_length=30, choices=ClosedReason.choices, blank=True)
    priority = models.CharField(_("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    defenders = models.ManyToManyField("defenders.Defender", related_name="cases", verbose_name=_("defenders"))
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="case_teams", blank=True, verbose_name=_("case team")
    )
    tags = models.ManyToManyField("vocab.Term", related_name="+", blank=True, verbose_name=_("tags"))
    opened_on = models.DateField(_("opened on"), default=timezone.localdate)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_on", "reference"]
        constraints = [models.UniqueConstraint(fields=["organization", "reference"], name="case_reference_per_org")]
        indexes = [
            models.Index(fields=["organization", "status", "priority"], name="case_list_idx"),
            # The list's default order: the newest page comes straight off the index.
            models.Index(fields=["organization", "-opened_on", "reference"], name="case_org_opened_idx"),
            # A filter on related rows (defenders' country, sector, tag) yields case ids; this
            # index answers "which organisation, and where in the order" for each from the index
            # alone, without reading the case row.
            models.Index(fields=["id", "organization", "opened_on", "reference"], name="case_keys_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"


class CaseNote(EncryptedModel):
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = EncryptedTextField(_("note"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"note on {self.case_id}"


class TimelineEvent(models.Model):
    """One line of a case's history: what happened and who did it, never a sensitive value.

    Later capabilities (incidents, risk, alerts, responses) add their own kinds; `target_type`
    and `target_id` point at the record, which the page fetches through its access helper.
    """

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=40)  # e.g. "case.opened", "note.added", "incident.recorded"
    occurred_at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    target_type = models.CharField(max_length=40, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)  # public values only (status, priority...)

    class Meta:
        ordering = ["-occurred_at", "-pk"]
        indexes = [models.Index(fields=["case", "occurred_at"], name="timeline_case_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.case_id}"


class CountryListKey(models.Model):
    """The case list's order beside each country of a case's defenders: one row per (case,
    country), so that the list filtered by country reads its page and its capped count off one
    index, newest first, instead of looking up and sorting every matching case.

    Derived data, written only by database triggers on cases, their defender links and the
    defenders' country (migration 0004), whatever made the change. Nothing here is sensitive:
    a defender's country and a case's reference and opening date are in clear already."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    country = models.CharField(max_length=2)
    opened_on = models.DateField()
    reference = models.CharField(max_length=30)
    case = models.ForeignKey(Case, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["country", "case"], name="country_key_once")]
        indexes = [
            models.Index(
                fields=["organization", "country", "-opened_on", "reference", "case"], name="country_key_list_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.country}: {self.reference}"

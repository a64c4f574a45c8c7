"""Risk assessments and protection plans, after Protection International's protection manual and
Front Line Defenders' security workbook: threats, vulnerabilities and capacities, a level
reached by a declared rule (salama.risk.levels), and the measures that answer it.

What is coded (perpetrator type, means, domains, scores, statuses, dates, review triggers) stays
in clear so that a board can count and sort; what tells the story (the five-step analysis, a
named actor, descriptions of weaknesses, strengths and measures) is encrypted.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedModel, EncryptedTextField

from .levels import LEVEL_CODES, LEVEL_LABELS

SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class Domain(models.TextChoices):
    PHYSICAL = "physical", _("Physical")
    DIGITAL = "digital", _("Digital")
    PSYCHOSOCIAL = "psychosocial", _("Psychosocial")
    LEGAL = "legal", _("Legal")
    ORGANISATIONAL = "organisational", _("Organisational")
    MOVEMENT = "movement", _("Movement and location")
    COMMUNICATIONS = "communications", _("Communications")


class ReviewTrigger(models.TextChoices):
    NEW_INCIDENT = "new_incident", _("A new incident")
    NEW_THREAT = "new_threat", _("A new threat")
    LOCATION_CHANGE = "location_change", _("A change of location")
    LEGAL_PROCEEDINGS = "legal_proceedings", _("Legal proceedings")
    MISSED_CHECK_IN = "missed_check_in", _("A missed check-in")
    PUBLIC_EXPOSURE = "public_exposure", _("Public exposure (media, smear campaign)")


class RiskAssessment(EncryptedModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        COMPLETE = "complete", _("Complete")

    class Confidence(models.TextChoices):
        LOW = "low", _("Low")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High")

    defender = models.ForeignKey(
        "defenders.Defender", on_delete=models.CASCADE, related_name="risk_assessments", verbose_name=_("defender")
    )
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="risk_assessments",
        verbose_name=_("case"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    assessed_on = models.DateField(_("date of the assessment"), default=timezone.localdate)
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("assessor"),
    )
    confidence = models.CharField(_("confidence"), max_length=10, choices=Confidence.choices, default=Confidence.MEDIUM)
    context = EncryptedTextField(_("context"))
    next_review_on = models.DateField(_("next review"), null=True, blank=True)
    review_triggers = models.JSONField(_("triggers for an early review"), default=list, blank=True)
    review_notes = EncryptedTextField(_("other triggers"))
    # Written when the assessment is completed, from salama.risk.levels, so lists and the board
    # read it without recomputing; the page recomputes the explanation from the items.
    level = models.CharField(_("level"), max_length=12, blank=True, choices=[(c, LEVEL_LABELS[c]) for c in LEVEL_CODES])
    completed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-assessed_on", "-created_at"]
        indexes = [
            models.Index(fields=["organization", "status", "next_review_on"], name="risk_review_idx"),
            models.Index(fields=["defender", "status", "assessed_on"], name="risk_defender_history_idx"),
        ]

    def __str__(self) -> str:
        return f"risk assessment {self.assessed_on} of {self.defender_id}"

    @property
    def is_draft(self) -> bool:
        return self.status == self.Status.DRAFT

    @property
    def review_trigger_labels(self) -> list[str]:
        labels = dict(ReviewTrigger.choices)
        return [str(labels.get(code, code)) for code in self.review_triggers]


class Threat(EncryptedModel):
    class Kind(models.TextChoices):
        DECLARED = "declared", _("Declared (made to the defender)")
        POSSIBLE = "possible", _("Possible (indicators, no declaration)")

    class Means(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone call")
        MESSAGE = "message", _("Text or chat message")
        SOCIAL_MEDIA = "social_media", _("Social media")
        LETTER = "letter", _("Letter or note")
        THIRD_PARTY = "third_party", _("Through a third party")
        SURVEILLANCE = "surveillance", _("Surveillance or following")
        LEGAL = "legal", _("Legal or administrative action")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        MONITORING = "monitoring", _("Monitoring")
        CLOSED = "closed", _("Closed")

    class ClosedReason(models.TextChoices):
        MITIGATED = "mitigated", _("Mitigated by the measures taken")
        ENDED = "ended", _("The threat ended")
        UNFOUNDED = "unfounded", _("Found to be unfounded")
        OTHER = "other", _("Other")

    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="threats")
    kind = models.CharField(_("kind of threat"), max_length=10, choices=Kind.choices, default=Kind.DECLARED)
    perpetrator_type = models.ForeignKey(
        "vocab.Term",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("source (type of perpetrator)"),
    )
    named_actor = EncryptedTextField(_("named actor"))
    means = models.CharField(_("means of expression"), max_length=20, choices=Means.choices, default=Means.OTHER)
    first_seen_on = models.DateField(_("first seen on"), null=True, blank=True)
    last_seen_on = models.DateField(_("last seen on"), null=True, blank=True)
    # The five steps of the threat analysis (Protection International), then its conclusion.
    facts = EncryptedTextField(_("1. the facts"))
    pattern = EncryptedTextField(_("2. pattern over time"))
    objective = EncryptedTextField(_("3. objective of the threat"))
    author = EncryptedTextField(_("4. who is behind it"))
    feasibility = EncryptedTextField(_("5. can it be carried out?"))
    conclusion = EncryptedTextField(_("conclusion"))
    likelihood = models.PositiveSmallIntegerField(_("likelihood (1 to 5)"), validators=SCORE, default=3)
    impact = models.PositiveSmallIntegerField(_("impact (1 to 5)"), validators=SCORE, default=3)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    closed_reason = models.CharField(_("reason for closing"), max_length=12, choices=ClosedReason.choices, blank=True)
    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["assessment", "position"]
        constraints = [
            models.CheckConstraint(condition=models.Q(likelihood__gte=1, likelihood__lte=5), name="threat_likelihood"),
            models.CheckConstraint(condition=models.Q(impact__gte=1, impact__lte=5), name="threat_impact"),
        ]

    def __str__(self) -> str:
        return f"threat {self.position + 1} of {self.assessment_id}"

    @property
    def label(self) -> str:
        return f"T{self.position + 1}"

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


class Vulnerability(EncryptedModel):
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="vulnerabilities")
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices)
    description = EncryptedTextField(_("description"))
    severity = models.PositiveSmallIntegerField(_("severity (1 to 5)"), validators=SCORE, default=3)
    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["assessment", "position"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"V{self.position + 1}"


class Capacity(EncryptedModel):
    assessment = models.ForeignKey(RiskAssessment, on_delete=models.CASCADE, related_name="capacities")
    domain = models.CharField(_("domain"), max_length=20, choices=Domain.choices)
    description = EncryptedTextField(_("description"))
    strength = models.PositiveSmallIntegerField(_("strength (1 to 5)"), validators=SCORE, default=3)
    offsets = models.ForeignKey(
        Vulnerability,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="offset_by",
        verbose_name=_("vulnerability it offsets"),
    )
    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["assessment", "position"]
        verbose_name_plural = _("capacities")

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"C{self.position + 1}"


class ProtectionPlan(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    defender = models.ForeignKey(
        "defenders.Defender", on_delete=models.CASCADE, related_name="protection_plans", verbose_name=_("defender")
    )
    assessment = models.ForeignKey(
        RiskAssessment,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
        verbose_name=_("risk assessment"),
    )
    title = models.CharField(
        _("title"), max_length=200, help_text=_("Seen by everyone who may see the defender: keep it free of names.")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Measure(EncryptedModel):
    class Kind(models.TextChoices):
        PREVENTION = "prevention", _("Prevention")
        RESPONSE = "response", _("Response")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        DONE = "done", _("Done")
        DROPPED = "dropped", _("Dropped")

    plan = models.ForeignKey(ProtectionPlan, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices, default=Kind.PREVENTION)
    title = models.CharField(
        _("short title"), max_length=200, help_text=_("Seen in lists: say what, not who or where.")
    )
    description = EncryptedTextField(_("description"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner (member)"),
    )
    outside_owner = models.CharField(
        _("owner outside the organisation"),
        max_length=200,
        blank=True,
        help_text=_("A partner organisation or a role, not a person's name."),
    )
    deadline = models.DateField(_("deadline"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    cost_amount = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, null=True, blank=True)
    cost_currency = models.CharField(_("currency"), max_length=3, blank=True)
    for_grant_request = models.BooleanField(_("include in a grant request"), default=False)
    template = models.CharField(max_length=60, blank=True, editable=False)  # code of the template it came from
    position = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["plan", "position"]

    def __str__(self) -> str:
        return self.title

"""Urgent alerts: the record, its language versions and targets, and what recipients did.

An alert's text is sensitive until it is published (a leaked draft warns the perpetrators), so
every language version and every target is an encrypted model with its own data key. The alert
row itself holds only workflow values: reference, kind, state, scope, urgency, dates, people.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from salama.core.encryption import EncryptedModel, EncryptedTextField

LANGUAGE_CHOICES = [("en", "English"), ("es", "Español"), ("fr", "Français"), ("ar", "العربية")]


class Alert(models.Model):
    class Kind(models.TextChoices):
        INITIAL = "initial", _("Urgent action")
        FURTHER = "further", _("Further information")
        STOP = "stop", _("Stop action")

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft")
        REVIEW = "review", _("In review")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        CLOSED = "closed", _("Closed")

    class Urgency(models.TextChoices):
        URGENT = "urgent", _("Urgent")
        ROUTINE = "routine", _("Routine")

    class Scope(models.TextChoices):
        NETWORK = "network", _("The whole network")
        PUBLIC = "public", _("Public")
        RESTRICTED = "restricted", _("A restricted list")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey("orgs.Organization", on_delete=models.PROTECT, related_name="+")
    # "UA 012/26": number counts up per organisation and year; follow-ups keep the original's
    # number and year and add their kind and sequence ("(further information 1)").
    year = models.PositiveSmallIntegerField()
    number = models.PositiveIntegerField()
    sequence = models.PositiveSmallIntegerField(default=0)
    reference = models.CharField(_("reference"), max_length=60)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.INITIAL)
    original = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups", verbose_name=_("original")
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    urgency = models.CharField(_("urgency"), max_length=10, choices=Urgency.choices, default=Urgency.URGENT)
    scope = models.CharField(_("scope"), max_length=12, choices=Scope.choices, default=Scope.NETWORK)
    audience_rule = models.ForeignKey(
        "audiences.AudienceRule",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("restricted list"),
    )
    default_language = models.CharField(_("default language"), max_length=10, choices=LANGUAGE_CHOICES, default="en")
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    # The countries the alert is about (ISO 3166-1 alpha-2, the list used across Salama), for
    # CAP's <area>. In clear, like a defender's country: it routes and counts, it names nobody.
    countries = CountryField(verbose_name=_("countries concerned"), multiple=True, blank=True)
    cases = models.ManyToManyField("cases.Case", blank=True, related_name="alerts", verbose_name=_("cases"))
    defenders = models.ManyToManyField(
        "defenders.Defender", blank=True, related_name="alerts", verbose_name=_("defenders named")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    # The two-person rule compares the approver with the author and with whoever changed it last.
    last_edited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    audience = models.ForeignKey(
        "audiences.FrozenAudience", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    message = models.ForeignKey("delivery.Message", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "reference"], name="alert_reference_per_org"),
            models.UniqueConstraint(fields=["organization", "year", "number", "sequence"], name="alert_number_per_org"),
        ]
        indexes = [models.Index(fields=["organization", "state", "-created_at"], name="alert_list_idx")]

    def __str__(self) -> str:
        return self.reference

    @property
    def editable(self) -> bool:
        return self.state in {self.State.DRAFT, self.State.REVIEW, self.State.APPROVED}

    @property
    def needs_second_person(self) -> bool:
        return self.scope in {self.Scope.NETWORK, self.Scope.PUBLIC}


class AlertVersion(EncryptedModel):
    """The alert's text in one language; every field sealed."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="versions")
    language = models.CharField(_("language"), max_length=10, choices=LANGUAGE_CHOICES)
    title = EncryptedTextField(_("title"))
    summary = EncryptedTextField(_("summary"))
    background = EncryptedTextField(_("background"))
    recommended_actions = EncryptedTextField(_("recommended actions"))
    model_letter = EncryptedTextField(_("model letter"))
    # Where it happens, in words and in this language (CAP's areaDesc): a place can identify a
    # defender, so it is sealed with the rest of the text.
    area_description = EncryptedTextField(_("area description"))
    updated_at = models.DateTimeField(auto_now=True)

    TEXT_FIELDS = ("title", "summary", "background", "recommended_actions", "model_letter", "area_description")

    class Meta:
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["alert", "language"], name="alert_version_language")]

    def __str__(self) -> str:
        return f"{self.alert_id} [{self.language}]"


class AlertTarget(EncryptedModel):
    """An official or diplomat to address. Who is targeted is part of the plan: sealed too."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="targets")
    position = models.PositiveSmallIntegerField(default=0)
    name = EncryptedTextField(_("name"))
    title = EncryptedTextField(_("title"))
    institution = EncryptedTextField(_("institution"))
    country = CountryField(verbose_name=_("country"), blank=True)
    postal_address = EncryptedTextField(_("postal address"))
    email = EncryptedTextField(_("email"))
    salutation = EncryptedTextField(_("salutation"))
    preferred_language = models.CharField(_("preferred language"), max_length=10, choices=LANGUAGE_CHOICES, blank=True)
    copy_to = EncryptedTextField(_("copy to"))

    TEXT_FIELDS = ("name", "title", "institution", "postal_address", "email", "salutation", "copy_to")

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"target of {self.alert_id}"


class Acknowledgement(models.Model):
    """A recipient said they received the alert, through the signed link of their delivery."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="acknowledgements")
    delivery = models.OneToOneField("delivery.Delivery", on_delete=models.CASCADE, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"ack {self.delivery_id}"


class ActionTaken(EncryptedModel):
    """Someone acted on a target: by a recipient through their link, or by a member in Salama."""

    class Type(models.TextChoices):
        LETTER = "letter", _("Letter")
        EMAIL = "email", _("Email")
        CALL = "call", _("Telephone call")
        MEETING = "meeting", _("Meeting")

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="actions")
    target = models.ForeignKey(AlertTarget, on_delete=models.CASCADE, related_name="actions")
    delivery = models.ForeignKey(
        "delivery.Delivery", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    member = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action_type = models.CharField(_("what you did"), max_length=10, choices=Type.choices)
    taken_on = models.DateField(_("when"))
    response = models.ForeignKey(
        "vocab.Term",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("response received"),
    )
    notes = EncryptedTextField(_("notes"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-taken_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.action_type} on {self.target_id}"

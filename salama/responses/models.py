"""Responses on a case, their details per kind, and the lessons learnt when they close.

A `Response` is one thing the network did for the defenders of a case: an emergency grant, a
relocation, accompaniment, legal support, medical or psychosocial support, diplomatic action or
advocacy. Its public columns (kind, dates, cost, status, outcome, the actor) are what lists,
the learning library and the donor view count; everything that names or locates a person
(family members, lawyers, accompaniers, travel and return plans, addresses, notes) is encrypted.

Each kind has one detail record (one-to-one), and dated rows (`ResponseStep`: a disbursement,
an accompaniment, a hearing, an embassy visit, a lobbying meeting) share one table so that the
steps of every kind are entered, listed and audited the same way.

A `Lesson` is written when a response closes: what worked and what did not, de-identified by
the person who closes it, with coded context (country, sectors, threats, actor, kind). It is not
encrypted, on purpose: it is meant to be searched and, when a lead chooses, read by the network.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from salama.core.encryption import EncryptedJSONField, EncryptedModel, EncryptedTextField


class ResponseKind(models.TextChoices):
    EMERGENCY_GRANT = "emergency_grant", _("Emergency grant")
    RELOCATION = "relocation", _("Temporary relocation")
    ACCOMPANIMENT = "accompaniment", _("Protective accompaniment")
    LEGAL_SUPPORT = "legal_support", _("Legal support")
    MEDICAL_PSYCHOSOCIAL = "medical_psychosocial", _("Medical and psychosocial support")
    DIPLOMATIC_ACTION = "diplomatic_action", _("Diplomatic action")
    ADVOCACY = "advocacy", _("Advocacy")


# The API document names an enum by its class: ResponseKind, not one more "Kind".
Kind = ResponseKind


class Outcome(models.TextChoices):
    ACHIEVED = "achieved", _("Achieved")
    PARTLY_ACHIEVED = "partly_achieved", _("Partly achieved")
    NOT_ACHIEVED = "not_achieved", _("Not achieved")
    TOO_EARLY = "too_early", _("Too early to say")


# What counts as "it worked" when the track record of an actor is told.
WORKED = frozenset({Outcome.ACHIEVED, Outcome.PARTLY_ACHIEVED})
DID_NOT_WORK = frozenset({Outcome.NOT_ACHIEVED})


class Response(EncryptedModel):
    class ResponseStatus(models.TextChoices):
        PLANNED = "planned", _("Planned")
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    # The API document names an enum by its class: ResponseStatus, not one more "Status".
    Status = ResponseStatus

    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="responses", verbose_name=_("case"))
    defenders = models.ManyToManyField(
        "defenders.Defender", related_name="responses", blank=True, verbose_name=_("defenders concerned")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )
    started_on = models.DateField(_("started on"), null=True, blank=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    cost_amount = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, null=True, blank=True)
    cost_currency = models.CharField(_("currency of the cost"), max_length=3, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)
    outcome_notes = EncryptedTextField(_("notes on the outcome"))
    actor = models.ForeignKey(
        "directory.ProtectionActor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        verbose_name=_("actor (funder, host, accompanying organisation, mechanism)"),
    )
    referral = models.ForeignKey(
        "referrals.Referral",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="responses",
        verbose_name=_("referral"),
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["organization", "status", "kind"], name="response_list_idx")]
        verbose_name = _("response")
        verbose_name_plural = _("responses")

    def __str__(self) -> str:
        return f"{self.kind} on {self.case_id}"

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.COMPLETED, self.Status.CANCELLED)

    @property
    def detail(self) -> ResponseDetail | None:
        """The kind's detail record, or None before it is first saved."""
        model = DETAIL_MODELS[self.kind]
        return model._default_manager.filter(response=self).first()


class ResponseDetail(EncryptedModel):
    response = models.OneToOneField(Response, on_delete=models.CASCADE, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self._meta.model_name} of {self.response_id}"


class GrantDetail(ResponseDetail):
    class Purpose(models.TextChoices):
        RELOCATION_COSTS = "relocation_costs", _("Relocation costs")
        LEGAL_FEES = "legal_fees", _("Legal fees")
        MEDICAL = "medical", _("Medical")
        SECURITY_EQUIPMENT = "security_equipment", _("Security equipment")
        DIGITAL_SECURITY = "digital_security", _("Digital security")
        SUBSISTENCE = "subsistence", _("Subsistence")
        FAMILY_SUPPORT = "family_support", _("Family support")
        OTHER = "other", _("Other")

    amount = models.DecimalField(_("amount granted"), max_digits=12, decimal_places=2, null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    purpose = models.CharField(_("purpose"), max_length=30, choices=Purpose.choices, blank=True)
    funder_actor = models.ForeignKey(
        "directory.ProtectionActor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("funder (directory)"),
    )
    # The donor view counts the grants whose funder is this organisation of the network.
    funder_organization = models.ForeignKey(
        "orgs.Organization",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="funded_grants",
        verbose_name=_("funder (organisation of the network)"),
    )
    report_due_on = models.DateField(_("report due on"), null=True, blank=True)
    report_received_on = models.DateField(_("report received on"), null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["funder_organization"], name="grant_funder_idx")]


class RelocationDetail(ResponseDetail):
    class Permit(models.TextChoices):
        NOT_NEEDED = "not_needed", _("Not needed")
        TO_APPLY = "to_apply", _("To apply for")
        APPLIED = "applied", _("Applied for")
        GRANTED = "granted", _("Granted")
        REFUSED = "refused", _("Refused")

    host = models.CharField(_("host organisation or programme"), max_length=200, blank=True)
    country = CountryField(verbose_name=_("country of relocation"), blank=True)
    # Where the defender stays is a whereabouts: encrypted like an address.
    city = EncryptedTextField(_("city"))
    address = EncryptedTextField(_("address"))
    permit_status = models.CharField(
        _("visa or permit"), max_length=20, choices=Permit.choices, default=Permit.NOT_NEEDED
    )
    permit_applied_on = models.DateField(_("visa or permit applied for on"), null=True, blank=True)
    permit_decided_on = models.DateField(_("visa or permit decided on"), null=True, blank=True)
    permit_valid_until = models.DateField(_("visa or permit valid until"), null=True, blank=True)
    family_members = EncryptedJSONField(_("family members travelling"))
    travel_security_plan = EncryptedTextField(_("security plan for travel"))
    return_plan = EncryptedTextField(_("return plan"))
    departure_on = models.DateField(_("departure on"), null=True, blank=True)
    return_on = models.DateField(_("return on"), null=True, blank=True)


class AccompanimentDetail(ResponseDetail):
    accompaniers = EncryptedJSONField(_("accompaniers (people or organisations)"))
    checkin_schedule = models.ForeignKey(
        "safety.CheckInSchedule",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("safety check-ins"),
    )


class LegalDetail(ResponseDetail):
    class Stage(models.TextChoices):
        INVESTIGATION = "investigation", _("Investigation")
        CHARGES = "charges", _("Charges brought")
        PRE_TRIAL = "pre_trial", _("Pre-trial detention or hearings")
        TRIAL = "trial", _("Trial")
        APPEAL = "appeal", _("Appeal")
        CLOSED = "closed", _("Closed")

    lawyer = EncryptedTextField(_("lawyer"))
    court = models.CharField(_("court"), max_length=200, blank=True)
    case_number = EncryptedTextField(_("case number of the proceedings"))
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, blank=True)


class MedicalDetail(ResponseDetail):
    class Support(models.TextChoices):
        MEDICAL = "medical", _("Medical")
        PSYCHOSOCIAL = "psychosocial", _("Psychosocial")
        BOTH = "both", _("Medical and psychosocial")

    provider = EncryptedTextField(_("provider"))
    support = models.CharField(_("kind of support"), max_length=20, choices=Support.choices, blank=True)
    sessions_count = models.PositiveIntegerField(_("sessions"), default=0)


class DiplomaticDetail(ResponseDetail):
    lead_mission = models.CharField(_("mission leading the action"), max_length=200, blank=True)


class AdvocacyDetail(ResponseDetail):
    joint_statement = models.ForeignKey(
        "statements.JointStatement",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("joint statement"),
    )


DETAIL_MODELS: dict[str, type[ResponseDetail]] = {
    Kind.EMERGENCY_GRANT: GrantDetail,
    Kind.RELOCATION: RelocationDetail,
    Kind.ACCOMPANIMENT: AccompanimentDetail,
    Kind.LEGAL_SUPPORT: LegalDetail,
    Kind.MEDICAL_PSYCHOSOCIAL: MedicalDetail,
    Kind.DIPLOMATIC_ACTION: DiplomaticDetail,
    Kind.ADVOCACY: AdvocacyDetail,
}


class ResponseStep(EncryptedModel):
    """A dated row of a response: which kinds a response may have is `STEP_KINDS`."""

    class StepKind(models.TextChoices):
        DISBURSEMENT = "disbursement", _("Disbursement")
        PHYSICAL_ACCOMPANIMENT = "physical_accompaniment", _("Physical accompaniment")
        VISIT = "visit", _("Visit")
        PHONE_CALL = "phone_call", _("Phone call")
        AUTHORITIES_MEETING = "authorities_meeting", _("Meeting with authorities")
        HEARING = "hearing", _("Hearing")
        EMBASSY_VISIT = "embassy_visit", _("Embassy visit")
        TRIAL_OBSERVATION = "trial_observation", _("Trial observation")
        PUBLIC_STATEMENT = "public_statement", _("Public statement")
        FAST_TRACK_VISA = "fast_track_visa", _("Fast-track visa request")
        LOBBYING_MEETING = "lobbying_meeting", _("Lobbying meeting")

    # The API document names an enum by its class: StepKind, not one more "Kind".
    Kind = StepKind

    class Method(models.TextChoices):
        BANK_TRANSFER = "bank_transfer", _("Bank transfer")
        MONEY_TRANSFER = "money_transfer", _("Money transfer service")
        CASH = "cash", _("Cash")
        IN_KIND = "in_kind", _("In kind")
        OTHER = "other", _("Other")

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="steps")
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    occurred_on = models.DateField(_("date"))
    # Public names only: the authority met, the court, the embassy, the target of lobbying.
    counterpart = models.CharField(_("authority, court, embassy or target"), max_length=200, blank=True)
    country = CountryField(verbose_name=_("country"), blank=True)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2, null=True, blank=True)
    method = models.CharField(_("method"), max_length=20, choices=Method.choices, blank=True)
    observers = models.CharField(
        _("observers present (diplomats, NGOs)"),
        max_length=300,
        blank=True,
        help_text=_("Missions and organisations, not people's names."),
    )
    result = models.CharField(_("result"), max_length=300, blank=True)
    notes = EncryptedTextField(_("notes"))
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["occurred_on", "created_at"]
        indexes = [models.Index(fields=["response", "kind", "occurred_on"], name="response_step_idx")]

    def __str__(self) -> str:
        return f"{self.kind} on {self.occurred_on}"


_S = ResponseStep.Kind
STEP_KINDS: dict[str, tuple[str, ...]] = {
    Kind.EMERGENCY_GRANT: (_S.DISBURSEMENT,),
    Kind.RELOCATION: (),
    Kind.ACCOMPANIMENT: (_S.PHYSICAL_ACCOMPANIMENT, _S.VISIT, _S.PHONE_CALL, _S.AUTHORITIES_MEETING),
    Kind.LEGAL_SUPPORT: (_S.HEARING,),
    Kind.MEDICAL_PSYCHOSOCIAL: (),
    Kind.DIPLOMATIC_ACTION: (_S.EMBASSY_VISIT, _S.TRIAL_OBSERVATION, _S.PUBLIC_STATEMENT, _S.FAST_TRACK_VISA),
    Kind.ADVOCACY: (_S.LOBBYING_MEETING, _S.PUBLIC_STATEMENT),
}
# The step fields each response kind asks for, besides kind, date and notes.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    Kind.EMERGENCY_GRANT: ("amount", "method"),
    Kind.RELOCATION: (),
    Kind.ACCOMPANIMENT: ("counterpart",),
    Kind.LEGAL_SUPPORT: ("counterpart", "observers"),
    Kind.MEDICAL_PSYCHOSOCIAL: (),
    Kind.DIPLOMATIC_ACTION: ("counterpart", "country", "result"),
    Kind.ADVOCACY: ("counterpart", "result"),
}


class Lesson(models.Model):
    """What a closed response taught, in words that name no one (the closing form says so).

    Plain text by design: it is searched, and may be shared with the network. Its context is
    coded (country, vocabulary terms, actor, kind), never copied from the case's free text.
    """

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    response = models.OneToOneField(Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="lesson")
    country = CountryField(verbose_name=_("country"), blank=True)
    sectors = models.ManyToManyField("vocab.Term", related_name="+", blank=True, verbose_name=_("sectors"))
    threats = models.ManyToManyField(
        "vocab.Term", related_name="+", blank=True, verbose_name=_("threats and violations")
    )
    actor = models.ForeignKey(
        "directory.ProtectionActor",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lessons",
        verbose_name=_("actor"),
    )
    response_kind = models.CharField(_("kind of response"), max_length=30, choices=Kind.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    what_worked = models.TextField(_("what worked"))
    what_did_not_work = models.TextField(_("what did not work"))
    shared_with_network = models.BooleanField(_("shared with the network"), default=False)
    year = models.PositiveSmallIntegerField(_("year"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["organization", "country"], name="lesson_org_country_idx"),
            models.Index(fields=["shared_with_network", "country"], name="lesson_shared_country_idx"),
        ]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self) -> str:
        return f"lesson {self.pk} ({self.response_kind}, {self.country})"

    @property
    def worked(self) -> bool:
        return self.outcome in WORKED

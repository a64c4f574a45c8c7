"""Incidents, in the HURIDOCS events model: who did what to whom, when and where.

An incident belongs to one case and is seen by whoever may see that case. What is coded
(violation types, perpetrator types, country, dates) stays in clear so that patterns can be
counted; what could identify a person or a place precisely (narrative, coordinates, names of
perpetrators and of victims who are not defenders on record, source descriptions) is encrypted.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from salama.core.encryption import EncryptedModel, EncryptedTextField

VIOLATION_TYPES = "violation-types"
PERPETRATOR_TYPES = "perpetrator-types"
INVOLVEMENT = "degree-of-involvement"
SOURCE_RELIABILITY = "source-reliability"
VICTIM_STATUS = "victim-status"


class Incident(EncryptedModel):
    class Precision(models.TextChoices):
        EXACT = "exact", _("Exact date")
        MONTH = "month", _("Month known")
        YEAR = "year", _("Year known")
        ESTIMATED = "estimated", _("Estimated")

    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="incidents", verbose_name=_("case"))
    title = models.CharField(
        _("title"), max_length=200, help_text=_("Seen by everyone in the organisation: keep it free of names.")
    )
    date_start = models.DateField(_("date (or start of the period)"))
    date_end = models.DateField(_("end of the period"), null=True, blank=True)
    date_precision = models.CharField(
        _("precision of the date"), max_length=12, choices=Precision.choices, default=Precision.EXACT
    )
    country = CountryField(verbose_name=_("country"), blank=True)
    admin_area = models.CharField(_("region or province"), max_length=120, blank=True)
    place = models.CharField(
        _("place"),
        max_length=200,
        blank=True,
        help_text=_("Seen by everyone in the organisation: a town, not an address."),
    )
    coordinates = EncryptedTextField(_("coordinates"))
    narrative = EncryptedTextField(_("narrative"))
    relation_to_work = EncryptedTextField(_("relation to the victim's human-rights work"))
    # The id the incident has in the spreadsheet or system it was imported from, so that
    # importing the same file again updates rather than duplicates.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date_start", "-created_at"]
        indexes = [
            # The list's order, whole: a page's keys come from the index alone (salama.core.paging).
            models.Index(fields=["organization", "date_start", "created_at", "id"], name="incident_list_idx"),
            models.Index(
                fields=["organization", "country", "date_start", "created_at", "id"], name="incident_country_list_idx"
            ),
            # How far back a date filter must reach: the earliest start of the periods still
            # running at its beginning, read from this index alone (salama.incidents.access).
            models.Index(fields=["organization", "date_end", "date_start"], name="incident_org_end_start_idx"),
            # A filter on related rows (violations, perpetrator types) yields incident ids; the
            # list's sort keys for each come from this index alone, without the incident row.
            models.Index(fields=["id", "organization", "date_start", "created_at"], name="incident_keys_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="incident_external_id_unique_in_org",
            )
        ]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")

    def __str__(self) -> str:
        return self.title

    @property
    def date_format(self) -> str:
        """How its dates are shown: no more precise than they are known ("October 2026", not
        "Oct. 1, 2026", for a date whose month alone is known)."""
        return {self.Precision.MONTH: "YEAR_MONTH_FORMAT", self.Precision.YEAR: "Y"}.get(
            self.Precision(self.date_precision), "DATE_FORMAT"
        )


class Victim(EncryptedModel):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="victims")
    # SET_NULL: deleting a defender (erasure) must not be blocked by the incidents they suffered;
    # the incident keeps an anonymous victim.
    defender = models.ForeignKey(
        "defenders.Defender",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="victimisations",
        verbose_name=_("defender"),
    )
    other_name = EncryptedTextField(_("name of another victim"))
    status = models.ForeignKey(
        "vocab.Term", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("status")
    )
    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["incident", "position"]

    def __str__(self) -> str:
        return f"victim in {self.incident_id}"


class Act(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="acts")
    violation = models.ForeignKey("vocab.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("violation"))
    method = models.ForeignKey(
        "vocab.Term", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("method")
    )
    victim = models.ForeignKey(
        Victim, null=True, blank=True, on_delete=models.CASCADE, related_name="acts", verbose_name=_("victim")
    )

    class Meta:
        ordering = ["incident", "pk"]
        # The incident list's violation filter reads incident ids by violation from this alone.
        indexes = [models.Index(fields=["violation", "incident"], name="act_violation_incident_idx")]

    def __str__(self) -> str:
        return f"act in {self.incident_id}"


class Perpetrator(EncryptedModel):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="perpetrators")
    type = models.ForeignKey(
        "vocab.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("type of perpetrator")
    )
    named_actor = EncryptedTextField(_("named actor"))
    involvement = models.ForeignKey(
        "vocab.Term",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("degree of involvement"),
    )
    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["incident", "position"]
        indexes = [models.Index(fields=["type", "incident"], name="perpetrator_type_incident_idx")]

    def __str__(self) -> str:
        return f"perpetrator in {self.incident_id}"


class Source(EncryptedModel):
    class SourceKind(models.TextChoices):
        VICTIM = "victim", _("Victim")
        WITNESS = "witness", _("Witness")
        MEDIA = "media", _("Media")
        ORGANISATION = "organisation", _("Organisation")
        OFFICIAL_DOCUMENT = "official_document", _("Official document")
        OTHER = "other", _("Other")

    # The API document names an enum by its class: SourceKind, not one more "Kind".
    Kind = SourceKind

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(_("kind of source"), max_length=20, choices=Kind.choices)
    reliability = models.ForeignKey(
        "vocab.Term", on_delete=models.PROTECT, related_name="+", verbose_name=_("reliability")
    )
    description = EncryptedTextField(_("description"))

    # Primary keys are random UUIDs: the order they were entered in is kept apart.
    position = models.PositiveSmallIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["incident", "position"]

    def __str__(self) -> str:
        return f"source of {self.incident_id}"


class IncidentLink(models.Model):
    class Kind(models.TextChoices):
        SAME_EVENT = "same_event", _("Same event")
        ESCALATION_OF = "escalation_of", _("Escalation of")

    from_incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links_out")
    to_incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(_("kind of link"), max_length=20, choices=Kind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["from_incident", "to_incident", "kind"], name="incident_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(from_incident=models.F("to_incident")), name="incident_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.from_incident_id} {self.kind} {self.to_incident_id}"


class ViolationListKey(models.Model):
    """The incident list's order beside each violation coded on an incident: one row per
    (incident, violation term), so that the list filtered by a violation reads its page and
    its capped count off one index, newest first, without looking up every matching incident.

    Derived data, written only by database triggers on incidents and acts (migration 0005),
    whatever made the change: the actions, an import, a bulk insert, a queryset update. Nothing
    here is sensitive: the same organisation, term, dates and key are in the incident and act
    rows already."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    # The term's key, not a reference: the acts hold the references that keep a term in use.
    violation_id = models.BigIntegerField()
    date_start = models.DateField()
    created_at = models.DateTimeField()
    incident = models.ForeignKey(Incident, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["violation_id", "incident"], name="violation_key_once")]
        indexes = [
            models.Index(
                fields=["organization", "violation_id", "date_start", "created_at", "incident"],
                name="violation_key_list_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.violation_id} in {self.incident_id}"

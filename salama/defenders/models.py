"""Defenders (people and collectives), their consent records and trusted contacts.

What could identify or locate a defender is encrypted (see salama.core.encryption); what the
network needs to count and route (a public name or pseudonym, sectors, gender, country) is not.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from salama.core.encryption import EncryptedJSONField, EncryptedModel, EncryptedTextField


class Defender(EncryptedModel):
    class DefenderKind(models.TextChoices):
        INDIVIDUAL = "individual", _("Individual")
        COMMUNITY = "community", _("Community")
        ORGANISATION = "organisation", _("Organisation or collective")

    # The API document names an enum by its class: DefenderKind, not one more "Kind".
    Kind = DefenderKind

    class Gender(models.TextChoices):
        WOMAN = "woman", _("Woman")
        MAN = "man", _("Man")
        NON_BINARY = "non_binary", _("Non-binary")
        TRANS_WOMAN = "trans_woman", _("Trans woman")
        TRANS_MAN = "trans_man", _("Trans man")
        OTHER = "other", _("Another gender")
        UNKNOWN = "unknown", _("Not known or not said")
        NOT_APPLICABLE = "not_applicable", _("Not applicable (collective)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.INDIVIDUAL)
    public_name = models.CharField(
        _("public name or pseudonym"), max_length=200, help_text=_("Shown in lists. Use a pseudonym when in doubt.")
    )
    sectors = models.ManyToManyField("vocab.Term", blank=True, related_name="+", verbose_name=_("sectors of work"))
    gender = models.CharField(_("gender"), max_length=20, choices=Gender.choices, default=Gender.UNKNOWN)
    country = CountryField(verbose_name=_("country"), blank=True)
    region = models.CharField(_("region or province"), max_length=120, blank=True)
    # The id the defender has in the spreadsheet or system an organisation imported it from, so
    # that importing the same file again updates rather than duplicates.
    external_id = models.CharField(_("external id"), max_length=100, blank=True)

    # Encrypted: who they are and how to find them.
    legal_name = EncryptedTextField(_("legal name"), blind_index="text")
    aliases = EncryptedJSONField(_("other names"))
    phone = EncryptedTextField(_("phone"), blind_index="phone")
    email = EncryptedTextField(_("email"), blind_index="email")
    other_contacts = EncryptedJSONField(_("other contact points"))
    addresses = EncryptedJSONField(_("addresses and locations"))
    date_of_birth = EncryptedTextField(_("date of birth"))
    document_number = EncryptedTextField(_("identity document number"), blind_index="document")
    relatives = EncryptedJSONField(_("relatives"))
    private_notes = EncryptedTextField(_("private notes"))

    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["public_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "external_id"],
                condition=~models.Q(external_id=""),
                name="defender_external_id_unique_in_org",
            )
        ]
        # Case lists filter by their defenders' country (salama.cases.access.cases_for).
        # With the id, the index alone gives the defenders of a country, without their rows.
        indexes = [models.Index(fields=["organization", "country", "id"], name="defender_org_country_id_idx")]

    def __str__(self) -> str:
        return self.public_name


class Consent(models.Model):
    class Scope(models.TextChoices):
        NAMED_PUBLICLY = "named_publicly", _("To be named publicly")
        SHARE_WITH_ORGANISATION = "share_with_organisation", _("To share the record with an organisation")
        SHARE_WITH_MECHANISM = "share_with_mechanism", _("To share the record with a mechanism")
        PUBLISH = "publish", _("To publish their case")

    defender = models.ForeignKey(Defender, on_delete=models.CASCADE, related_name="consents")
    scope = models.CharField(_("scope"), max_length=40, choices=Scope.choices)
    # For sharing: which organisation, or which mechanism (named as in the directory).
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    mechanism = models.CharField(_("mechanism"), max_length=200, blank=True)
    given_on = models.DateField(_("given on"))
    how = models.CharField(_("how it was given"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-given_on"]

    def __str__(self) -> str:
        return f"{self.get_scope_display()} ({self.given_on})"

    @property
    def in_force(self) -> bool:
        return self.withdrawn_on is None


class TrustedContact(EncryptedModel):
    defender = models.ForeignKey(Defender, on_delete=models.CASCADE, related_name="trusted_contacts")
    name = EncryptedTextField(_("name"))
    relationship = EncryptedTextField(_("relationship"))
    phone = EncryptedTextField(_("phone"))
    email = EncryptedTextField(_("email"))
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"trusted contact of {self.defender_id}"

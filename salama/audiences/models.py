"""Subscribers, their contact points, audience rules and frozen audiences (docs/audiences.md).

A list of who acts for defenders is itself sensitive: names, affiliations and addresses are
encrypted. What a rule must select on in SQL (kind, countries, regions, sectors, languages) is
not, so that an audience of 100,000 is evaluated by the database, set-wise.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedModel, EncryptedTextField
from salama.delivery.channels.email.openpgp import grouped
from salama.orgs.models import Organization


class Channel(models.TextChoices):
    # Adding Matrix is one choice here plus its delivery channel: contact points are per channel.
    EMAIL = "email", _("Email")
    WEBHOOK = "webhook", _("Webhook (partner system)")


class Subscriber(EncryptedModel):
    """Someone on an organisation's list: the organisation that runs the list owns the row."""

    class SubscriberKind(models.TextChoices):
        MEMBER = "member", _("Member of a network organisation")
        PARTNER = "partner", _("Partner organisation")
        ACTIVIST = "activist", _("Activist")
        DIPLOMAT = "diplomat", _("Diplomat")
        JOURNALIST = "journalist", _("Journalist")
        OTHER = "other", _("Other")

    # The API document names an enum by its class: SubscriberKind, not one more "Kind".
    Kind = SubscriberKind

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ACTIVIST)
    display_name = EncryptedTextField(_("name"))
    affiliation = EncryptedTextField(_("organisation or affiliation"))
    sectors = models.ManyToManyField("vocab.Term", blank=True, related_name="+", verbose_name=_("sectors of interest"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"subscriber {self.pk}"

    def refresh_interests(self) -> None:
        """Forget prefetched interests and sectors after they were written."""
        cache = getattr(self, "_prefetched_objects_cache", {})
        cache.pop("interests", None)
        cache.pop("sectors", None)

    def codes(self, facet: str) -> list[str]:
        """Languages (in order of preference), countries or regions; reads prefetched interests."""
        return [i.code for i in sorted(self.interests.all(), key=lambda i: i.rank) if i.facet == facet]

    @property
    def languages(self) -> list[str]:
        return self.codes(Interest.Facet.LANGUAGE)

    @property
    def countries(self) -> list[str]:
        return self.codes(Interest.Facet.COUNTRY)

    @property
    def regions(self) -> list[str]:
        return self.codes(Interest.Facet.REGION)


class Interest(models.Model):
    """One language, country or region of a subscriber: rows, not a JSON list, so that rules
    filter on them with an index on SQLite and PostgreSQL alike."""

    class Facet(models.TextChoices):
        LANGUAGE = "language", _("Language")
        COUNTRY = "country", _("Country")
        REGION = "region", _("Region")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="interests")
    facet = models.CharField(max_length=10, choices=Facet.choices)
    code = models.CharField(max_length=30)
    # Order of preference (languages: the first is the one messages are sent in).
    rank = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "facet", "code"], name="audiences_interest_unique")
        ]
        indexes = [models.Index(fields=["facet", "code"], name="audiences_interest_code_idx")]

    def __str__(self) -> str:
        return f"{self.facet}:{self.code}"


class ContactPoint(EncryptedModel):
    class ConsentHow(models.TextChoices):
        FORM = "form", _("Subscription form")
        WRITTEN = "written", _("In writing")
        VERBAL = "verbal", _("Verbally, recorded by staff")
        IMPORT = "import", _("Imported with consent on record")
        # Given again by the person through the signed preferences link of a message they received.
        LINK = "link", _("By the person, through their own link")

    # What staff may record; "link" is only ever recorded by the person's own action.
    STAFF_CONSENT = ("form", "written", "verbal", "import")

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="contact_points")
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    address = EncryptedTextField(_("address"))
    # The delivery engine's keyed hash of the normalised address (delivery.engine.address_key):
    # exact search, one address per list, and a join with the suppression list, all in SQL.
    address_key = models.CharField(max_length=64, editable=False)
    # A webhook endpoint's Standard Webhooks signing secret ("whsec_..."); empty for email.
    secret = EncryptedTextField(_("signing secret"))
    # An email contact point's OpenPGP public key (ASCII-armoured) and its fingerprint: checked
    # when saved (delivery.channels.email.openpgp). Encrypted like the address, because a key's
    # user ids name the address and a fingerprint finds them on a key server.
    openpgp_key = EncryptedTextField(_("OpenPGP public key"))
    openpgp_fingerprint = EncryptedTextField(_("OpenPGP fingerprint"))
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Why an administrator vouched for an address without a verification link.
    verified_reason = models.CharField(_("reason"), max_length=200, blank=True)
    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_how = models.CharField(_("how consent was given"), max_length=20, choices=ConsentHow.choices, blank=True)
    consent_withdrawn_at = models.DateTimeField(_("consent withdrawn at"), null=True, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["channel", "created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "channel", "address_key"], name="audiences_contact_address_unique"
            )
        ]

    def __str__(self) -> str:
        return f"contact point {self.pk} ({self.channel})"

    @property
    def openpgp_fingerprint_grouped(self) -> str:
        return grouped(self.openpgp_fingerprint)

    @property
    def usable(self) -> bool:
        return bool(self.active and self.verified_at and self.consent_given_at and self.consent_withdrawn_at is None)


class MemberOptOut(models.Model):
    """A member of a network organisation who asked not to receive an organisation's messages
    at their sign-in address (through the unsubscribe link of any of them)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization", "user"], name="audiences_optout_unique")]

    def __str__(self) -> str:
        return f"opt-out {self.user_id}"


class AudienceRule(models.Model):
    """Who: members of chosen organisations, plus subscribers of chosen kinds (union). Filters:
    countries, regions, sectors, languages narrow the subscribers (intersection across filters,
    any value within one); the language filter narrows members too, by their account language."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    member_organizations = models.ManyToManyField(
        Organization, blank=True, related_name="+", verbose_name=_("members of these organisations")
    )
    subscriber_kinds = models.JSONField(_("subscribers of these kinds"), default=list, blank=True)
    countries = models.JSONField(_("interested in these countries"), default=list, blank=True)
    regions = models.JSONField(_("interested in these regions"), default=list, blank=True)
    sectors = models.ManyToManyField(
        "vocab.Term", blank=True, related_name="+", verbose_name=_("interested in these sectors")
    )
    languages = models.JSONField(_("speaking one of these languages"), default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["organization", "name"], name="audiences_rule_name_unique")]

    def __str__(self) -> str:
        return self.name


class FrozenAudience(models.Model):
    """An audience evaluated once, for one producer (an alert): resumes and follow-ups read it
    and never evaluate a rule again."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")
    rule = models.ForeignKey(AudienceRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=200, blank=True)
    original = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="follow_ups")
    producer_kind = models.CharField(max_length=50)
    producer_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "producer_kind", "producer_id"], name="audiences_frozen_producer_unique"
            )
        ]

    def __str__(self) -> str:
        return f"audience of {self.producer_kind}:{self.producer_id}"


class FrozenMember(models.Model):
    """One contact point of a subscriber, or one member's sign-in address, in a frozen audience.
    A contact point or account deleted later leaves its row with a null reference: it counts
    in the audience as frozen and is skipped when sending."""

    audience = models.ForeignKey(FrozenAudience, on_delete=models.CASCADE, related_name="members")
    subscriber = models.ForeignKey(Subscriber, null=True, on_delete=models.SET_NULL, related_name="+")
    contact_point = models.ForeignKey(ContactPoint, null=True, on_delete=models.SET_NULL, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=20)
    language = models.CharField(max_length=10, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["audience", "contact_point"], name="audiences_frozen_contact_unique"),
            models.UniqueConstraint(fields=["audience", "user"], name="audiences_frozen_user_unique"),
        ]

    def __str__(self) -> str:
        return f"member of {self.audience_id}"

"""The directory of protection actors and mechanisms: shared reference data, the same for everyone.

Entries are shipped in `salama/directory/data/actors.json` and loaded by
`salama.directory.data.load_actors()`; platform operators may edit them afterwards. An entry an
operator edited is marked `edited_locally` so re-loading the shipped data never overwrites it.
Nothing here is about a defender: it is public information about organisations, so it is not
encrypted.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ProtectionActor(models.Model):
    class Kind(models.TextChoices):
        NGO = "ngo", _("NGO")
        FUND = "fund", _("Fund")
        RELOCATION = "relocation", _("Relocation programme")
        MECHANISM = "mechanism", _("Mechanism")
        NETWORK = "network", _("Network")

    class Offer(models.TextChoices):
        GRANTS = "grants", _("Grants")
        RELOCATION = "relocation", _("Relocation")
        ACCOMPANIMENT = "accompaniment", _("Accompaniment")
        ADVOCACY = "advocacy", _("Advocacy")
        LEGAL = "legal", _("Legal support")
        TRAINING = "training", _("Training")
        MEDICAL_PSYCHOSOCIAL = "medical_psychosocial", _("Medical and psychosocial support")
        DIPLOMATIC = "diplomatic", _("Diplomatic action")
        URGENT_APPEALS = "urgent_appeals", _("Urgent appeals")

    slug = models.SlugField(_("short name"), max_length=80, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    offers = models.JSONField(_("offers"), default=list, blank=True)
    # Region codes of salama.orgs.models.Organization.Region; empty means worldwide.
    regions = models.JSONField(_("regions"), default=list, blank=True)
    # ISO 3166-1 alpha-2 codes; empty means every country of its regions.
    countries = models.JSONField(_("countries"), default=list, blank=True)
    # Who it serves, in the words of its own criteria (shown as is).
    serves = models.TextField(_("for whom"), blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    response_time_hours = models.PositiveIntegerField(_("typical response time (hours)"), null=True, blank=True)
    how_to_reach = models.TextField(_("how to reach"), blank=True)
    website = models.URLField(_("website"), blank=True)
    # Structured rules; the vocabulary is salama.directory.eligibility.RULE_TYPES.
    eligibility = models.JSONField(_("eligibility rules"), default=list, blank=True)
    sources = models.JSONField(_("sources"), default=list, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization",
        verbose_name=_("member organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="protection_actors",
    )
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    # Set when an operator edits the entry: `salama directory load` then leaves it alone.
    edited_locally = models.BooleanField(_("edited locally"), default=False)
    # Hash of the shipped entry last loaded, so a re-load only touches entries whose data changed.
    shipped_hash = models.CharField(max_length=64, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("protection actor")
        verbose_name_plural = _("protection actors")

    def __str__(self) -> str:
        return self.name

    def offer_labels(self) -> list[str]:
        labels = dict(self.Offer.choices)
        return [str(labels.get(code, code)) for code in self.offers]

    def region_labels(self) -> list[str]:
        from salama.orgs.models import Organization

        labels = dict(Organization.Region.choices)
        return [str(labels.get(code, code)) for code in self.regions]

from __future__ import annotations

import secrets

from django.conf import settings
from django.conf.locale import LANG_INFO
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from salama.core.permissions import Role


class Organization(models.Model):
    class Kind(models.TextChoices):
        LOCAL_NGO = "local_ngo", _("Local NGO")
        NATIONAL_NGO = "national_ngo", _("National NGO")
        REGIONAL_NGO = "regional_ngo", _("Regional NGO")
        INTERNATIONAL_NGO = "international_ngo", _("International NGO")
        NETWORK = "network", _("Network")
        GOVERNMENT = "government", _("Government or embassy")
        INTERGOVERNMENTAL = "intergovernmental", _("Inter-governmental body")
        DONOR = "donor", _("Donor")
        OTHER = "other", _("Other")

    class Region(models.TextChoices):
        AFRICA = "africa", _("Africa")
        AMERICAS = "americas", _("Americas")
        ASIA_PACIFIC = "asia_pacific", _("Asia and the Pacific")
        EUROPE_CENTRAL_ASIA = "europe_central_asia", _("Europe and Central Asia")
        MENA = "mena", _("Middle East and North Africa")
        GLOBAL = "global", _("Global")

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=30, choices=Kind.choices)
    country = CountryField(verbose_name=_("country"), blank=True)
    region = models.CharField(_("region"), max_length=30, choices=Region.choices, blank=True)
    languages = models.JSONField(_("working languages"), default=list, blank=True)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def language_names(self) -> list[str]:
        return [LANG_INFO.get(code, {}).get("name_local", code) for code in self.languages]


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organization"], name="one_membership_per_org")]
        ordering = ["organization__name"]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


def _new_salt() -> str:
    return secrets.token_hex(16)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def open(self) -> InvitationQuerySet:
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now())


class Invitation(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("email address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    # The link's secret is an HMAC of id and salt under the server's key (see `link_token`):
    # nothing in the database alone is enough to forge or recover a link.
    salt = models.CharField(max_length=32, default=_new_salt)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="invitations_sent"
    )
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation to {self.organization} as {self.role}"

    @property
    def link_token(self) -> str:
        digest = salted_hmac("salama.invitation", f"{self.pk}:{self.salt}", algorithm="sha256").hexdigest()
        return f"{self.pk}-{digest}"

    def matches(self, token: str) -> bool:
        return constant_time_compare(self.link_token, token)

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

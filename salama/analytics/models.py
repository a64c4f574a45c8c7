"""What the analysis keeps of its own. Counts are computed from the records when asked; only the
organisations' choices about sharing aggregates are stored here."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AggregateSharing(models.Model):
    """An organisation's choice to let its counts enter network-level aggregates. Only counts
    ever cross: never a row. No row means not opted in."""

    organization = models.OneToOneField(
        "orgs.Organization", on_delete=models.CASCADE, related_name="aggregate_sharing", verbose_name=_("organisation")
    )
    opted_in = models.BooleanField(_("counted in network-level aggregates"), default=False)
    changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("sharing of aggregates")
        verbose_name_plural = _("sharing of aggregates")

    def __str__(self) -> str:
        return f"{self.organization_id}: {'in' if self.opted_in else 'out'}"


class WarningFlag(models.Model):
    """An early warning raised by the daily job (salama.analytics.flagging): an unusual rise of
    incidents in a country and sector, or a defender's escalation (salama.safety.flags). The
    figures that explain it are kept as they were when it was raised."""

    class Kind(models.TextChoices):
        RISE = "rise", _("Unusual rise")
        ESCALATION = "escalation", _("Defender escalation")

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # What makes the flag the same flag when the job runs again: one per organisation and key.
    key = models.CharField(max_length=200, editable=False)
    country = models.CharField(_("country"), max_length=2, blank=True)
    # The sector's term code; "" for incidents whose victims' sectors are not confirmed.
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    month = models.DateField(_("month"))
    # Escalation flags concern one defender: they are shown only to who may see the defender.
    defender = models.ForeignKey(
        "defenders.Defender", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    figures = models.JSONField(_("figures"), default=dict)
    created_at = models.DateTimeField(default=timezone.now)
    notified_at = models.DateTimeField(null=True, blank=True)
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-month", "-created_at"]
        verbose_name = _("early-warning flag")
        verbose_name_plural = _("early-warning flags")
        constraints = [models.UniqueConstraint(fields=["organization", "key"], name="warning_flag_unique_key")]
        indexes = [models.Index(fields=["organization", "-month"], name="warning_flag_org_month_idx")]

    def __str__(self) -> str:
        return self.key

    @property
    def dismissed(self) -> bool:
        return self.dismissed_at is not None


class WarningSubscription(models.Model):
    """A member's wish to hear of new flags, narrowed by country and sector ("" means any)."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="+", verbose_name=_("organisation")
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    country = models.CharField(_("country"), max_length=2, blank=True)
    sector = models.CharField(_("sector"), max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("early-warning subscription")
        verbose_name_plural = _("early-warning subscriptions")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "country", "sector"], name="warning_subscription_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id}: {self.country or '*'} / {self.sector or '*'}"

    def matches(self, flag: WarningFlag) -> bool:
        return (not self.country or self.country == flag.country) and (not self.sector or self.sector == flag.sector)


class WarningNotice(models.Model):
    """That a subscriber was told of a flag: the once-only guard of the notifications."""

    flag = models.ForeignKey(WarningFlag, on_delete=models.CASCADE, related_name="notices")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["flag", "user"], name="warning_notice_once")]

    def __str__(self) -> str:
        return f"{self.flag_id} -> {self.user_id}"


class MonthlyCount(models.Model):
    """The monthly summary (salama.analytics.summary): incidents of one organisation in one
    month and country, in all ("all" rows) or under one violation term rolled up to one depth
    of the vocabulary ("violation" rows, distinct incidents). Derived data, rebuilt from the
    incidents at will: it holds no names, no narrative, only counts."""

    ALL, VIOLATION = "all", "violation"

    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the first day of the month of the incidents' start date
    country = models.CharField(max_length=2, blank=True)  # "" when not recorded
    dimension = models.CharField(max_length=10)
    depth = models.PositiveSmallIntegerField(default=0)  # the vocabulary level; 0 for "all"
    value = models.CharField(max_length=100, blank=True)  # the rolled-up term code; "" for "all"
    incidents = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "dimension", "depth", "month", "country", "value"],
                name="monthly_count_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m} {self.country or '-'} {self.value or '*'}: {self.incidents}"


class MonthlyCountDirty(models.Model):
    """An (organisation, month) whose summary rows may be out of date: written by database
    triggers on the incidents and their acts, so every write counts, whatever wrote it. No
    foreign-key constraint: deleting an organisation deletes its incidents, and their triggers
    would mark the very organisation being deleted."""

    organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    month = models.DateField()

    class Meta:
        indexes = [models.Index(fields=["organization", "month"], name="monthly_count_dirty_idx")]

    def __str__(self) -> str:
        return f"{self.organization_id} {self.month:%Y-%m}"


class MonthlyCountState(models.Model):
    """When an organisation's summary was last built whole, and against which violation
    vocabulary (a digest of its terms' ids, codes and paths): a re-parented term changes every
    roll-up, so a different digest means the organisation is built again."""

    organization = models.OneToOneField("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    vocabulary_digest = models.CharField(max_length=64)
    built_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.organization_id}: {self.vocabulary_digest[:12]}"

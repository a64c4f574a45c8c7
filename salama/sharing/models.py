"""Sharing grants: one organisation lets a partner see one case, for a purpose, until a date.

A grant is in effect while it is neither revoked nor expired, and while every defender of the
case has a consent in force to share with the partner: all three are decided at query time
(`salama.cases.access.active_grants`), so expiry needs no job and a withdrawn consent takes
effect on the next request.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_DURATION = timedelta(days=365)


class Scope(models.TextChoices):
    SUMMARY = "summary", _("Summary: reference, title, status, priority, defenders' public names")
    FULL_RECORD = "full_record", _("Full record: also the summary, notes, defenders' details and incidents")
    FULL_RECORD_WITH_EVIDENCE = "full_record_with_evidence", _("Full record and evidence files")


# What a partner may do with a shared case, by scope. The one place this is decided: the
# access helpers of cases, defenders, incidents and evidence all ask `scope_allows`.
VIEW = "case.view"  # reference, title, status, priority, defenders' public fields, timeline kinds
REVEAL = "case.reveal"  # the summary, the notes and the defenders' encrypted details
INCIDENTS = "incidents.view"  # incidents, and the reveal of their encrypted details
EVIDENCE = "evidence.download"  # the cleaned copies of evidence files
SCOPE_CAPABILITIES: dict[str, frozenset[str]] = {
    Scope.SUMMARY: frozenset({VIEW}),
    Scope.FULL_RECORD: frozenset({VIEW, REVEAL, INCIDENTS}),
    Scope.FULL_RECORD_WITH_EVIDENCE: frozenset({VIEW, REVEAL, INCIDENTS, EVIDENCE}),
}


def scope_allows(scope: str, capability: str) -> bool:
    return capability in SCOPE_CAPABILITIES.get(scope, frozenset())


class SharingGrant(models.Model):
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="sharing_grants")
    from_organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="grants_given")
    to_organization = models.ForeignKey(
        "orgs.Organization", on_delete=models.CASCADE, related_name="grants_received", verbose_name=_("partner")
    )
    scope = models.CharField(_("what is shared"), max_length=30, choices=Scope.choices)
    # Not encrypted, and seen by both organisations: the form tells people to keep it general.
    purpose = models.TextField(
        _("purpose"), help_text=_("Seen by both organisations and not encrypted: no names or sensitive details.")
    )
    expires_at = models.DateTimeField(_("expires"))
    # Besides the partner's admins and coordinators, who always see a shared case.
    recipients = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("other recipients")
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["to_organization", "revoked_at", "expires_at"], name="grant_partner_idx")]

    def __str__(self) -> str:
        return f"grant {self.pk} of {self.case_id}"

    @property
    def is_active(self) -> bool:
        """Revocation and expiry only; the consent check needs the database (see active_grants)."""
        return self.revoked_at is None and self.expires_at > timezone.now()

"""The audit log: append-only and hash-chained (see chain.py and docs/audit-log.md)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .catalog import action_label, field_label, target_type_label


class AppendOnlyError(Exception):
    """Audit entries are never changed or deleted once written."""


def _refuse(what: str) -> NoReturn:
    raise AppendOnlyError(f"audit entries are append-only: {what} refused")


class AuditEntryQuerySet(models.QuerySet["AuditEntry"]):
    def update(self, **kwargs: Any) -> NoReturn:
        _refuse("update")

    def delete(self) -> NoReturn:  # type: ignore[override]
        _refuse("delete")

    def bulk_update(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("bulk_update")

    def bulk_create(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse("bulk_create (entries are chained and written by salama.audit.actions only)")


class AuditEntry(models.Model):
    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        CLI = "cli", _("Command line")
        WORKER = "worker", _("Background worker")

    sequence = models.PositiveBigIntegerField(_("number"), unique=True)
    format = models.PositiveSmallIntegerField(default=1)
    occurred_at = models.DateTimeField(_("when"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Frozen at the time: the entry still says who, and still verifies, once the account is gone.
    actor_pk = models.BigIntegerField(null=True, blank=True)
    actor_label = models.CharField(_("who"), max_length=254, blank=True)
    organization = models.ForeignKey(
        "orgs.Organization", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organization_pk = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(_("action"), max_length=64)
    target_type = models.CharField(_("target type"), max_length=40, blank=True)
    target_id = models.CharField(_("target"), max_length=254, blank=True)
    # Field names, and old and new values only for fields the writer listed as loggable.
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    # The only request context kept. No IP address: the address of a defender or a caseworker
    # locates them and can identify them, so it is itself sensitive and would make this log,
    # which must be kept for years, a map of where people work from. No user agent either.
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64, db_index=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["sequence"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        indexes = [
            models.Index(fields=["organization", "-sequence"], name="audit_org_sequence"),
            models.Index(fields=["organization", "action", "-sequence"], name="audit_org_action"),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(sequence__gte=1), name="audit_sequence_positive")]

    def __str__(self) -> str:
        return f"#{self.sequence} {self.action}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding or kwargs.get("force_update") or kwargs.get("update_fields"):
            _refuse("update")
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:  # type: ignore[override]
        _refuse("delete")

    @property
    def action_label(self) -> str:
        return action_label(self.action)

    @property
    def target_type_label(self) -> str:
        return target_type_label(self.target_type)

    @property
    def changed_fields(self) -> list[dict[str, Any]]:
        """For display: each field, and its old and new values when they were recorded."""
        fields = []
        for name, value in (self.changes or {}).items():
            logged = isinstance(value, dict) and "new" in value
            fields.append(
                {
                    "label": field_label(name),
                    "logged": logged,
                    "old": value.get("old") if logged else None,
                    "new": value.get("new") if logged else None,
                }
            )
        return fields

"""One revision per change to a tracked record (a defender, a case, an incident).

A revision belongs to the record's organisation and has its own data key: the old and new
values of encrypted fields are sealed in `sealed_changes`, never in the public columns. Deleting
the record deletes its revisions (salama.revisions.hooks), which destroys their keys too.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedJSONField, EncryptedModel, EncryptedTextField


class Revision(EncryptedModel):
    target_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    # Text, so UUID and integer primary keys fit the same column.
    target_id = models.CharField(max_length=64)
    number = models.PositiveIntegerField(_("revision"))
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("when"), default=timezone.now)
    comment = EncryptedTextField(_("comment"))
    fields = models.JSONField(_("changed fields"), default=list)
    public_changes = models.JSONField(default=dict)
    sealed_changes = EncryptedJSONField(default=dict)

    class Meta:
        ordering = ["target_type", "target_id", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["target_type", "target_id", "number"], name="revision_number_per_target")
        ]
        indexes = [models.Index(fields=["organization", "target_type", "target_id"], name="revision_target_idx")]

    def __str__(self) -> str:
        return f"revision {self.number} of {self.target_id}"

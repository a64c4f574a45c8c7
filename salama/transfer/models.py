"""Import batches and saved column mappings.

An uploaded file is kept only as an encrypted table on its batch (sealed with the batch's own
data key, like any encrypted record) and is crypto-shredded when the import finishes or is
cancelled: the data key is destroyed, so not even an old database copy can read it again.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedJSONField, EncryptedModel, EncryptedTextField


class ImportBatch(EncryptedModel):
    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded: choose the columns")
        MAPPED = "mapped", _("Columns chosen: check the values")
        QUEUED = "queued", _("Waiting to run")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        CANCELLED = "cancelled", _("Cancelled")
        FAILED = "failed", _("Failed")

    kind = models.CharField(_("what is imported"), max_length=30)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.UPLOADED)
    file_name = EncryptedTextField(_("file name"))
    # {"headers": [...], "rows": [[...], ...]}: the file's whole content, as read.
    table = EncryptedJSONField(_("file content"), default=dict)
    row_count = models.PositiveIntegerField(default=0)
    # Salama field -> file column header; raw coded value -> term code ("" leaves it empty).
    # Neither holds anything protected: headers, and values of coded, unencrypted fields.
    mapping = models.JSONField(default=dict, blank=True)
    vocab_map = models.JSONField(default=dict, blank=True)
    # Salama field -> the one value every row takes (a field no column fills, such as the case a
    # whole file belongs to). Only unprotected fields may be given so (rows.FIXABLE_TYPES).
    fixed = models.JSONField(default=dict, blank=True)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    shredded = models.BooleanField(default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"import {self.kind} {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.state in (self.State.UPLOADED, self.State.MAPPED)


class SavedMapping(models.Model):
    organization = models.ForeignKey("orgs.Organization", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    name = models.CharField(_("name"), max_length=100)
    mapping = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "kind", "name"], name="saved_mapping_unique_name")
        ]

    def __str__(self) -> str:
        return self.name

"""Import batches, their files and saved column mappings.

An uploaded file is kept only as an encrypted table in an `ImportFile`, a row of its own beside
its batch, sealed with its own data key. A running import updates its batch's progress after
every few thousand rows, and SQLite writes a whole row again on each update: with the file on
the batch, each would rewrite the whole sealed file (15 MB for a 100,000-row file). Apart,
the file is written once, on upload. It is crypto-shredded when the import finishes, is
cancelled or fails: its row is deleted and its data key destroyed, so not even an old database
copy can read it again.
"""

from __future__ import annotations

from typing import Any

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

    @property
    def table(self) -> dict[str, Any]:
        """The file's content (see ImportFile.table), or {} once it is shredded. Read once per
        batch object: the file row stays cached on it."""
        if self.shredded:
            return {}
        try:
            return self.file.table
        except ImportFile.DoesNotExist:
            return {}


class ImportFile(EncryptedModel):
    """The uploaded file of one batch, in its own row so that the batch's bookkeeping never
    writes it again. `organization` is the batch's."""

    batch = models.OneToOneField(ImportBatch, on_delete=models.CASCADE, related_name="file")
    # {"headers": [...], "rows": [[...], ...]}: the file's whole content, as read.
    table = EncryptedJSONField(_("file content"), default=dict)

    def __str__(self) -> str:
        return f"file of import {self.batch_id}"


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

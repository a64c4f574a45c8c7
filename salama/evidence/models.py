"""Evidence files: photos of injuries, threatening messages, court documents.

The title is public within the organisation (like a case's title); the description, the name
the file had on the uploader's device and its SHA-256 are encrypted fields. The content itself
is sealed with the record's own data key and kept outside the database (see storage.py), so
deleting the record shreds the key and the file together.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedModel, EncryptedTextField


class EvidenceFile(EncryptedModel):
    case = models.ForeignKey("cases.Case", on_delete=models.PROTECT, related_name="evidence")
    title = models.CharField(_("title"), max_length=200)
    description = EncryptedTextField(_("description"))
    original_name = EncryptedTextField(_("original file name"))
    # Kept encrypted: the plain digest of a file an adversary already holds would confirm, from
    # a seized database alone, that the network has it too.
    sha256 = EncryptedTextField(_("SHA-256"))
    media_type = models.CharField(_("type"), max_length=100)  # sniffed from the content
    size = models.PositiveBigIntegerField(_("size"))
    # HMAC-SHA256 of the content under a per-organisation key derived from the key store's index
    # key: equal files in one organisation give equal values (duplicate detection), but without
    # the key store and the root key nobody can compute it for a file they hold, so it cannot be
    # used to test whether a known photo or document is present. Different organisations get
    # unrelated values, so nothing can be joined across them either.
    content_hmac = models.CharField(max_length=64, editable=False)
    storage_name = models.CharField(max_length=64, unique=True, editable=False)
    has_derived = models.BooleanField(_("cleaned copy"), default=False)
    derived_storage_name = models.CharField(max_length=64, blank=True, editable=False)
    derived_size = models.PositiveBigIntegerField(null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    class Meta:
        ordering = ["-uploaded_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "content_hmac"], name="evidence_once_per_org"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def short_id(self) -> str:
        return self.pk.hex[:8]

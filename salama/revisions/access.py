"""The only way to fetch revisions: always through the record they belong to, which the caller
has already fetched through its own access helper (need to know is the record's)."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet

from salama.core.encryption import EncryptedModel

from .models import Revision


def revisions_of(record: EncryptedModel) -> QuerySet[Revision]:
    """Newest first; `has_comment` says whether a comment exists without opening it."""
    flags: dict[str, Any] = {"has_comment": ExpressionWrapper(~Q(comment=""), output_field=BooleanField())}
    return (
        Revision.objects.filter(
            organization_id=record.organization_id,
            target_type=ContentType.objects.get_for_model(type(record)),
            target_id=str(record.pk),
        )
        .annotate(**flags)
        .select_related("author")
        .order_by("-number")
    )

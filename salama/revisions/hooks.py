"""Deleting a tracked record deletes its revisions, so their data keys are shredded as well:
otherwise the old values sealed in them would outlive the record."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.db.models.signals import post_delete


def _delete_revisions(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    from .models import Revision

    # One by one (not a raw bulk delete) so post_delete shreds each revision's data key.
    content_type = ContentType.objects.get_for_model(sender)
    for revision in Revision.objects.filter(target_type=content_type, target_id=str(instance.pk)):
        revision.delete()


def track(model_label: str) -> None:
    model = apps.get_model(model_label)
    post_delete.connect(_delete_revisions, sender=model, dispatch_uid=f"revisions:{model._meta.label}")

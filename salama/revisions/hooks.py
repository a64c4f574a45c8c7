"""Registering a tracked record. Deleting it deletes its revisions, so their data keys are
shredded as well: otherwise the old values sealed in them would outlive the record. Values it
derives from rows of its own (`Derived`) are kept in its revisions beside its fields."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Model
from django.db.models.signals import post_delete


@dataclass(frozen=True)
class Derived:
    """A value a tracked record takes from rows of its own (an incident's victims, say), kept in
    its revisions like a field. `read` gives it as JSON; `show`, given a stored value and the
    member reading, gives the lines a person reads, so labels follow their language."""

    label: Any
    read: Callable[[Any], Any]
    show: Callable[[Any, Any], list[str]]
    sealed: bool = False


DERIVED: dict[type[Model], Mapping[str, Derived]] = {}


def derived(model: type[Model], name: str) -> Derived | None:
    return DERIVED.get(model, {}).get(name)


def _delete_revisions(sender: type[Model], instance: Model, **kwargs: Any) -> None:
    from .models import Revision

    # One by one (not a raw bulk delete) so post_delete shreds each revision's data key.
    content_type = ContentType.objects.get_for_model(sender)
    for revision in Revision.objects.filter(target_type=content_type, target_id=str(instance.pk)):
        revision.delete()


def track(model_label: str, derived_values: Mapping[str, Derived] | None = None) -> None:
    model = apps.get_model(model_label)
    if derived_values:
        DERIVED[model] = derived_values
    post_delete.connect(_delete_revisions, sender=model, dispatch_uid=f"revisions:{model._meta.label}")

"""Writing revisions, and the audited reveal of their sealed values.

How a tracked app uses it, inside its own `do_*` action's transaction:

    before = snapshot(record, fields)           # before changing anything
    ... change and save the record ...
    record_revision(actor, record, before, fields, comment)

Values of encrypted fields are opened in memory only, to compare them, and go into the
revision's `sealed_changes`, sealed with the revision's own data key.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Max
from django.utils import timezone

from salama.audit.actions import Target
from salama.audit.actions import record as audit_record
from salama.core.bulk import JSONText
from salama.core.encryption import EncryptedField, EncryptedModel, create_many_values
from salama.core.permissions import role_can
from salama.core.values import is_blank
from salama.orgs.models import Membership

from .hooks import derived
from .models import Revision

# Bookkeeping, not content: who created the record and when is already on the revision.
NOT_TRACKED = frozenset({"id", "organization", "data_key_id", "record_version", "created_by", "created_at"})


def tracked_fields(model: type[models.Model]) -> list[str]:
    names = []
    for field in [*model._meta.concrete_fields, *model._meta.many_to_many]:
        if field.name in NOT_TRACKED or not field.editable or getattr(field, "auto_now", False):
            continue
        names.append(field.name)
    return names


def is_sealed(model: type[models.Model], name: str) -> bool:
    spec = derived(model, name)
    if spec is not None:
        return spec.sealed
    return isinstance(model._meta.get_field(name), EncryptedField)


# A tuple rather than a union: checked for every field of every row of an import.
_AS_IS = (str, bool, int, float)


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, _AS_IS):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): _jsonable(item) for key, item in value.items()}
    # Countries, decimals, lazy strings.
    return str(value)


def _value(record: models.Model, name: str) -> Any:
    spec = derived(type(record), name)
    if spec is not None:
        return [] if record.pk is None or record._state.adding else _jsonable(spec.read(record))
    field = record._meta.get_field(name)
    if isinstance(field, models.ManyToManyField):
        if record.pk is None or record._state.adding:
            return []
        items = getattr(record, name).all()
        # Vocabulary terms are recorded by code, which stays readable after a relabel.
        return sorted(str(getattr(item, "code", item.pk)) for item in items)
    value = getattr(record, name)
    if isinstance(field, models.ForeignKey):
        return None if value is None else str(value.pk)
    return _jsonable(value)


def snapshot(record: models.Model | None, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The values of `fields` (all tracked fields by default) as they are now; `{}` for none."""
    if record is None:
        return {}
    names = tracked_fields(type(record)) if fields is None else list(fields)
    return {name: _value(record, name) for name in names}


def _split_changes(
    sealed_names: Container[str], names: Iterable[str], before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """(public, sealed) changes: each field whose value differs, as {"old": ..., "new": ...}.
    `sealed_names` are the fields whose values are sealed (`_sealed_names`)."""
    public: dict[str, dict[str, Any]] = {}
    sealed: dict[str, dict[str, Any]] = {}
    for name in names:
        old, new = before.get(name), after[name]
        if old == new or (is_blank(old) and is_blank(new)):
            continue
        (sealed if name in sealed_names else public)[name] = {"old": old, "new": new}
    return public, sealed


def _sealed_names(model: type[models.Model], names: Iterable[str]) -> frozenset[str]:
    return frozenset(name for name in names if is_sealed(model, name))


def _changed(names: Iterable[str], changes: tuple[dict[str, Any], dict[str, Any]]) -> list[str]:
    """The names of the fields that changed, in the model's order."""
    public, sealed = changes
    return [name for name in names if name in public or name in sealed]


def _revision(
    actor: Membership,
    record: EncryptedModel,
    number: int,
    names: list[str],
    changes: tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]],
    comment: str = "",
) -> Revision:
    public, sealed = changes
    revision = Revision(
        organization_id=record.organization_id,
        target_type=ContentType.objects.get_for_model(type(record)),
        target_id=str(record.pk),
        number=number,
        author_id=actor.user_id,
        created_at=timezone.now(),
        comment=comment.strip(),
        fields=_changed(names, changes),
        public_changes=public,
    )
    # Encrypted fields take the plain value; the stubs only know the column's text type.
    revision.sealed_changes = sealed  # type: ignore[assignment]
    return revision


@transaction.atomic
def record_revision(
    actor: Membership,
    record: EncryptedModel,
    before: Mapping[str, Any],
    after_fields: Iterable[str] | None = None,
    comment: str = "",
) -> Revision | None:
    """Compare `before` (a `snapshot` taken before the change) with the record now, over
    `after_fields` (all tracked fields by default), and keep a revision when anything changed.

    `before == {}` means the record is new: every field that is set counts as changed."""
    model = type(record)
    names = tracked_fields(model) if after_fields is None else [n for n in after_fields if n != "comment"]
    changes = _split_changes(_sealed_names(model, names), names, before, snapshot(record, names))
    if not any(changes):
        return None
    content_type = ContentType.objects.get_for_model(model)
    # Lock the record so two concurrent edits cannot take the same number (PostgreSQL).
    model._default_manager.select_for_update().filter(pk=record.pk).exists()
    last = Revision.objects.filter(target_type=content_type, target_id=str(record.pk)).aggregate(n=Max("number"))
    revision = _revision(actor, record, (last["n"] or 0) + 1, names, changes, comment)
    revision.save()
    return revision


@transaction.atomic
def record_creations(
    actor: Membership, model: type[EncryptedModel], created: Sequence[tuple[Any, Mapping[str, Any]]]
) -> int:
    """Revision 1 of each of many records of the actor's organisation just inserted together
    (an import), written at once, as rows of values (create_many_values). `created` holds each
    record's id and the values it was created with, every tracked field included (many-to-many
    ones as the codes `snapshot` records). Returns how many revisions were written."""
    names = tracked_fields(model)
    sealed_names = _sealed_names(model, names)
    rows = []
    for pk, values in created:
        public, sealed = changes = _split_changes(sealed_names, names, {}, {n: _jsonable(values[n]) for n in names})
        if public or sealed:
            rows.append((str(pk), JSONText.of(_changed(names, changes)), JSONText.of(public), sealed))
    create_many_values(
        Revision,
        actor.organization_id,
        ("target_id", "fields", "public_changes", "sealed_changes"),
        rows,
        target_type_id=ContentType.objects.get_for_model(model).pk,
        number=1,
        author_id=actor.user_id,
        # Written together, in one transaction: one moment for all of them.
        created_at=timezone.now(),
    )
    return len(rows)


@transaction.atomic
def do_reveal_history(
    actor: Membership, record: EncryptedModel, *, permission: str, action: str, target: Target
) -> list[str]:
    """The audit entry comes first: whoever reveals is on record before anything is opened.
    It names "history" and each encrypted field whose old values the history holds."""
    decision = role_can(actor.role, permission)
    if not decision:
        raise PermissionDenied(decision.reason)
    if record.organization_id != actor.organization_id:
        raise PermissionDenied
    from .access import revisions_of

    names = sorted({name for rev in revisions_of(record) for name in rev.fields if is_sealed(type(record), name)})
    record_changes = {name: (None, None) for name in ["history", *names]}
    audit_record(action, actor=actor.user, organization=actor.organization, target=target, changes=record_changes)
    return names

"""Every change to defenders, consents and trusted contacts goes through these functions.

Audit entries name the encrypted fields that changed or were revealed, never their values:
only the fields in the *_LOGGABLE tuples keep their values in the log.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from salama.audit.actions import created, record, record_fields, record_many, record_reveal
from salama.core.encryption import create_many_values
from salama.core.permissions import require
from salama.core.values import is_blank
from salama.orgs.models import Membership
from salama.revisions.actions import record_creations, record_revision, snapshot, tracked_fields

from .access import ENCRYPTED_FIELDS, require_visible_defender
from .models import Consent, Defender, TrustedContact

DEFENDER_LOGGABLE = ("kind", "public_name", "gender", "country", "sectors")
CONSENT_LOGGABLE = ("scope", "mechanism", "given_on", "withdrawn_on")
CONTACT_LOGGABLE = ("language",)
CONTACTS = "trusted_contacts"  # what a reveal names when it opens the trusted contacts
REVEALABLE = (*ENCRYPTED_FIELDS, CONTACTS)


def _target(defender_id: Any) -> tuple[str, Any]:
    return ("defender", defender_id)


def _loggable_changes(changes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    """Encrypted values never leave this module: their fields are passed on by name alone."""
    return {name: ((None, None) if name in ENCRYPTED_FIELDS else pair) for name, pair in changes.items()}


def _comparable(value: Any) -> Any:
    # A country reads back as a Country object but is assigned as a code.
    return value if isinstance(value, list | dict) else str(value)


def _sector_codes(sectors: Iterable[Any]) -> list[str]:
    return sorted(term.code for term in sectors)


@transaction.atomic
def do_create_defender(actor: Membership, **fields: Any) -> Defender:
    return Defender.objects.get(pk=do_create_defenders(actor, [fields])[0])


@transaction.atomic
def do_create_defenders(actor: Membership, rows: Sequence[Mapping[str, Any]]) -> list[uuid.UUID]:
    """Each row becomes a defender with its revision and its audit entry, as one at a time
    would, but written in a few statements and without building a model instance per row
    (create_many_values): an import of thousands of rows stays fast. Returns their ids."""
    require(actor, "defenders.edit")
    fields = [dict(row) for row in rows]
    sectors = [list(row.pop("sectors", [])) for row in fields]
    defaults = _record_defaults()
    unknown = sorted({name for row in fields for name in row} - defaults.keys())
    if unknown:
        raise TypeError(f"defenders have no field {', '.join(unknown)}")
    complete = [{**defaults, **row} for row in fields]
    ids = create_many_values(
        Defender,
        actor.organization_id,
        tuple(defaults),
        [tuple(row.values()) for row in complete],
        created_by_id=actor.user_id,
        created_at=timezone.now(),
    )
    Defender.sectors.through.objects.bulk_create(
        [
            Defender.sectors.through(defender_id=pk, term_id=term.pk)
            for pk, terms in zip(ids, sectors, strict=True)
            for term in terms
        ]
    )
    codes = [_sector_codes(terms) for terms in sectors]
    record_creations(
        actor,
        Defender,
        [(pk, {**row, "sectors": row_codes}) for pk, row, row_codes in zip(ids, complete, codes, strict=True)],
    )
    record_many(
        "defender.created",
        [
            (_target(pk), _loggable_changes(_created_changes(row, row_codes)))
            for pk, row, row_codes in zip(ids, fields, codes, strict=True)
        ],
        actor=actor.user,
        organization=actor.organization,
        loggable=DEFENDER_LOGGABLE,
    )
    return ids


def _record_defaults() -> dict[str, Any]:
    """What a new defender holds in each field a caller may give, unless given: the fields that
    revisions track, but its sectors. Read-only: shared by the defenders of a batch."""
    names = set(tracked_fields(Defender)) - {"sectors"}
    return {field.name: field.get_default() for field in Defender._meta.concrete_fields if field.name in names}


def _created_changes(fields: Mapping[str, Any], sector_codes: list[str]) -> dict[str, tuple[Any, Any]]:
    changes = {name: (None, value) for name, value in fields.items() if not is_blank(value)}
    if sector_codes:
        changes["sectors"] = (None, sector_codes)
    return changes


@transaction.atomic
def do_update_defender(actor: Membership, defender: Defender, *, comment: str = "", **fields: Any) -> Defender:
    """Records which fields changed; the values only of the public ones. The revision keeps the
    old and new values too, the protected ones sealed, with the optional comment."""
    require(actor, "defenders.edit")
    require_visible_defender(actor, defender)
    before = Defender.objects.get(pk=defender.pk)
    before_values = snapshot(before, fields)
    changes: dict[str, tuple[Any, Any]] = {}
    if "sectors" in fields:
        old, new = _sector_codes(before.sectors.all()), _sector_codes(fields["sectors"])
        if old != new:
            changes["sectors"] = (old, new)
            defender.sectors.set(fields["sectors"])
    for name, value in fields.items():
        if name == "sectors":
            continue
        old_value = getattr(before, name)
        if _comparable(old_value) != _comparable(value):
            changes[name] = (old_value, value)
        setattr(defender, name, value)
    if changes:
        defender.save()
        record_revision(actor, defender, before_values, fields, comment)
        record(
            "defender.updated",
            actor=actor.user,
            organization=actor.organization,
            target=_target(defender.pk),
            changes=_loggable_changes(changes),
            loggable=DEFENDER_LOGGABLE,
        )
    return defender


@transaction.atomic
def do_delete_defender(actor: Membership, defender: Defender) -> None:
    """The model's deletion destroys the record's data key on commit (crypto-shredding); its
    trusted contacts go with it, each shredded the same way."""
    require(actor, "defenders.delete")
    require_visible_defender(actor, defender)
    record("defender.deleted", actor=actor.user, organization=actor.organization, target=_target(defender.pk))
    defender.delete()


@transaction.atomic
def do_reveal(actor: Membership, defender: Defender, fields: Iterable[str]) -> list[str]:
    """Only the audit entry: whoever reveals is on record before any value is opened."""
    require(actor, "defenders.reveal")
    require_visible_defender(actor, defender)
    return record_reveal("defender.revealed", actor, _target(defender.pk), fields, REVEALABLE)


@transaction.atomic
def do_note_decryption_failure(actor: Membership, defender: Defender, fields: Iterable[str]) -> None:
    """A record that no longer opens is a security event (tampering, a lost or wrong key)."""
    record_fields("defender.decryption_failed", actor, _target(defender.pk), fields)


@transaction.atomic
def do_record_consent(actor: Membership, defender: Defender, **fields: Any) -> Consent:
    require(actor, "defenders.edit")
    require_visible_defender(actor, defender)
    consent = Consent.objects.create(defender=defender, recorded_by=actor.user, recorded_at=timezone.now(), **fields)
    record(
        "consent.recorded",
        actor=actor.user,
        organization=actor.organization,
        target=("consent", consent.pk),
        changes={**created(fields), "defender": (None, str(defender.pk))},
        loggable=(*CONSENT_LOGGABLE, "defender"),
    )
    return consent


@transaction.atomic
def do_withdraw_consent(actor: Membership, consent: Consent, withdrawn_on: date | None = None) -> Consent:
    require(actor, "defenders.edit")
    require_visible_defender(actor, consent.defender)
    if not consent.in_force:
        raise ValidationError(_("This consent was already withdrawn."))
    withdrawn_on = withdrawn_on or timezone.localdate()
    if withdrawn_on < consent.given_on:
        raise ValidationError({"withdrawn_on": _("A consent cannot be withdrawn before it was given.")})
    consent.withdrawn_on = withdrawn_on
    consent.withdrawn_by = actor.user
    consent.save(update_fields=["withdrawn_on", "withdrawn_by"])
    record(
        "consent.withdrawn",
        actor=actor.user,
        organization=actor.organization,
        target=("consent", consent.pk),
        changes={"withdrawn_on": (None, withdrawn_on)},
        loggable=CONSENT_LOGGABLE,
    )
    return consent


@transaction.atomic
def do_add_trusted_contact(actor: Membership, defender: Defender, **fields: Any) -> TrustedContact:
    require(actor, "defenders.edit")
    require_visible_defender(actor, defender)
    contact = TrustedContact(defender=defender, organization=actor.organization, **fields)
    contact.save()
    record(
        "trusted_contact.added",
        actor=actor.user,
        organization=actor.organization,
        target=("trusted_contact", contact.pk),
        changes={
            **{name: (None, None) for name, value in fields.items() if value and name not in CONTACT_LOGGABLE},
            "language": (None, contact.language),
            "defender": (None, str(defender.pk)),
        },
        loggable=(*CONTACT_LOGGABLE, "defender"),
    )
    return contact


@transaction.atomic
def do_remove_trusted_contact(actor: Membership, contact: TrustedContact) -> None:
    require(actor, "defenders.edit")
    require_visible_defender(actor, contact.defender)
    record(
        "trusted_contact.removed",
        actor=actor.user,
        organization=actor.organization,
        target=("trusted_contact", contact.pk),
        changes={"defender": (None, str(contact.defender_id))},
        loggable=("defender",),
    )
    contact.delete()

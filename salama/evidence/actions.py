"""Every change to evidence, and every read of its content or protected details, goes through
these functions, and each leaves an audit entry. Entries name the file by id and say which copy
or which fields; never a file name, a description, a digest or any content."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from salama.audit.actions import record, record_fields, record_reveal
from salama.cases.access import require_visible_case, visible_cases
from salama.cases.models import Case, TimelineEvent
from salama.core.encryption import key_store
from salama.core.permissions import require, role_can
from salama.orgs.models import Membership

from . import storage
from .models import EvidenceFile
from .sniff import ALLOWED, IMAGES, Refused, sniff

ORIGINAL = "original"
DERIVED = "derived"
COPIES = (DERIVED, ORIGINAL)
REVEALABLE = ("description", "original_name", "sha256")


class Duplicate(Exception):
    """The organisation already holds this file."""

    def __init__(self, existing: EvidenceFile | None) -> None:
        super().__init__("duplicate")
        self.existing = existing


@dataclass(frozen=True)
class Download:
    content: bytes
    media_type: str
    filename: str


def max_bytes() -> int:
    return int(settings.EVIDENCE_MAX_BYTES)


def _target(evidence: EvidenceFile) -> tuple[str, Any]:
    return ("evidence", evidence.pk)


def _event(evidence: EvidenceFile, actor: Membership, kind: str) -> None:
    TimelineEvent.objects.create(
        case_id=evidence.case_id, kind=kind, actor=actor.user, target_type="evidence", target_id=str(evidence.pk)
    )


def do_upload(
    actor: Membership, case: Case, *, title: str, content: bytes, name: str, description: str = ""
) -> EvidenceFile:
    """Refused (with the reason) for empty, oversized, unrecognised or disguised files;
    Duplicate when the organisation already holds the same content."""
    require(actor, "cases.edit")
    require_visible_case(actor, case)
    if len(content) > max_bytes():
        raise Refused(
            _("The file is too large (%(size)s). The most that can be uploaded is %(max)s.")
            % {"size": filesizeformat(len(content)), "max": filesizeformat(max_bytes())}
        )
    kind = sniff(content, name)
    org_id = str(actor.organization_id)
    digest = storage.content_hmac(org_id, content)
    existing = EvidenceFile.objects.filter(organization_id=org_id, content_hmac=digest).first()
    if existing is not None:
        raise Duplicate(existing if visible_cases(actor).filter(pk=existing.case_id).exists() else None)
    derived = storage.cleaned_image(content, kind.media_type) if kind.media_type in IMAGES else None

    evidence = EvidenceFile(
        id=uuid.uuid4(),
        organization_id=org_id,
        case=case,
        title=title,
        description=description,
        original_name=name,
        sha256=hashlib.sha256(content).hexdigest(),
        media_type=kind.media_type,
        size=len(content),
        content_hmac=digest,
        uploaded_by=actor.user,
    )
    # The data key exists before anything is written with it (see salama.crypto.keystore).
    evidence.data_key_id, _key = key_store().new_data_key(org_id)
    written: list[str] = []
    try:
        evidence.storage_name = storage.write_sealed(
            org_id, str(evidence.pk), evidence.data_key_id, storage.CONTENT, content
        )
        written.append(evidence.storage_name)
        if derived is not None:
            evidence.derived_storage_name = storage.write_sealed(
                org_id, str(evidence.pk), evidence.data_key_id, storage.DERIVED, derived
            )
            written.append(evidence.derived_storage_name)
            evidence.has_derived, evidence.derived_size = True, len(derived)
        with transaction.atomic():
            evidence.save()
            _event(evidence, actor, "evidence.added")
            record(
                "evidence.uploaded",
                actor=actor.user,
                organization=actor.organization,
                target=_target(evidence),
                changes={
                    "case": (None, str(case.pk)),
                    "media_type": (None, kind.media_type),
                    "size": (None, len(content)),
                    "title": (None, title),
                    "description": (None, None),
                    "original_name": (None, None),
                },
                loggable=("case", "media_type", "size", "title"),
            )
    except BaseException:
        for name_on_disk in written:
            storage.remove(name_on_disk)
        key_store().destroy_data_key(org_id, evidence.data_key_id)
        raise
    return evidence


@transaction.atomic
def do_delete(actor: Membership, evidence: EvidenceFile) -> None:
    """The record goes, its data key is destroyed once the deletion commits (crypto-shredding,
    connected in CoreConfig.ready), and so are the sealed files."""
    require(actor, "cases.delete")
    require_visible_case(actor, evidence.case)
    record("evidence.deleted", actor=actor.user, organization=actor.organization, target=_target(evidence))
    _event(evidence, actor, "evidence.deleted")
    names = [evidence.storage_name, evidence.derived_storage_name]
    evidence.delete()
    transaction.on_commit(lambda: _remove_all(names))


def _remove_all(names: list[str]) -> None:
    for name in names:
        storage.remove(name)


def available_copies(actor: Membership, evidence: EvidenceFile) -> list[str]:
    copies = [DERIVED] if evidence.has_derived else []
    if role_can(actor.role, "cases.reveal"):
        copies.append(ORIGINAL)
    return copies


@transaction.atomic
def do_download(actor: Membership, evidence: EvidenceFile, copy: str = DERIVED) -> Download:
    """The audit entry is written before the content is opened, so every read is on record."""
    require(actor, "cases.view")
    require_visible_case(actor, evidence.case)
    if copy not in COPIES:
        raise ValidationError({"copy": _("Choose the cleaned copy or the original.")})
    if copy == ORIGINAL:
        require(actor, "cases.reveal")
    elif not evidence.has_derived:
        raise ValidationError({"copy": _("This file has no cleaned copy; only the original can be downloaded.")})
    record(
        "evidence.downloaded",
        actor=actor.user,
        organization=actor.organization,
        target=_target(evidence),
        changes={"copy": (None, copy)},
        loggable=("copy",),
    )
    return open_copy(evidence, copy)


def open_copy(evidence: EvidenceFile, copy: str) -> Download:
    """Decrypts one copy; callers have checked access and written the audit entry first."""
    which, name = (
        (storage.CONTENT, evidence.storage_name)
        if copy == ORIGINAL
        else (storage.DERIVED, evidence.derived_storage_name)
    )
    content = storage.read_sealed(str(evidence.organization_id), str(evidence.pk), evidence.data_key_id, which, name)
    extension = ALLOWED[evidence.media_type][0] if evidence.media_type in ALLOWED else "bin"
    suffix = "" if copy == ORIGINAL else "-clean"
    return Download(content, evidence.media_type, f"evidence-{evidence.short_id}{suffix}.{extension}")


@transaction.atomic
def do_reveal(actor: Membership, evidence: EvidenceFile, fields: Iterable[str]) -> list[str]:
    """Only the audit entry: whoever reveals is on record before any value is opened."""
    require(actor, "cases.reveal")
    require_visible_case(actor, evidence.case)
    return record_reveal("evidence.revealed", actor, _target(evidence), fields, REVEALABLE)


@transaction.atomic
def do_note_decryption_failure(actor: Membership, evidence: EvidenceFile, what: Iterable[str]) -> None:
    """A file or detail that no longer opens is a security event (tampering, a lost key)."""
    record_fields("evidence.decryption_failed", actor, _target(evidence), what)

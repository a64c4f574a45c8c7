"""Evidence in the API: metadata lists and reads, multipart upload, audited download, delete.
Protected details (description, original name, SHA-256) are not served here yet: the web page's
audited reveal is the only way to them."""

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Field, File, Form, Query, Router, Schema, Status
from ninja.errors import HttpError
from ninja.files import UploadedFile
from ninja.pagination import paginate

from salama.api.errors import ERRORS, ErrorOut
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.cases.access import access_case
from salama.core.encryption import DecryptionError
from salama.core.requests import membership_of

from . import actions
from .access import access_evidence, evidence_of
from .forms import MAX_DESCRIPTION
from .sniff import Refused
from .views import MAX_NAME, attachment

router = Router(tags=["evidence"])
# Optional in the schema so that the role check answers before a missing file does.
OPTIONAL_FILE = File(None)


class EvidenceOut(Schema):
    id: UUID
    case: UUID
    title: str
    media_type: str
    size: int
    has_cleaned_copy: bool
    uploaded_by: str | None
    uploaded_at: datetime

    @staticmethod
    def resolve_case(obj: Any) -> UUID:
        return obj.case_id  # type: ignore[no-any-return]

    @staticmethod
    def resolve_has_cleaned_copy(obj: Any) -> bool:
        return bool(obj.has_derived)

    @staticmethod
    def resolve_uploaded_by(obj: Any) -> str | None:
        return obj.uploaded_by.email if obj.uploaded_by else None


class CopyIn(Schema):
    which: Literal["derived", "original"] | None = Field(None, alias="copy")


@router.get("/organizations/{org_slug}/cases/{case_id}/evidence", response={200: list[EvidenceOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("cases.view")
def list_evidence(request: HttpRequest, org_slug: str, case_id: UUID):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    return evidence_of(access_case(me.user, me.organization, case_id))


@router.post("/organizations/{org_slug}/cases/{case_id}/evidence", response={201: EvidenceOut, 409: ErrorOut, **ERRORS})
@requires("cases.edit")
def upload_evidence(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org_slug: str,
    case_id: UUID,
    title: Form[str] = "",
    description: Form[str] = "",
    file: UploadedFile | None = OPTIONAL_FILE,
):
    """Multipart: `title`, optional `description`, `file`. 400 with the reason for an empty,
    oversized, unrecognised or disguised file; 409 naming the existing file for a duplicate."""
    me = membership_of(request)
    case = access_case(me.user, me.organization, case_id)
    errors: dict[str, list[str]] = {}
    if not title.strip() or len(title) > 200:
        errors["title"] = [_("Enter a title of at most 200 characters.")]
    if len(description) > MAX_DESCRIPTION:
        errors["description"] = [_("The description is too long.")]
    if file is None:
        errors["file"] = [_("Choose a file to upload.")]
    if errors or file is None:
        return _error(request, 400, "invalid", _("Some fields are not valid."), errors)
    try:
        evidence = actions.do_upload(
            me,
            case,
            title=title.strip(),
            description=description,
            content=file.read(),
            name=(file.name or "")[:MAX_NAME],
        )
    except Refused as refused:
        return _error(request, 400, "invalid", str(refused), {"file": [str(refused)]})
    except actions.Duplicate as duplicate:
        existing = {"existing": str(duplicate.existing.pk)} if duplicate.existing else {}
        return _error(request, 409, "duplicate", _("Your organisation already holds this file."), existing)
    return Status(201, access_evidence(me.user, me.organization, evidence.pk))


def _error(request: HttpRequest, status: int, code: str, message: str, fields: dict[str, Any]) -> HttpResponse:
    from salama.api.urls import error

    return error(request, status, code, message, fields)


@router.get("/organizations/{org_slug}/evidence/{evidence_id}", response={200: EvidenceOut, **ERRORS})
@requires("cases.view")
def get_evidence(request: HttpRequest, org_slug: str, evidence_id: UUID):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    return access_evidence(me.user, me.organization, evidence_id)


@router.get(
    "/organizations/{org_slug}/evidence/{evidence_id}/download",
    response={409: ErrorOut, **ERRORS},
    # The 200 is the file itself, in its own media type: no schema for ninja to check it against.
    openapi_extra={
        "responses": {
            200: {"description": "The file", "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}}}
        }
    },
)
@requires("cases.view")
def download_evidence(request: HttpRequest, org_slug: str, evidence_id: UUID, params: Query[CopyIn]):  # type: ignore[no-untyped-def]
    """The cleaned copy by default (when there is one); `copy=original` needs cases.reveal.
    Audited. Served as an attachment with a neutral name, never the original one."""
    me = membership_of(request)
    evidence = access_evidence(me.user, me.organization, evidence_id)
    copy = params.which or (actions.DERIVED if evidence.has_derived else actions.ORIGINAL)
    try:
        return attachment(actions.do_download(me, evidence, copy))
    except DecryptionError:
        actions.do_note_decryption_failure(me, evidence, [copy])
        raise HttpError(409, _("This file cannot be decrypted.")) from None


@router.delete("/organizations/{org_slug}/evidence/{evidence_id}", response={204: None, **ERRORS})
@requires("cases.delete")
def delete_evidence(request: HttpRequest, org_slug: str, evidence_id: UUID):  # type: ignore[no-untyped-def]
    me = membership_of(request)
    actions.do_delete(me, access_evidence(me.user, me.organization, evidence_id))
    return Status(204, None)

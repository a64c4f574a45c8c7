from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires

from .access import LogFilter, entries_for

router = Router(tags=["audit"])


class AuditEntryOut(Schema):
    sequence: int
    occurred_at: datetime
    actor: str = Field(..., alias="actor_label")
    action: str
    target_type: str
    target_id: str
    changes: dict[str, Any]
    channel: str
    prev_hash: str
    entry_hash: str


@router.get(
    "/organizations/{org_slug}/audit",
    response={200: list[AuditEntryOut], **ERRORS},
    summary="The organisation's audit log",
)
@paginate(PageNumberPagination)
@requires("audit.view")
def list_audit_entries(  # type: ignore[no-untyped-def]
    request: HttpRequest,
    org_slug: str,
    action: str = "",
    actor: str = "",
    target_type: str = "",
    since: date | None = None,
    until: date | None = None,
):
    """Newest first. `since` and `until` are days, both included."""
    filters = LogFilter(action=action, actor=actor, target_type=target_type, since=since, until=until)
    return entries_for(request.membership.organization, filters)  # type: ignore[attr-defined]

"""Grants as the sharing organisation sees them. What a partner sees is decided in
salama.cases.access (`access_shared_case`), the single place for need to know."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from salama.cases.models import Case

from .models import SharingGrant


def grants_of(case: Case) -> QuerySet[SharingGrant]:
    return (
        SharingGrant.objects.filter(case=case, from_organization_id=case.organization_id)
        .select_related("to_organization", "created_by", "revoked_by")
        .order_by("-created_at")
    )


def access_grant(case: Case, grant_id: Any) -> SharingGrant:
    try:
        grant = grants_of(case).filter(pk=int(grant_id)).first()
    except (TypeError, ValueError):
        raise Http404 from None
    if grant is None:
        raise Http404
    return grant

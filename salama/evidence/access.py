"""The only way to fetch evidence: always through its case, so need to know is the case's."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from salama.cases.access import access_case, access_shared_case
from salama.cases.models import Case
from salama.orgs.models import Organization
from salama.sharing.models import EVIDENCE, SharingGrant

from .models import EvidenceFile


def evidence_of(case: Case) -> QuerySet[EvidenceFile]:
    return EvidenceFile.objects.filter(case=case, organization_id=case.organization_id).select_related("uploaded_by")


def access_evidence(user: Any, org: Organization, evidence_id: Any) -> EvidenceFile:
    """The file, or 404 for missing, another organisation's, and a case outside need to know."""
    try:
        UUID(str(evidence_id))
    except ValueError:
        raise Http404 from None
    found = EvidenceFile.objects.filter(organization=org, pk=evidence_id).values_list("case_id", flat=True).first()
    if found is None:
        raise Http404
    case = access_case(user, org, found)
    return evidence_of(case).select_related("case").get(pk=evidence_id)


def access_shared_evidence(
    user: Any, org: Organization, case_id: Any, evidence_id: Any
) -> tuple[EvidenceFile, SharingGrant]:
    """A partner's view of an evidence file of a shared case: 404 unless a grant in effect
    covers evidence (salama.sharing.models.SCOPE_CAPABILITIES)."""
    case, grants = access_shared_case(user, org, case_id, EVIDENCE)
    try:
        UUID(str(evidence_id))
    except ValueError:
        raise Http404 from None
    evidence = evidence_of(case).filter(pk=evidence_id).first()
    if evidence is None:
        raise Http404
    return evidence, grants[0]

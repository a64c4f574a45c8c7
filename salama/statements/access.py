"""The only way to fetch joint statements and what hangs off them.

Who sees a statement:
- the drafting organisation: every member (`statements.view`) sees its own statements;
- another organisation of the network: only once it is open for signatures (or closed or
  published), and only if it was invited, has signed, or the statement is open to the whole
  network while it takes signatures. A draft or a withdrawn statement is never shown outside.

What another organisation sees is the text, the status and the signatories. Never the linked
case, the defenders' records, the invitation list or who declined: `linked_case` answers only
to the drafting organisation's members, and then through the case's need to know.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from salama.cases.access import visible_cases
from salama.cases.models import Case
from salama.orgs.models import Membership, Organization

from .models import Invitation, JointStatement, Signature, StatementText

# The statuses in which organisations other than the drafter may see a statement.
SHARED_STATUSES = (JointStatement.Status.OPEN, JointStatement.Status.CLOSED, JointStatement.Status.PUBLISHED)


def _uuid(value: Any) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise Http404 from None


def own_statements(membership: Membership, status: str = "") -> QuerySet[JointStatement]:
    queryset = JointStatement.objects.filter(organization_id=membership.organization_id)
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-created_at")


def others_statements(membership: Membership) -> QuerySet[JointStatement]:
    """Other organisations' statements this organisation may read: the "to sign" side."""
    org_id = membership.organization_id
    invited = Invitation.objects.filter(statement=OuterRef("pk"), organization_id=org_id)
    signed = Signature.objects.filter(statement=OuterRef("pk"), organization_id=org_id)
    reachable = Q(Exists(invited)) | Q(Exists(signed)) | Q(open_to_network=True, status=JointStatement.Status.OPEN)
    return (
        JointStatement.objects.exclude(organization_id=org_id)
        .filter(status__in=SHARED_STATUSES)
        .filter(reachable)
        .select_related("organization")
        .order_by("-opened_at", "-created_at")
    )


def visible_statements(membership: Membership) -> QuerySet[JointStatement]:
    """Every statement this member may read: the single place cross-organisation access is decided."""
    others = others_statements(membership).values("pk")
    return JointStatement.objects.filter(
        Q(organization_id=membership.organization_id) | Q(pk__in=others)
    ).select_related("organization")


def access_statement(membership: Membership, statement_id: Any) -> JointStatement:
    """The statement, or 404 for a missing one and one this organisation may not read alike."""
    statement = visible_statements(membership).filter(pk=_uuid(statement_id)).first()
    if statement is None:
        raise Http404
    return statement


def is_drafter(membership: Membership, statement: JointStatement) -> bool:
    return statement.organization_id == membership.organization_id


def texts_of(statement: JointStatement) -> QuerySet[StatementText]:
    return StatementText.objects.filter(statement=statement, organization_id=statement.organization_id).order_by(
        "language"
    )


def text_in(statement: JointStatement, language: str) -> StatementText | None:
    return texts_of(statement).filter(language=language).first()


def signatures_of(statement: JointStatement) -> list[Signature]:
    """Every signature in the order the statement lists them: the drafting organisation first,
    then alphabetically by the name each organisation chose (case-insensitive)."""
    signatures = Signature.objects.filter(statement=statement).select_related("statement", "organization")
    return in_listing_order(signatures, statement.organization_id)


def in_listing_order(signatures: Iterable[Signature], drafter_id: Any) -> list[Signature]:
    """Drafter first, then by chosen name ignoring case; the id settles equal names, so the
    order never depends on the order rows come back in."""
    return sorted(signatures, key=lambda s: (s.organization_id != drafter_id, s.display_name.casefold(), s.pk))


def signatories_of(statement: JointStatement) -> list[Signature]:
    """The signatures on the current text: those the published statement lists."""
    return [signature for signature in signatures_of(statement) if signature.current]


def signature_of(statement: JointStatement, organization_id: Any) -> Signature | None:
    return Signature.objects.filter(statement=statement, organization_id=organization_id).first()


def invitation_of(statement: JointStatement, organization_id: Any) -> Invitation | None:
    return Invitation.objects.filter(statement=statement, organization_id=organization_id).first()


def invitations_of(membership: Membership, statement: JointStatement) -> QuerySet[Invitation]:
    """Who was asked and what they answered: the drafting organisation's business only."""
    if not is_drafter(membership, statement):
        return Invitation.objects.none()
    return Invitation.objects.filter(statement=statement).select_related("organization").order_by("organization__name")


def linked_case(membership: Membership, statement: JointStatement) -> Case | None:
    """The linked case, for the drafting organisation's members who may see it; None for anyone
    else (another organisation never learns a case exists)."""
    if statement.case_id is None or not is_drafter(membership, statement):
        return None
    return visible_cases(membership).filter(pk=statement.case_id).first()


def invitable_organizations(statement: JointStatement) -> QuerySet[Organization]:
    """Organisations of the network not yet invited: every one but the drafter."""
    invited = Invitation.objects.filter(statement=statement).values("organization_id")
    return Organization.objects.exclude(pk=statement.organization_id).exclude(pk__in=invited).order_by("name")


def public_statement(statement_id: Any) -> JointStatement:
    """A published statement its drafter chose to put on a public page; anything else is 404."""
    statement = (
        JointStatement.objects.filter(pk=_uuid(statement_id), status=JointStatement.Status.PUBLISHED, public_page=True)
        .select_related("organization")
        .first()
    )
    if statement is None:
        raise Http404
    return statement

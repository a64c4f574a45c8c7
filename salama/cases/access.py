"""The only way to fetch cases, their notes and their timeline.

Need to know (ARCHITECTURE.md rule 5): roles in `TEAM_ONLY_ROLES` see only the cases whose team
they are on; the other roles see every case of their organisation. A case that is missing, in
another organisation or outside a person's need to know is the same 404, so a reference cannot
be probed.

Another organisation sees a case only through an active sharing grant (`salama.sharing`), in its
own URL space and within the grant's scope: `access_shared_case` is the partner's single door,
and `access_case` never opens for a partner, so nothing written through it can reach a shared
case.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models import Exists, OuterRef, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone

from salama.accounts.models import User
from salama.core.paging import KeySource, merged_keys
from salama.core.permissions import LEADS, TEAM_ONLY_ROLES
from salama.defenders.models import Consent
from salama.orgs.models import Membership, Organization
from salama.sharing.models import VIEW, SharingGrant, scope_allows
from salama.vocab.access import access_vocabulary, terms_of
from salama.vocab.models import Term

from .models import Case, CaseNote, CountryListKey, TimelineEvent

# What a person can ask to reveal: the encrypted summary and the encrypted notes.
SUMMARY = "summary"
NOTES = "notes"
REVEALABLE = (SUMMARY, NOTES)

PRIORITY_RANK = {p: rank for rank, p in enumerate(Case.Priority.values)}  # urgent first
STATUS_RANK = {s: rank for rank, s in enumerate(Case.Status.values)}  # workflow order
# Tags come from a controlled vocabulary, never free text, so they can be counted across cases.
TAGS_VOCABULARY = "violation-types"
SORTS = ("opened", "-opened", "priority", "-priority", "status", "-status")


@dataclass(frozen=True)
class CaseFilters:
    status: str = ""
    priority: str = ""
    country: str = ""  # a defender's country
    sector: Term | None = None  # a defender's sector of work
    member: User | None = None  # on the case team
    tag: Term | None = None
    opened_from: date | None = None
    opened_to: date | None = None
    sort: str = "-opened"


def _rank(field: str, ranks: dict[str, int]) -> models.Case:
    return models.Case(
        *[When(**{field: value}, then=Value(rank)) for value, rank in ranks.items()],
        default=Value(len(ranks)),
        output_field=models.IntegerField(),
    )


def visible_cases(membership: Membership) -> QuerySet[Case]:
    """Every case this member may know of: the single place need to know is decided."""
    queryset = Case.objects.filter(organization_id=membership.organization_id)
    if membership.role in TEAM_ONLY_ROLES:
        queryset = queryset.filter(team=membership.user_id)
    return queryset


def cases_for(membership: Membership, filters: CaseFilters | None = None) -> QuerySet[Case]:
    filters = filters or CaseFilters()
    queryset = visible_cases(membership)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.priority:
        queryset = queryset.filter(priority=filters.priority)
    # Each many-to-many condition is a subquery, so several never multiply the rows.
    if filters.country:
        # From the defenders' side: their (organisation, country) index finds the few, and the
        # link table gives their cases; from the cases' side every defender would be read.
        on_cases = Case.defenders.through.objects.filter(
            defender__organization_id=membership.organization_id, defender__country=filters.country
        )
        queryset = queryset.filter(pk__in=on_cases.values("case_id"))
    if filters.sector is not None:
        on_cases = Case.defenders.through.objects.filter(
            defender__organization_id=membership.organization_id, defender__sectors=filters.sector
        )
        queryset = queryset.filter(pk__in=on_cases.values("case_id"))
    if filters.member is not None:
        queryset = queryset.filter(pk__in=Case.objects.filter(team=filters.member).values("pk"))
    if filters.tag is not None:
        queryset = queryset.filter(pk__in=Case.objects.filter(tags=filters.tag).values("pk"))
    if filters.opened_from:
        queryset = queryset.filter(opened_on__gte=filters.opened_from)
    if filters.opened_to:
        queryset = queryset.filter(opened_on__lte=filters.opened_to)
    queryset = queryset.annotate(
        priority_rank=_rank("priority", PRIORITY_RANK), status_rank=_rank("status", STATUS_RANK)
    )
    sort = filters.sort if filters.sort in SORTS else "-opened"
    descending = sort.startswith("-")
    column = {"opened": "opened_on", "priority": "priority_rank", "status": "status_rank"}[sort.lstrip("-")]
    return queryset.prefetch_related("defenders", "team").order_by(
        f"-{column}" if descending else column, "-opened_on", "reference"
    )


def case_list_keys(membership: Membership, filters: CaseFilters) -> KeySource | None:
    """The filtered list's keys in its order, read off the country list keys, when a country is
    the only filter, the order is the default one and the member sees every case of the
    organisation: one range of an index instead of looking up and sorting every case of that
    country. None otherwise, and the list finds its keys itself (salama.core.paging)."""
    if not filters.country or membership.role in TEAM_ONLY_ROLES:
        return None
    if replace(filters, country="") != CaseFilters():
        return None
    keys = CountryListKey.objects.filter(organization_id=membership.organization_id, country=filters.country)
    return merged_keys([keys], "case_id", ("-opened_on", "reference"))


def access_case(user: Any, org: Organization, case_id: Any) -> Case:
    """The case, or 404 for missing, another organisation's, and not on this person's team."""
    membership = Membership.objects.filter(user=user, organization=org).first() if user is not None else None
    if membership is None:
        raise Http404
    try:
        UUID(str(case_id))
    except ValueError:
        raise Http404 from None
    case = visible_cases(membership).filter(pk=case_id).first()
    if case is None:
        raise Http404
    return case


def active_grants() -> QuerySet[SharingGrant]:
    """Grants in effect now: not revoked, not expired, and every defender of the case still
    consents to sharing with the partner. Decided per query, so a withdrawn consent, a defender
    added without consent, or an expiry all take effect on the very next request."""
    consenting = Consent.objects.filter(
        defender_id=OuterRef("defender_id"),
        scope=Consent.Scope.SHARE_WITH_ORGANISATION,
        organization_id=OuterRef(OuterRef("to_organization_id")),
        withdrawn_on__isnull=True,
    )
    lacking = Case.defenders.through.objects.filter(case_id=OuterRef("case_id")).filter(~Exists(consenting))
    return SharingGrant.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).filter(~Exists(lacking))


def grants_for(membership: Membership) -> QuerySet[SharingGrant]:
    """The active grants a partner member benefits from: the partner's admins and coordinators,
    and anyone the sharing organisation named as a recipient."""
    queryset = active_grants().filter(to_organization_id=membership.organization_id)
    if membership.role not in LEADS:
        queryset = queryset.filter(recipients=membership.user_id)
    return queryset


def shared_cases(membership: Membership) -> QuerySet[Case]:
    return (
        Case.objects.filter(pk__in=grants_for(membership).values("case_id"))
        .exclude(organization_id=membership.organization_id)
        .select_related("organization")
        .order_by("-opened_on", "reference")
    )


def access_shared_case(
    user: Any, org: Organization, case_id: Any, capability: str = VIEW
) -> tuple[Case, list[SharingGrant]]:
    """A case shared with `org`, and the grants that allow `capability` on it; 404 for a case
    never shared, a grant revoked or expired, consent withdrawn, or a capability outside scope."""
    membership = Membership.objects.filter(user=user, organization=org).first() if user is not None else None
    if membership is None:
        raise Http404
    try:
        UUID(str(case_id))
    except ValueError:
        raise Http404 from None
    grants = [
        grant
        for grant in grants_for(membership).filter(case_id=case_id).select_related("case", "from_organization")
        if scope_allows(grant.scope, capability)
    ]
    if not grants or grants[0].case.organization_id == membership.organization_id:
        raise Http404
    return grants[0].case, grants


def notes_of(case: Case) -> QuerySet[CaseNote]:
    return CaseNote.objects.filter(case=case, organization_id=case.organization_id).select_related("author")


def timeline_of(case: Case) -> QuerySet[TimelineEvent]:
    return TimelineEvent.objects.filter(case=case).select_related("actor").order_by("-occurred_at", "-pk")


def team_candidates(org: Organization) -> QuerySet[Membership]:
    """Who may be put on a case team: members of the case's own organisation."""
    return Membership.objects.filter(organization=org).select_related("user").order_by("user__display_name")


def tag_terms() -> QuerySet[Term]:
    """The active tag terms; none when the vocabulary is not loaded yet."""
    try:
        return terms_of(access_vocabulary(TAGS_VOCABULARY))
    except Http404:
        return Term.objects.none()


def require_visible_case(membership: Membership, case: Case) -> None:
    """Actions check need to know again, so no caller can act on a case its actor may not see."""
    if not visible_cases(membership).filter(pk=case.pk).exists():
        raise Http404

"""The only way to fetch cases, their notes and their timeline.

Need to know (ARCHITECTURE.md rule 5): roles in `TEAM_ONLY_ROLES` see only the cases whose team
they are on; the other roles see every case of their organisation. A case that is missing, in
another organisation or outside a person's need to know is the same 404, so a reference cannot
be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db import models
from django.db.models import QuerySet, Value, When
from django.http import Http404

from salama.accounts.models import User
from salama.core.permissions import TEAM_ONLY_ROLES
from salama.orgs.models import Membership, Organization
from salama.vocab.access import access_vocabulary, terms_of
from salama.vocab.models import Term

from .models import Case, CaseNote, TimelineEvent

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
        queryset = queryset.filter(pk__in=Case.objects.filter(defenders__country=filters.country).values("pk"))
    if filters.sector is not None:
        queryset = queryset.filter(pk__in=Case.objects.filter(defenders__sectors=filters.sector).values("pk"))
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

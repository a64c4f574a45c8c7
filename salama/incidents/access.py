"""The only way to fetch incidents and the terms they are coded with.

Need to know goes through the case: an incident is seen by whoever may see its case
(`salama.cases.access`), and missing, another organisation's and not-yours are the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from salama.cases.access import access_case, access_shared_case, visible_cases
from salama.cases.models import Case
from salama.core.encryption import EncryptedField, with_presence
from salama.core.paging import KeySource, merged_keys
from salama.core.permissions import TEAM_ONLY_ROLES
from salama.orgs.models import Membership, Organization
from salama.sharing.models import INCIDENTS, SharingGrant
from salama.vocab.models import Term

from .models import (
    INVOLVEMENT,
    PERPETRATOR_TYPES,
    SOURCE_RELIABILITY,
    VICTIM_STATUS,
    VIOLATION_TYPES,
    Act,
    Incident,
    IncidentLink,
    Perpetrator,
    ViolationListKey,
)

ENCRYPTED_FIELDS = tuple(f.name for f in Incident._meta.concrete_fields if isinstance(f, EncryptedField))


@dataclass(frozen=True)
class IncidentFilters:
    violation: Term | None = None  # rolled up: the term and every narrower one
    perpetrator_type: Term | None = None  # rolled up the same way
    country: str = ""
    date_from: date | None = None
    date_to: date | None = None


def terms_in(vocabulary_code: str) -> QuerySet[Term]:
    """Active terms of one vocabulary in reading order; none when it is not loaded."""
    return (
        Term.objects.active().filter(vocabulary__code=vocabulary_code).select_related("vocabulary").order_by("position")
    )


def violation_terms() -> QuerySet[Term]:
    return terms_in(VIOLATION_TYPES)


def perpetrator_terms() -> QuerySet[Term]:
    return terms_in(PERPETRATOR_TYPES)


def involvement_terms() -> QuerySet[Term]:
    return terms_in(INVOLVEMENT)


def reliability_terms() -> QuerySet[Term]:
    return terms_in(SOURCE_RELIABILITY)


def status_terms() -> QuerySet[Term]:
    return terms_in(VICTIM_STATUS)


def _with_presence(queryset: QuerySet[Incident]) -> QuerySet[Incident]:
    return with_presence(queryset, ENCRYPTED_FIELDS)


def _rolled_up(term: Term) -> list[Any]:
    """The term and all narrower terms: one prefix query on the materialised path. Their ids
    are read first (a handful), so the incident filter is a plain lookup on the acts' or
    perpetrators' index rather than a join through the vocabulary for every row."""
    return list(
        Term.objects.filter(vocabulary_id=term.vocabulary_id, path__startswith=term.path).values_list("pk", flat=True)
    )


def _overlapping(org_id: Any, date_from: date | None, date_to: date | None) -> Q:
    """Incidents whose date, or period, overlaps the range: they start on or before its end,
    and start, or end, on or after its beginning.

    Written as one range of the list's own index, (organisation, date_start), so that a page
    walks it newest first and stops after 25 rows, and a count stops at the cap: the range
    reaches back only as far as the earliest period that is still running at `date_from`
    (found in the (organisation, date_end, date_start) index), not to the oldest incident."""
    overlapping = Q()
    if date_to:
        overlapping &= Q(date_start__lte=date_to)
    if not date_from:
        return overlapping
    # Coalesce: with a bare MIN(date_start) SQLite walks the list index from the oldest row
    # hoping to meet a match early, seconds on a large organisation; the expression makes it
    # read the date_end index, which holds the answer.
    running = Incident.objects.filter(organization_id=org_id, date_end__gte=date_from)
    earliest = running.aggregate(start=Min(Coalesce("date_start", "date_start")))["start"]
    reach = min(date_from, earliest) if earliest else date_from
    return overlapping & Q(date_start__gte=reach) & (Q(date_start__gte=date_from) | Q(date_end__gte=date_from))


def incidents_for(membership: Membership, filters: IncidentFilters | None = None) -> QuerySet[Incident]:
    """Incidents of the cases this member may see, newest first."""
    filters = filters or IncidentFilters()
    queryset = Incident.objects.filter(organization_id=membership.organization_id)
    if membership.role in TEAM_ONLY_ROLES:
        # Only they are limited to some cases; for everyone else the subquery would stop the
        # database from walking the (organisation, date) index and make it sort every incident.
        queryset = queryset.filter(case__in=visible_cases(membership).values("pk"))
    # Each condition on a related row is a subquery, so an incident with several matching
    # acts is listed once.
    if filters.violation is not None:
        acts = Act.objects.filter(violation_id__in=_rolled_up(filters.violation))
        queryset = queryset.filter(pk__in=acts.values("incident_id"))
    if filters.perpetrator_type is not None:
        perpetrators = Perpetrator.objects.filter(type_id__in=_rolled_up(filters.perpetrator_type))
        queryset = queryset.filter(pk__in=perpetrators.values("incident_id"))
    if filters.country:
        queryset = queryset.filter(country=filters.country)
    if filters.date_from or filters.date_to:
        queryset = queryset.filter(_overlapping(membership.organization_id, filters.date_from, filters.date_to))
    # Every key in the same direction, so that incident_list_idx gives the order without a sort.
    return _with_presence(queryset).select_related("case").order_by("-date_start", "-created_at", "-pk")


def incident_list_keys(membership: Membership, filters: IncidentFilters) -> KeySource | None:
    """The filtered list's keys in its order, read off the violation list keys, when a violation
    is the only filter and the member sees every incident of the organisation: one range of an
    index instead of looking up and sorting every incident with that violation. None otherwise,
    and the list finds its keys itself (salama.core.paging)."""
    if filters.violation is None or membership.role in TEAM_ONLY_ROLES:
        return None
    if replace(filters, violation=None) != IncidentFilters():
        return None
    keys = ViolationListKey.objects.filter(organization_id=membership.organization_id)
    parts = [keys.filter(violation_id=term_id) for term_id in _rolled_up(filters.violation)]
    return merged_keys(parts, "incident_id", ("-date_start", "-created_at", "-incident_id"))


def incidents_of_case(case: Case) -> QuerySet[Incident]:
    return _with_presence(Incident.objects.filter(case=case, organization_id=case.organization_id)).order_by(
        "-date_start", "-created_at", "pk"
    )


def access_incident(membership: Membership, incident_id: Any, case: Case | None = None) -> Incident:
    """The incident, through its case; with `case`, it must also belong to that case."""
    try:
        UUID(str(incident_id))
    except ValueError:
        raise Http404 from None
    incident = (
        _with_presence(Incident.objects.filter(pk=incident_id, organization_id=membership.organization_id))
        .select_related("case")
        .first()
    )
    if incident is None or (case is not None and incident.case_id != case.pk):
        raise Http404
    access_case(membership.user, membership.organization, incident.case_id)
    return incident


def links_of(incident: Incident) -> QuerySet[IncidentLink]:
    return IncidentLink.objects.filter(Q(from_incident=incident) | Q(to_incident=incident)).select_related(
        "from_incident", "to_incident"
    )


def access_shared_incident(
    user: Any, org: Organization, case_id: Any, incident_id: Any
) -> tuple[Incident, SharingGrant]:
    """A partner's view of an incident of a shared case: 404 unless a grant in effect covers
    incidents (salama.sharing.models.SCOPE_CAPABILITIES)."""
    case, grants = access_shared_case(user, org, case_id, INCIDENTS)
    try:
        UUID(str(incident_id))
    except ValueError:
        raise Http404 from None
    incident = incidents_of_case(case).filter(pk=incident_id).first()
    if incident is None:
        raise Http404
    return incident, grants[0]

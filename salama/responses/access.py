"""The only way to read responses, their steps and lessons.

Need to know comes from the case: a member sees a response when they may see its case
(`salama.cases.access.visible_cases`), and a response outside it is the same 404 as a missing
one. Lessons are read through `salama.responses.learning.readable_lessons`: the organisation's
own and those shared with the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from salama.cases.access import visible_cases
from salama.cases.models import Case
from salama.incidents.models import Act
from salama.orgs.models import Membership, Organization

from .learning import readable_lessons
from .models import GrantDetail, Lesson, Response, ResponseStep

# What a person can ask to reveal, per detail model: the encrypted fields. The response's own
# outcome notes and the steps' notes are revealed with them.
OUTCOME_NOTES = "outcome_notes"
STEP_NOTES = "step_notes"


@dataclass(frozen=True)
class ResponseFilters:
    kind: str = ""
    status: str = ""
    overdue_reports: bool = False


@dataclass(frozen=True)
class LessonFilters:
    country: str = ""
    sector: str = ""  # a term code of the sectors vocabulary
    threat: str = ""  # a term code of the violation-types vocabulary
    kind: str = ""
    actor: str = ""  # a protection actor's slug
    text: str = ""
    own_only: bool = False


def _membership(user: Any, org: Organization) -> Membership:
    membership = Membership.objects.filter(user=user, organization=org).first() if user is not None else None
    if membership is None:
        raise Http404
    return membership


def visible_responses(membership: Membership) -> QuerySet[Response]:
    return Response.objects.filter(
        organization_id=membership.organization_id, case__in=visible_cases(membership).values("pk")
    )


def overdue_report_responses() -> QuerySet[GrantDetail]:
    """Grant details whose report is due before today and not yet received."""
    return GrantDetail.objects.filter(report_due_on__lt=timezone.localdate(), report_received_on__isnull=True)


def responses_for(membership: Membership, filters: ResponseFilters | None = None) -> QuerySet[Response]:
    filters = filters or ResponseFilters()
    queryset = visible_responses(membership)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.status:
        queryset = queryset.filter(status=filters.status)
    if filters.overdue_reports:
        queryset = queryset.filter(pk__in=overdue_report_responses().values("response_id"))
    return queryset.select_related("case", "owner", "actor").order_by("-created_at")


def responses_of_case(case: Case) -> QuerySet[Response]:
    return (
        Response.objects.filter(case=case, organization_id=case.organization_id)
        .select_related("owner", "actor")
        .order_by("-created_at")
    )


def access_response(user: Any, org: Organization, response_id: Any) -> Response:
    """The response, or 404 for missing, another organisation's, and outside need to know."""
    membership = _membership(user, org)
    try:
        UUID(str(response_id))
    except ValueError:
        raise Http404 from None
    response = visible_responses(membership).filter(pk=response_id).select_related("case", "owner", "actor").first()
    if response is None:
        raise Http404
    return response


def steps_of(response: Response) -> QuerySet[ResponseStep]:
    return ResponseStep.objects.filter(response=response, organization_id=response.organization_id)


def access_step(response: Response, step_id: Any) -> ResponseStep:
    try:
        UUID(str(step_id))
    except ValueError:
        raise Http404 from None
    step = steps_of(response).filter(pk=step_id).first()
    if step is None:
        raise Http404
    return step


def require_visible_response(membership: Membership, response: Response) -> None:
    if not visible_responses(membership).filter(pk=response.pk).exists():
        raise Http404


def lessons_for(membership: Membership, filters: LessonFilters | None = None) -> QuerySet[Lesson]:
    """Lessons the member's organisation may read, narrowed by the filters. The text search
    runs over the de-identified lesson text, which is stored in clear for this purpose."""
    filters = filters or LessonFilters()
    queryset = readable_lessons(membership.organization)
    if filters.own_only:
        queryset = queryset.filter(organization_id=membership.organization_id)
    if filters.country:
        queryset = queryset.filter(country=filters.country.upper())
    if filters.sector:
        queryset = queryset.filter(pk__in=Lesson.objects.filter(sectors__code=filters.sector).values("pk"))
    if filters.threat:
        queryset = queryset.filter(pk__in=Lesson.objects.filter(threats__code=filters.threat).values("pk"))
    if filters.kind:
        queryset = queryset.filter(response_kind=filters.kind)
    if filters.actor:
        queryset = queryset.filter(actor__slug=filters.actor)
    for word in filters.text.split()[:8]:
        queryset = queryset.filter(Q(what_worked__icontains=word) | Q(what_did_not_work__icontains=word))
    return queryset.select_related("actor", "organization").prefetch_related("sectors", "threats")


def access_own_lesson(user: Any, org: Organization, lesson_id: Any) -> Lesson:
    """One of the organisation's own lessons (what its leads may share or stop sharing)."""
    membership = _membership(user, org)
    own = lessons_for(membership, LessonFilters(own_only=True))
    lesson = own.filter(pk=lesson_id).first() if str(lesson_id).isdigit() else None
    if lesson is None:
        raise Http404
    return lesson


@dataclass(frozen=True)
class CaseContext:
    """The coded context a lesson keeps: never a name or free text from the record."""

    country: str
    sectors: tuple[Any, ...]
    threats: tuple[Any, ...]


def case_context(case: Case) -> CaseContext:
    defenders = list(case.defenders.all().prefetch_related("sectors"))
    countries = [str(d.country) for d in defenders if d.country]
    sectors = {term.pk: term for d in defenders for term in d.sectors.all()}
    acts = Act.objects.filter(incident__case=case).select_related("violation")
    threats = {act.violation.pk: act.violation for act in acts}
    if not countries:
        countries = [str(c) for c in case.incidents.exclude(country="").values_list("country", flat=True)]
    return CaseContext(
        country=countries[0] if countries else "",
        sectors=tuple(sectors.values()),
        threats=tuple(threats.values()),
    )

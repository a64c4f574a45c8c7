"""What the network learnt: lessons an organisation may read, and actors' track records.

An organisation reads its own lessons and those other organisations chose to share with the
network (`Lesson.shared_with_network`); never another organisation's unshared lesson. The
directory's referral suggestions call `track_records` to say, for instance, that an actor
"worked in 3 of 4 earlier responses in Colombia".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from .models import DID_NOT_WORK, WORKED, Lesson


@dataclass(frozen=True)
class TrackRecord:
    actor_slug: str
    worked: int  # closed responses with this actor judged to have worked (fully or partly)
    did_not_work: int
    lesson_ids: tuple[int, ...]


def readable_lessons(organization: Any) -> QuerySet[Lesson]:
    """The organisation's own lessons and the ones others shared with the network."""
    org_id = getattr(organization, "pk", organization)
    return Lesson.objects.filter(Q(organization_id=org_id) | Q(shared_with_network=True))


def track_records(organization: Any, *, country: str, sector_codes: frozenset[str]) -> dict[str, TrackRecord]:
    """Per actor slug, what the readable lessons of `country` say about that actor.

    With `sector_codes`, a lesson counts when it concerns one of those sectors, or records no
    sector at all (a lesson about the country in general still speaks to the case).
    """
    lessons = readable_lessons(organization).filter(country=country, actor__isnull=False)
    if sector_codes:
        lessons = lessons.filter(Q(sectors__code__in=sector_codes) | Q(sectors__isnull=True))
    rows = lessons.values_list("pk", "actor__slug", "outcome").distinct().order_by("pk")
    worked: dict[str, int] = defaultdict(int)
    not_worked: dict[str, int] = defaultdict(int)
    ids: dict[str, list[int]] = defaultdict(list)
    for pk, slug, outcome in rows:
        ids[slug].append(pk)
        if outcome in WORKED:
            worked[slug] += 1
        elif outcome in DID_NOT_WORK:
            not_worked[slug] += 1
    return {
        slug: TrackRecord(
            actor_slug=slug, worked=worked[slug], did_not_work=not_worked[slug], lesson_ids=tuple(lesson_ids)
        )
        for slug, lesson_ids in ids.items()
    }

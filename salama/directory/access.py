"""The only way to read the directory. It is shared reference data: every signed-in person reads
the same entries, so there is no organisation filter; inactive entries are listed only to
platform operators (who may reactivate them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from .models import ProtectionActor


@dataclass(frozen=True)
class ActorFilters:
    offer: str = ""
    region: str = ""
    kind: str = ""
    language: str = ""


def active_actors() -> QuerySet[ProtectionActor]:
    return ProtectionActor.objects.filter(active=True)


def visible_actors(user: Any) -> QuerySet[ProtectionActor]:
    if getattr(user, "is_platform_operator", False):
        return ProtectionActor.objects.all()
    return active_actors()


def actors_for(user: Any, filters: ActorFilters | None = None) -> list[ProtectionActor]:
    """The entries a person may read, filtered. JSON lists are filtered in Python: the directory
    holds a few dozen entries, and SQLite cannot index into JSON arrays portably."""
    actors = list(visible_actors(user).order_by("name"))
    if filters is None:
        return actors
    if filters.kind:
        actors = [a for a in actors if a.kind == filters.kind]
    if filters.offer:
        actors = [a for a in actors if filters.offer in a.offers]
    if filters.region:
        # An actor with no region works worldwide, so it works in every region too.
        actors = [a for a in actors if not a.regions or filters.region in a.regions]
    if filters.language:
        actors = [a for a in actors if filters.language in a.languages]
    return actors


def access_actor(user: Any, slug: str) -> ProtectionActor:
    actor = visible_actors(user).filter(slug=slug).first()
    if actor is None:
        raise Http404
    return actor

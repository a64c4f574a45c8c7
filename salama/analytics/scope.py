"""Whose records an aggregate counts.

A member counts their own organisation's incidents. With the network level, the counts also take
in every organisation that opted in (`AggregateSharing`): only counts cross organisations, never
a row, and those counts are shown with small cells suppressed (`salama.analytics.views`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from salama.core.permissions import require
from salama.orgs.models import Membership

from .models import AggregateSharing


@dataclass(frozen=True)
class Scope:
    organization_ids: frozenset[Any]
    network: bool = False

    def __post_init__(self) -> None:
        if not self.organization_ids:
            raise ValueError("a scope counts at least one organisation")


def opted_in_organization_ids() -> frozenset[Any]:
    return frozenset(AggregateSharing.objects.filter(opted_in=True).values_list("organization_id", flat=True))


def scope_for(membership: Membership, network: bool = False) -> Scope:
    """The member's organisation; with `network`, also every organisation that opted in."""
    require(membership, "analytics.view")
    own = frozenset({membership.organization_id})
    if not network:
        return Scope(own)
    return Scope(own | opted_in_organization_ids(), network=True)


def is_opted_in(organization: Any) -> bool:
    return AggregateSharing.objects.filter(organization=organization, opted_in=True).exists()

"""Data quality: how much of what the analysis counts is unknown, probably doubled, or thinly sourced.

Three readings of one organisation's incidents:

* `unknown_shares`: per field, the share of units whose value is unknown or unspecified (counts
  only, like every aggregate);
* `probable_duplicates`: groups of incidents with the same date, the same place (country and
  region) and the same victim defender. These are rows, so only incidents the member may see
  are compared: a group never reveals an incident outside their need to know;
* `source_coverage`: sources by kind and reliability, and how many incidents have none.

docs/analytics.md ("Data quality") says what counts as unknown for each field and why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Exists, OuterRef, QuerySet
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from salama.defenders.models import Defender
from salama.incidents.access import incidents_for
from salama.incidents.models import Act, Incident, Perpetrator, Source, Victim
from salama.orgs.models import Membership

UNKNOWN_PERPETRATOR = "unknown"
UNSPECIFIED_VIOLATION = "other"
UNKNOWN_GENDERS = (Defender.Gender.UNKNOWN,)
IMPRECISE_DATES = (Incident.Precision.YEAR, Incident.Precision.ESTIMATED)


@dataclass(frozen=True)
class FieldQuality:
    field: str
    label: Promise | str
    unit: str  # "incidents" or "victims"
    unknown: int
    total: int

    @property
    def share(self) -> float:
        return self.unknown / self.total if self.total else 0.0

    @property
    def percent(self) -> str:
        return f"{100 * self.share:.1f}"


@dataclass(frozen=True)
class DuplicateGroup:
    on: date
    country: str
    admin_area: str
    incidents: tuple[Incident, ...]


@dataclass(frozen=True)
class Coverage:
    kinds: tuple[tuple[str, Any], ...]  # (code, label)
    reliabilities: tuple[tuple[Any, str], ...]  # (term pk, label)
    counts: dict[tuple[str, Any], int]
    incidents: int
    incidents_without_source: int


def unknown_shares(organization_id: Any) -> list[FieldQuality]:
    """Shares of unknown or unspecified values, field by field, over all of the organisation's
    incidents (victims for gender)."""
    incidents = Incident.objects.filter(organization_id=organization_id)
    total = incidents.count()
    in_org = {"incident__organization_id": organization_id}
    with_sector = Victim.objects.filter(**in_org, defender__sectors__isnull=False, incident=OuterRef("pk"))
    known_perpetrator = Perpetrator.objects.filter(incident=OuterRef("pk")).exclude(type__code=UNKNOWN_PERPETRATOR)
    specified_act = Act.objects.filter(incident=OuterRef("pk")).exclude(violation__code=UNSPECIFIED_VIOLATION)
    victims = Victim.objects.filter(**in_org)
    return [
        FieldQuality("country", _("Country"), "incidents", incidents.filter(country="").count(), total),
        FieldQuality("sector", _("Sector of work"), "incidents", incidents.exclude(Exists(with_sector)).count(), total),
        FieldQuality(
            "perpetrator_type",
            _("Type of perpetrator"),
            "incidents",
            incidents.exclude(Exists(known_perpetrator)).count(),
            total,
        ),
        FieldQuality("violation", _("Violation"), "incidents", incidents.exclude(Exists(specified_act)).count(), total),
        FieldQuality(
            "gender",
            _("Gender of the victim"),
            "victims",
            victims.filter(defender__isnull=True).count()
            + victims.filter(defender__gender__in=UNKNOWN_GENDERS).count(),
            victims.count(),
        ),
        FieldQuality(
            "date_precision",
            _("Date (only the year, or estimated)"),
            "incidents",
            incidents.filter(date_precision__in=IMPRECISE_DATES).count(),
            total,
        ),
    ]


def probable_duplicates(membership: Membership, limit: int = 100) -> list[DuplicateGroup]:
    """Groups of at least two incidents the member may see with the same date, country, region
    and victim defender; newest first."""
    visible: QuerySet[Incident] = incidents_for(membership)
    named = Victim.objects.filter(incident__in=visible.values("pk"), defender__isnull=False)
    keys = (
        named.values("incident__date_start", "incident__country", "incident__admin_area", "defender_id")
        .annotate(n=Count("incident_id", distinct=True))
        .filter(n__gt=1)
        .order_by("-incident__date_start")[:limit]
    )
    groups: dict[tuple[Any, ...], set[Any]] = defaultdict(set)
    for key in keys:
        group = (key["incident__date_start"], key["incident__country"], key["incident__admin_area"])
        members = named.filter(
            incident__date_start=group[0],
            incident__country=group[1],
            incident__admin_area=group[2],
            defender_id=key["defender_id"],
        )
        groups[group].update(members.values_list("incident_id", flat=True))
    by_pk = visible.in_bulk({pk for pks in groups.values() for pk in pks})
    found = [
        DuplicateGroup(
            on, country, area, tuple(sorted((by_pk[pk] for pk in pks if pk in by_pk), key=lambda i: str(i.pk)))
        )
        for (on, country, area), pks in groups.items()
    ]
    return sorted(found, key=lambda group: (group.on, group.country, group.admin_area), reverse=True)


def source_coverage(organization_id: Any) -> Coverage:
    from salama.incidents.access import reliability_terms

    sources = Source.objects.filter(organization_id=organization_id, incident__organization_id=organization_id)
    counts = {
        (row["kind"], row["reliability_id"]): row["n"]
        for row in sources.values("kind", "reliability_id").annotate(n=Count("pk")).order_by()
    }
    incidents = Incident.objects.filter(organization_id=organization_id)
    without = incidents.exclude(Exists(Source.objects.filter(incident=OuterRef("pk")))).count()
    terms = [(term.pk, str(term.label())) for term in reliability_terms()]
    used = {reliability for _kind, reliability in counts}
    known = {pk for pk, _label in terms}
    # A retired reliability term still counts: listed after the active ones.
    terms += [(pk, str(_("(retired term)"))) for pk in sorted(used - known)]
    return Coverage(
        kinds=tuple(Source.Kind.choices),
        reliabilities=tuple(terms),
        counts=counts,
        incidents=incidents.count(),
        incidents_without_source=without,
    )

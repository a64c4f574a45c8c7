"""The realistic generator writes the shapes it promises, the same way for the same seed."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.db.models import Count

from salama.analytics.generator import generate_incidents

TODAY = date(2026, 11, 15)


@pytest.fixture
def vocabularies(db: None) -> None:
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()


def shares(org: Any) -> dict[str, float]:
    from salama.incidents.models import Incident, Perpetrator, Victim

    incidents = Incident.objects.filter(organization=org)
    total = incidents.count()
    with_sector = Victim.objects.filter(incident__organization=org, defender__sectors__isnull=False)
    unconfirmed = incidents.exclude(pk__in=with_sector.values("incident_id")).count()
    unknown = Perpetrator.objects.filter(incident__organization=org, type__code="unknown").count()
    multi = incidents.annotate(n=Count("victims")).filter(n__gt=1).count()
    late = sum(1 for i in incidents.only("date_start", "created_at") if i.created_at.year > i.date_start.year)
    return {
        "unconfirmed": unconfirmed / total,
        "unknown": unknown / total,
        "multi": multi / total,
        "late": late / total,
    }


def test_the_generated_incidents_have_the_promised_shape(cast: Any, vocabularies: None):
    from salama.incidents.models import Act, Incident

    written = generate_incidents(cast.org_a, 1500, seed=11, today=TODAY)
    assert Incident.objects.filter(organization=cast.org_a).count() == 1500 == written.incidents
    assert Act.objects.filter(incident__organization=cast.org_a).count() == written.acts >= 1500
    measured = shares(cast.org_a)
    assert 0.38 <= measured["unconfirmed"] <= 0.6
    assert 0.28 <= measured["unknown"] <= 0.39
    assert 0.18 <= measured["multi"] <= 0.32
    assert measured["late"] > 0.08  # recorded in a later year than they happened: revisions
    by_country = list(
        Incident.objects.filter(organization=cast.org_a).values("country").annotate(n=Count("pk")).order_by("-n")
    )
    assert by_country[0]["n"] > 4 * by_country[len(by_country) // 2]["n"]  # Zipf-like skew
    assert written.duplicates > 0
    assert not Incident.objects.filter(organization=cast.org_b).exists()


def test_the_same_seed_writes_the_same_rows(cast: Any, vocabularies: None):
    from salama.incidents.models import Incident

    generate_incidents(cast.org_a, 200, seed=5, today=TODAY)
    first = list(Incident.objects.filter(organization=cast.org_a).order_by("pk").values_list("date_start", "country"))
    Incident.objects.filter(organization=cast.org_a).delete()
    from salama.cases.models import Case
    from salama.defenders.models import Defender

    Case.objects.filter(organization=cast.org_a).delete()
    Defender.objects.filter(organization=cast.org_a).delete()
    generate_incidents(cast.org_a, 200, seed=5, today=TODAY)
    again = list(Incident.objects.filter(organization=cast.org_a).order_by("pk").values_list("date_start", "country"))
    assert first == again

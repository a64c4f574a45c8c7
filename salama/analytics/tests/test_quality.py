"""Data quality on a fixture whose unknowns, duplicates and sources are known by hand.

Organisation A:
  i1 2026-01-10 CO / Area 1: victim D1 (woman, journalism); killing; state actors; exact date;
     a media source, highly reliable. On a case of a_caseworker_team's team.
  i2 the same day, place and victim (a probable duplicate of i1): only an "other" act; unknown
     perpetrator; only the year known; no source. Same case.
  i3 no country: a victim who is not a defender; threats; no perpetrator; estimated date; a
     witness, uncertain.
  i4 KE: victim D2 (gender not known, no sector); physical attack; non-state actors; a media
     source, highly reliable.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from salama.analytics import quality
from salama.analytics.tests import warning_fixtures as make


@pytest.fixture
def incidents(cast: Any) -> dict[str, Any]:
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    d1 = make.defender(cast.org_a, country="CO", sectors=("journalism-expression",))
    d2 = make.defender(cast.org_a, country="KE", gender="unknown")
    on_team = make.case(cast.org_a, [d1], team=[cast.a_caseworker_team])
    other = make.case(cast.org_a, [d2])
    day = date(2026, 1, 10)
    good = (("media", "highly-reliable"),)
    found = {
        "i1": make.incident(
            on_team,
            day,
            area="Area 1",
            victims=[d1],
            violations=("killing",),
            perpetrators=("state-actors",),
            sources=good,
        ),
        "i2": make.incident(
            on_team,
            day,
            area="Area 1",
            victims=[d1],
            violations=("other",),
            perpetrators=("unknown",),
            precision="year",
        ),
        "i3": make.incident(
            other,
            date(2026, 2, 1),
            country="",
            victims=[None],
            violations=("threats-harassment",),
            precision="estimated",
            sources=(("witness", "uncertain"),),
        ),
        "i4": make.incident(
            other,
            date(2026, 3, 1),
            country="KE",
            victims=[d2],
            violations=("physical-attack",),
            perpetrators=("non-state-actors",),
            sources=good,
        ),
    }
    # Organisation B's own unknowns never enter A's shares.
    b_case = make.case(cast.org_b, [make.defender(cast.org_b)])
    make.incident(b_case, day, country="", victims=[None], violations=("other",))
    return found


def test_unknown_shares_per_field(cast, incidents):
    shares = {item.field: (item.unknown, item.total) for item in quality.unknown_shares(cast.org_a.pk)}
    assert shares == {
        "country": (1, 4),
        "sector": (2, 4),
        "perpetrator_type": (2, 4),
        "violation": (1, 4),
        "gender": (2, 4),
        "date_precision": (2, 4),
    }


def test_probable_duplicates_within_need_to_know(cast, incidents):
    [group] = quality.probable_duplicates(cast.membership("a_coordinator"))
    assert (group.on, group.country, group.admin_area) == (date(2026, 1, 10), "CO", "Area 1")
    assert {incident.pk for incident in group.incidents} == {incidents["i1"].pk, incidents["i2"].pk}
    assert len(quality.probable_duplicates(cast.membership("a_caseworker_team"))) == 1
    assert quality.probable_duplicates(cast.membership("a_caseworker_other")) == []


def test_coverage_by_source_kind_and_reliability(cast, incidents):
    coverage = quality.source_coverage(cast.org_a.pk)
    reliable = make.term("source-reliability", "highly-reliable").pk
    uncertain = make.term("source-reliability", "uncertain").pk
    assert coverage.counts == {("media", reliable): 2, ("witness", uncertain): 1}
    assert (coverage.incidents, coverage.incidents_without_source) == (4, 1)


def test_the_quality_page_links_duplicates_through_incident_access(cast, incidents, as_user):
    url = f"/o/{cast.org_a.slug}/analytics/quality/"
    page = as_user(cast.a_coordinator).get(url).content.decode()
    link = f"/o/{cast.org_a.slug}/cases/{incidents['i1'].case_id}/incidents/{incidents['i1'].pk}/"
    assert link in page and "50.0 %" in page
    assert as_user(cast.a_coordinator).get(link).status_code == 200
    hidden = as_user(cast.a_caseworker_other).get(url).content.decode()
    assert link not in hidden
    assert as_user(cast.a_caseworker_other).get(link).status_code in {403, 404}

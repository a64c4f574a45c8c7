"""The daily early-warning job: a planted rise is flagged once, a defender's escalation too, and
each subscriber hears of a matching flag once, within their need to know."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import time_machine

from salama.analytics import flagging
from salama.analytics.models import WarningFlag, WarningNotice
from salama.analytics.tests import warning_fixtures as make

NOW = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    flagging._last_run.clear()
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller
    flagging._last_run.clear()


@pytest.fixture
def world(cast: Any) -> dict[str, Any]:
    """Org A: one journalism incident a month in CO for two years, then nine this month; and a
    defender in KE, on a case of nobody's team, threatened twice and then attacked."""
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    journalist = make.defender(cast.org_a, country="CO", sectors=("journalism-expression",))
    steady = make.case(cast.org_a, [journalist], team=[cast.a_caseworker_team])
    make.steady_then_rise(steady, NOW.date(), journalist)
    threatened = make.defender(cast.org_a, country="KE")
    alone = make.case(cast.org_a, [threatened])
    for on in (date(2026, 6, 2), date(2026, 7, 20)):
        make.incident(alone, on, country="KE", victims=[threatened], violations=("death-threats",))
    make.incident(alone, date(2026, 10, 30), country="KE", victims=[threatened], violations=("physical-attack",))
    return {"journalist": journalist, "threatened": threatened}


def test_the_planted_rise_and_the_escalation_are_flagged_once(cast, world, clock):
    assert flagging.has_due_work()
    flagging.work_once()
    assert not flagging.has_due_work()
    rise = WarningFlag.objects.get(kind=WarningFlag.Kind.RISE)
    assert (rise.organization_id, rise.country, rise.sector, rise.month) == (
        cast.org_a.pk,
        "CO",
        "journalism-expression",
        date(2026, 11, 1),
    )
    assert rise.figures["observed"] == 9
    assert rise.figures["baseline_months"] == 24
    assert rise.figures["baseline_first"] == "2024-11-01" and rise.figures["baseline_last"] == "2026-10-01"
    assert rise.figures["tail_probability"] < rise.figures["alpha"]
    escalation = WarningFlag.objects.get(kind=WarningFlag.Kind.ESCALATION, defender=world["threatened"])
    assert escalation.country == "KE"
    assert escalation.figures["rule"] == "threats_to_attacks" and len(escalation.figures["incidents"]) == 3
    # Nine incidents in a fortnight after one a month: the journalist's frequency grows too.
    growing = WarningFlag.objects.get(kind=WarningFlag.Kind.ESCALATION, defender=world["journalist"])
    assert growing.figures["rule"] == "growing_frequency"

    flagging.run()  # the same day again, and the next day: nothing new
    clock.shift(timedelta(days=1))
    assert flagging.has_due_work()
    flagging.work_once()
    assert WarningFlag.objects.count() == 3
    assert not WarningFlag.objects.filter(organization=cast.org_b).exists()


def test_each_subscriber_hears_once_and_only_of_what_they_may_see(cast, world, clock):
    from salama.analytics.actions import do_subscribe_warnings
    from salama.delivery.models import Delivery

    do_subscribe_warnings(cast.membership("a_coordinator"))  # everything
    do_subscribe_warnings(cast.membership("a_coordinator"), country="CO")  # twice a match: told once
    do_subscribe_warnings(cast.membership("a_caseworker_other"))  # may not see the KE defender
    do_subscribe_warnings(cast.membership("a_viewer"), country="KE", sector="journalism-expression")
    do_subscribe_warnings(cast.membership("b_coordinator"))  # another organisation
    flagging.run()
    flagging.run()
    rise = WarningFlag.objects.get(kind=WarningFlag.Kind.RISE)
    escalation = WarningFlag.objects.get(kind=WarningFlag.Kind.ESCALATION, defender=world["threatened"])
    growing = WarningFlag.objects.get(kind=WarningFlag.Kind.ESCALATION, defender=world["journalist"])
    told = {(notice.flag_id, notice.user_id) for notice in WarningNotice.objects.all()}
    assert told == {
        (rise.pk, cast.a_coordinator.pk),
        (rise.pk, cast.a_caseworker_other.pk),
        (escalation.pk, cast.a_coordinator.pk),
        (growing.pk, cast.a_coordinator.pk),
    }
    assert WarningNotice.objects.count() == 4
    deliveries = Delivery.objects.filter(message__producer_kind="analytics.warning")
    assert deliveries.count() == 4
    assert WarningFlag.objects.filter(notified_at__isnull=True).count() == 0


def test_the_warnings_page_explains_and_respects_need_to_know(cast, world, clock, as_user):
    flagging.run()
    page = as_user(cast.a_coordinator).get(f"/o/{cast.org_a.slug}/analytics/warnings/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "From threats to attacks" in text
    assert "country=CO" in text and "date_from=2026-11-01" in text and "date_to=2026-11-30" in text
    hidden = as_user(cast.a_caseworker_other).get(f"/o/{cast.org_a.slug}/analytics/warnings/").content.decode()
    assert "From threats to attacks" not in hidden and "date_from=2026-11-01" in hidden
    other = as_user(cast.b_coordinator).get(f"/o/{cast.org_b.slug}/analytics/warnings/").content.decode()
    assert "date_from=2026-11-01" not in other


def test_dismiss_and_subscribe_by_plain_forms(cast, world, clock, as_user):
    from salama.analytics.models import WarningSubscription

    flagging.run()
    rise = WarningFlag.objects.get(kind=WarningFlag.Kind.RISE)
    base = f"/o/{cast.org_a.slug}/analytics/warnings/"
    refused = as_user(cast.a_caseworker_team).post(base + "dismiss/", {"flag": rise.pk})
    assert refused.status_code == 403
    done = as_user(cast.a_coordinator).post(base + "dismiss/", {"flag": rise.pk})
    assert done.status_code == 302
    rise.refresh_from_db()
    assert rise.dismissed and rise.dismissed_by == cast.a_coordinator
    viewer = as_user(cast.a_viewer)
    assert viewer.post(base + "subscriptions/", {"country": "CO", "sector": ""}).status_code == 302
    subscription = WarningSubscription.objects.get(user=cast.a_viewer)
    assert subscription.country == "CO" and subscription.sector == ""
    assert (
        as_user(cast.a_coordinator).post(base + "subscriptions/remove/", {"subscription": subscription.pk}).status_code
        == 404
    )
    assert viewer.post(base + "subscriptions/remove/", {"subscription": subscription.pk}).status_code == 302
    assert not WarningSubscription.objects.exists()


def test_viewers_read_a_small_count_as_fewer_than_k(cast, as_user, settings):
    settings.SALAMA_ANALYTICS_MIN_CELL = 5
    figures = {
        "observed": 3,
        "baseline_mean": 0.1,
        "baseline_variance": 0.1,
        "upper_limit": 3,
        "tail_probability": 0.0002,
        "baseline_first": "2024-11-01",
        "baseline_last": "2026-10-01",
        "baseline_months": 24,
        "method": "poisson",
        "alpha": 0.005,
    }
    WarningFlag.objects.create(
        organization=cast.org_a,
        kind="rise",
        key="rise:CO::2026-11-01",
        country="CO",
        month=date(2026, 11, 1),
        figures=figures,
    )
    url = f"/o/{cast.org_a.slug}/analytics/warnings/"
    viewer = as_user(cast.a_viewer).get(url).content.decode()
    assert "fewer than 5" in viewer and "or more would be flagged" not in viewer
    coordinator = as_user(cast.a_coordinator).get(url).content.decode()
    assert "fewer than 5" not in coordinator and "3 or more would be flagged" in coordinator


def test_monthly_counts_by_country_and_sector(cast):
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    lawyer = make.defender(cast.org_a, sectors=("lawyers-justice", "womens-rights"))
    unsure = make.defender(cast.org_a)
    case = make.case(cast.org_a, [lawyer, unsure])
    make.incident(case, date(2026, 10, 3), victims=[lawyer, unsure])  # two sectors: counted in both
    make.incident(case, date(2026, 10, 9), victims=[lawyer, None])
    make.incident(case, date(2026, 11, 2), victims=[unsure])  # no sector known
    make.incident(case, date(2026, 11, 3), country="KE", victims=[None])
    make.incident(make.case(cast.org_b, []), date(2026, 11, 4), victims=[None])  # not A's
    counts = flagging.monthly_counts(cast.org_a.pk, flagging.series_months(date(2026, 11, 20)))
    assert counts == {
        ("CO", "lawyers-justice"): {date(2026, 10, 1): 2},
        ("CO", "womens-rights"): {date(2026, 10, 1): 2},
        ("CO", flagging.NOT_CONFIRMED): {date(2026, 11, 1): 1},
        ("KE", flagging.NOT_CONFIRMED): {date(2026, 11, 1): 1},
    }

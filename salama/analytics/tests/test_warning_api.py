"""The early-warning API: the page's flags, figures and need to know through a token, and the same
dismissal and subscriptions (audited alike, told of new flags alike)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine
from django.test import Client

from salama.analytics import flagging
from salama.analytics.models import WarningFlag, WarningNotice, WarningSubscription
from salama.analytics.tests import warning_fixtures as make
from salama.analytics.warning_views import SubscriptionForm
from salama.audit.models import AuditEntry
from salama.core.testing import bearer

NOW = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def world(cast: Any, clock: Any) -> dict[str, Any]:
    """Org A: one journalism incident a month in CO for two years, then nine this month, on a
    case of a_caseworker_team. A defender in KE threatened twice on a case of nobody's team,
    then attacked on a case of a_caseworker_team. Org B: a rise of its own in PE. Flags raised."""
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    journalist = make.defender(cast.org_a, country="CO", sectors=("journalism-expression",))
    steady = make.case(cast.org_a, [journalist], team=[cast.a_caseworker_team])
    rise_incidents = make.steady_then_rise(steady, NOW.date(), journalist)
    threatened = make.defender(cast.org_a, country="KE")
    alone = make.case(cast.org_a, [threatened])
    threats = [
        make.incident(alone, on, country="KE", victims=[threatened], violations=("death-threats",))
        for on in (date(2026, 6, 2), date(2026, 7, 20))
    ]
    attacked = make.case(cast.org_a, [threatened], team=[cast.a_caseworker_team])
    attack = make.incident(
        attacked, date(2026, 10, 30), country="KE", victims=[threatened], violations=("physical-attack",)
    )
    peruvian = make.defender(cast.org_b, country="PE", sectors=("journalism-expression",))
    elsewhere = make.case(cast.org_b, [peruvian])
    make.steady_then_rise(elsewhere, NOW.date(), peruvian, country="PE")
    flagging.run()
    return {
        "rise": WarningFlag.objects.get(organization=cast.org_a, kind=WarningFlag.Kind.RISE),
        "escalation": WarningFlag.objects.get(kind=WarningFlag.Kind.ESCALATION, defender=threatened),
        "growing": WarningFlag.objects.get(kind=WarningFlag.Kind.ESCALATION, defender=journalist),
        "b_rise": WarningFlag.objects.get(organization=cast.org_b, kind=WarningFlag.Kind.RISE),
        "rise_incidents": {str(incident.pk) for incident in rise_incidents},
        "threats": {str(incident.pk) for incident in threats},
        "attack": str(attack.pk),
    }


def call(cast: Any, actor: str, method: str, path: str, body: dict[str, Any] | None = None, org: str = "a") -> Any:
    slug = (cast.org_a if org == "a" else cast.org_b).slug
    return Client().generic(
        method,
        f"/api/v1/organizations/{slug}/analytics/{path}",
        data=json.dumps(body) if body is not None else "",
        content_type="application/json",
        **bearer(cast.tokens[actor]),
    )


def listed(cast: Any, actor: str, query: str = "", org: str = "a") -> dict[int, dict[str, Any]]:
    response = call(cast, actor, "GET", "warnings" + query, org=org)
    assert response.status_code == 200, response.content
    return {flag["id"]: flag for flag in response.json()["items"]}


def test_an_organisation_never_sees_another_organisations_flags(cast, world):
    mine = listed(cast, "a_coordinator")
    assert set(mine) == {world["rise"].pk, world["escalation"].pk, world["growing"].pk}
    theirs = set(WarningFlag.objects.filter(organization=cast.org_b).values_list("pk", flat=True))
    assert world["b_rise"].pk in theirs and set(listed(cast, "b_coordinator", org="b")) == theirs
    b_flag = world["b_rise"].pk
    assert call(cast, "a_admin", "GET", f"warnings/{b_flag}").status_code == 404
    assert call(cast, "a_admin", "POST", f"warnings/{b_flag}/dismiss").status_code == 404
    # A's token in B's address space is refused before anything is read.
    assert call(cast, "a_admin", "GET", f"warnings/{b_flag}", org="b").status_code == 404
    assert call(cast, "b_admin", "GET", f"warnings/{world['rise'].pk}", org="b").status_code == 404
    assert call(cast, "a_coordinator", "GET", "warnings/999999999").status_code == 404
    assert WarningFlag.objects.get(pk=b_flag).dismissed_at is None


def test_a_rise_explains_itself_as_the_page_does(cast, world):
    rise = call(cast, "a_coordinator", "GET", f"warnings/{world['rise'].pk}").json()
    figures = world["rise"].figures
    assert rise["kind"] == "rise" and rise["country"] == "CO" and rise["sector"] == "journalism-expression"
    assert rise["defender"] is None and rise["rule"] is None and rise["explanation"] is None
    assert rise["headline"] == flagging.describe(world["rise"])
    assert rise["month"] == "2026-11-01"
    assert rise["period"] == {"first": "2026-11-01", "last": "2026-11-30"}
    assert rise["observed"] == 9 and rise["observed_fewer_than"] is None
    assert rise["baseline"] == {
        "mean": figures["baseline_mean"],
        "variance": figures["baseline_variance"],
        "months": 24,
        "first_month": "2024-11-01",
        "last_month": "2026-10-01",
        "method": figures["method"],
    }
    assert rise["upper_limit"] == figures["upper_limit"] <= 9
    assert rise["tail_probability"] == figures["tail_probability"] < rise["alpha"] == figures["alpha"]
    assert set(rise["incidents"]) == world["rise_incidents"]
    assert rise["dismissed_at"] is None


def test_a_viewer_reads_a_small_count_as_hidden(cast, world, settings):
    settings.SALAMA_ANALYTICS_MIN_CELL = 10  # the rise counted 9
    url = f"warnings/{world['rise'].pk}"
    viewer = call(cast, "a_viewer", "GET", url).json()
    assert viewer["observed"] is None and viewer["observed_fewer_than"] == 10
    assert viewer["upper_limit"] is None and viewer["tail_probability"] is None
    assert viewer["baseline"]["months"] == 24  # the page shows the baseline to everyone
    coordinator = call(cast, "a_coordinator", "GET", url).json()
    assert coordinator["observed"] == 9 and coordinator["observed_fewer_than"] is None


def test_escalations_and_incident_ids_follow_need_to_know(cast, world):
    escalation = world["escalation"]
    lead = call(cast, "a_coordinator", "GET", f"warnings/{escalation.pk}").json()
    assert lead["kind"] == "escalation" and lead["defender"] == str(escalation.defender_id)
    assert lead["sector"] is None and lead["observed"] is None and lead["baseline"] is None
    assert lead["rule"] == "threats_to_attacks" and lead["explanation"] == escalation.figures["explanation"]
    assert lead["period"] == {"first": "2026-06-02", "last": "2026-10-30"}
    assert set(lead["incidents"]) == world["threats"] | {world["attack"]}
    # On the team of the attack's case only: the defender, and that incident alone.
    team = call(cast, "a_caseworker_team", "GET", f"warnings/{escalation.pk}").json()
    assert team["defender"] == str(escalation.defender_id) and team["incidents"] == [world["attack"]]
    # On no case of theirs: no escalation at all, and a rise without the incidents behind it.
    other = listed(cast, "a_caseworker_other")
    assert set(other) == {world["rise"].pk}
    assert other[world["rise"].pk]["incidents"] == []
    assert call(cast, "a_caseworker_other", "GET", f"warnings/{escalation.pk}").status_code == 404
    assert call(cast, "a_viewer", "GET", f"warnings/{world['growing'].pk}").status_code == 404
    assert set(listed(cast, "a_caseworker_team")[world["rise"].pk]["incidents"]) == world["rise_incidents"]


def test_filters_order_and_pages(cast, world):
    assert set(listed(cast, "a_admin", "?country=ke")) == {world["escalation"].pk}
    assert set(listed(cast, "a_admin", "?kind=rise")) == {world["rise"].pk}
    assert set(listed(cast, "a_admin", "?sector=journalism-expression")) == {world["rise"].pk}
    assert listed(cast, "a_admin", "?sector=lawyers-justice") == {}
    months = [flag["month"] for flag in listed(cast, "a_admin").values()]
    assert months == sorted(months, reverse=True)
    first = call(cast, "a_admin", "GET", "warnings?page_size=2").json()
    assert first["count"] == 3 and len(first["items"]) == 2 and "page=2" in first["next"]
    second = call(cast, "a_admin", "GET", "warnings?page_size=2&page=2").json()
    assert second["next"] is None and len(second["items"]) == 1
    assert {flag["id"] for flag in first["items"] + second["items"]} == set(listed(cast, "a_admin"))
    # A filter that no country or code can be is refused, never sent to the database.
    for bad in ("country=K%00", "country=KEN", "sector=law%00yers", "sector=Lawyers"):
        assert call(cast, "a_admin", "GET", f"warnings?{bad}").status_code == 400, bad


def test_dismissal_needs_the_pages_permission_and_is_audited_like_the_page(cast, world, as_user):
    rise, growing = world["rise"], world["growing"]
    assert call(cast, "a_caseworker_team", "POST", f"warnings/{rise.pk}/dismiss").status_code == 403
    assert call(cast, "a_viewer", "POST", f"warnings/{rise.pk}/dismiss").status_code == 403
    response = call(cast, "a_coordinator", "POST", f"warnings/{rise.pk}/dismiss")
    assert response.status_code == 200 and response.json()["dismissed_at"] is not None
    rise.refresh_from_db()
    assert rise.dismissed and rise.dismissed_by == cast.a_coordinator
    assert call(cast, "a_coordinator", "POST", f"warnings/{rise.pk}/dismiss").status_code == 200  # again: no-op
    assert rise.pk not in listed(cast, "a_coordinator")
    assert listed(cast, "a_coordinator", "?include_dismissed=true")[rise.pk]["dismissed_at"] is not None

    page = as_user(cast.a_coordinator).post(f"/o/{cast.org_a.slug}/analytics/warnings/dismiss/", {"flag": growing.pk})
    assert page.status_code == 302
    entries = AuditEntry.objects.filter(action="analytics.warning_dismissed").order_by("sequence")
    by_api, by_page = list(entries)
    assert (by_api.target_type, by_api.target_id) == ("warning_flag", str(rise.pk))
    assert (by_page.target_type, by_page.target_id) == ("warning_flag", str(growing.pk))
    for entry in (by_api, by_page):
        assert entry.actor == cast.a_coordinator and entry.organization == cast.org_a
    assert by_api.changes == {"kind": {"old": None, "new": "rise"}}
    assert by_page.changes == {"kind": {"old": None, "new": "escalation"}}
    assert (by_api.channel, by_page.channel) == ("api", "web")


def test_subscribe_and_unsubscribe_round_trip(cast, world):
    created = call(cast, "a_viewer", "POST", "warning-subscriptions", {"country": "CO"})
    assert created.status_code == 201
    subscription = created.json()
    assert (subscription["country"], subscription["sector"]) == ("CO", "")
    again = call(cast, "a_viewer", "POST", "warning-subscriptions", {"country": "CO"})
    assert again.status_code == 201 and again.json()["id"] == subscription["id"]  # once is enough
    mine = call(cast, "a_viewer", "GET", "warning-subscriptions").json()
    assert [row["id"] for row in mine] == [subscription["id"]]
    assert call(cast, "a_coordinator", "GET", "warning-subscriptions").json() == []
    audited = AuditEntry.objects.get(action="analytics.warning_subscribed")
    assert audited.actor == cast.a_viewer and audited.target_id == str(subscription["id"])

    path = f"warning-subscriptions/{subscription['id']}"
    assert call(cast, "a_coordinator", "DELETE", path).status_code == 404  # not theirs
    assert call(cast, "b_viewer", "DELETE", path, org="b").status_code == 404
    assert call(cast, "a_viewer", "DELETE", path).status_code == 204
    assert call(cast, "a_viewer", "DELETE", path).status_code == 404
    assert not WarningSubscription.objects.exists()
    assert AuditEntry.objects.filter(action="analytics.warning_unsubscribed", actor=cast.a_viewer).count() == 1


def test_invalid_subscriptions_get_the_forms_messages(cast, world):
    form = SubscriptionForm(data={"country": "ZZ", "sector": "no-such-sector"})
    assert not form.is_valid()
    response = call(cast, "a_viewer", "POST", "warning-subscriptions", {"country": "ZZ", "sector": "no-such-sector"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["fields"] == {"country": form.errors["country"], "sector": form.errors["sector"]}
    assert not WarningSubscription.objects.exists()


def test_a_subscription_made_through_the_api_is_told_like_one_made_on_the_page(cast, clock, as_user):
    from salama.delivery.models import Delivery
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    created = call(cast, "a_viewer", "POST", "warning-subscriptions", {"country": "CO"})
    assert created.status_code == 201
    page = as_user(cast.a_caseworker_other).post(
        f"/o/{cast.org_a.slug}/analytics/warnings/subscriptions/", {"country": "CO", "sector": ""}
    )
    assert page.status_code == 302
    unsure = make.defender(cast.org_a, country="CO")
    quiet = make.case(cast.org_a, [unsure])
    for back in range(1, 25):
        month = (NOW.year * 12 + NOW.month - 1) - back
        make.incident(quiet, date(month // 12, month % 12 + 1, 10), victims=[unsure])
    for day in range(1, 10):
        make.incident(quiet, date(2026, 11, day), victims=[unsure])
    flagging.run()
    flagging.run()
    rise = WarningFlag.objects.get(kind=WarningFlag.Kind.RISE)
    told = set(WarningNotice.objects.filter(flag=rise).values_list("user_id", flat=True))
    assert told == {cast.a_viewer.pk, cast.a_caseworker_other.pk}
    deliveries = Delivery.objects.filter(message__producer_kind="analytics.warning")
    assert deliveries.count() == 2

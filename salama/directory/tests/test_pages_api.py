"""The directory's pages and API: the list with its filters, an entry with its sources, the
operator's add and edit pages (rules edited as validated JSON), the referral suggestions page of a
case with its need to know, and the same through the API."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from salama.cases.actions import do_add_team_member, do_open_case
from salama.core.testing import bearer
from salama.defenders.actions import do_create_defender
from salama.directory.models import ProtectionActor
from salama.vocab.models import Term

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(cast):  # type: ignore[no-untyped-def]
    """A land defender in Colombia, a woman, on a case whose team is a_caseworker_team."""
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    coordinator = cast.membership("a_coordinator")
    land = Term.objects.get(vocabulary__code="sectors", code="land-environment")
    defender = do_create_defender(
        cast.membership("a_admin"), public_name="La Profe", country="CO", gender="woman", sectors=[land]
    )
    opened = do_open_case(coordinator, title="Operación Colibrí", defenders=[defender])
    do_add_team_member(coordinator, opened, cast.a_caseworker_team)
    return opened


def suggestions_url(cast, case) -> str:  # type: ignore[no-untyped-def]
    return reverse("directory:suggestions", args=[cast.org_a.slug, case.pk])


# The list and an entry ------------------------------------------------------------------------


def test_every_member_reads_the_directory_with_filters(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.b_viewer)
    page = client.get(reverse("directory:list")).content.decode()
    assert "Shelter City" in page and "Amnesty International" in page
    relocation = client.get(reverse("directory:list"), {"offer": "relocation"}).content.decode()
    assert "Shelter City" in relocation and "Amnesty International" not in relocation
    africa = client.get(reverse("directory:list"), {"region": "africa"}).content.decode()
    assert "Inter-American Commission" not in africa and "Front Line Defenders" in africa
    mechanisms = client.get(reverse("directory:list"), {"kind": "mechanism", "language": "pt"}).content.decode()
    assert "Inter-American Commission" in mechanisms and "Front Line Defenders" not in mechanisms
    assert client.get(reverse("directory:list"), {"offer": "space_travel"}).status_code == 400


def test_an_entry_shows_its_criteria_and_sources(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    page = as_user(cast.a_viewer).get(reverse("directory:detail", args=["urgent-action-fund"])).content.decode()
    assert "Gives at most USD 8,000" in page
    assert "https://urgentactionfund.org/apply-for-a-grant/faq/" in page
    assert "checked on 2026-11-26" in page
    assert "72 hours" in page


def test_an_inactive_entry_is_hidden_except_from_operators(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    ProtectionActor.objects.filter(slug="ishr").update(active=False)
    url = reverse("directory:detail", args=["ishr"])
    assert as_user(cast.a_admin).get(url).status_code == 404
    assert as_user(cast.operator).get(url).status_code == 200


# Operators' pages -----------------------------------------------------------------------------

NEW_ENTRY = {
    "slug": "local-shelter",
    "name": "Casa Refugio",
    "kind": "relocation",
    "offers": ["relocation", "medical_psychosocial"],
    "regions": ["americas"],
    "countries": "co, ec",
    "languages": "es",
    "response_time_hours": "48",
    "how_to_reach": "Through the network's coordinator.",
    "eligibility": json.dumps([{"rule": "duration_at_most_months", "months": 2}]),
    "sources": json.dumps([{"url": "https://example.org/criteria", "title": "Criteria", "checked_on": "2026-11-01"}]),
    "active": "on",
}


def test_an_operator_adds_an_entry(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user(cast.operator).post(reverse("directory:create"), NEW_ENTRY)
    assert response.status_code == 302
    entry = ProtectionActor.objects.get(slug="local-shelter")
    assert entry.countries == ["CO", "EC"] and entry.edited_locally
    assert entry.eligibility == [{"rule": "duration_at_most_months", "months": 2}]


@pytest.mark.parametrize(
    ("eligibility", "says"),
    [
        (json.dumps([{"rule": "no_weekends"}]), "is not a known rule type"),
        ("[{rule: 1}", "This is not valid JSON"),
        (json.dumps({"rule": "not_in_exile"}), "Write a JSON list"),
    ],
)
def test_bad_rules_are_refused_with_the_reason(cast, as_user, eligibility, says) -> None:  # type: ignore[no-untyped-def]
    response = as_user(cast.operator).post(reverse("directory:create"), {**NEW_ENTRY, "eligibility": eligibility})
    assert response.status_code == 400
    assert says in response.content.decode()
    assert not ProtectionActor.objects.filter(slug="local-shelter").exists()


def test_an_entry_without_sources_is_refused(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    response = as_user(cast.operator).post(reverse("directory:create"), {**NEW_ENTRY, "sources": "[]"})
    assert response.status_code == 400
    assert "Cite at least one source" in response.content.decode()


def test_an_operator_edits_an_entry(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.operator)
    url = reverse("directory:edit", args=["icorn"])
    form = client.get(url).content.decode()
    assert "not_emergency" in form  # the rules, as JSON
    icorn = ProtectionActor.objects.get(slug="icorn")
    data = {
        "name": icorn.name,
        "kind": icorn.kind,
        "offers": icorn.offers,
        "countries": "",
        "languages": "en, es",
        "how_to_reach": icorn.how_to_reach,
        "eligibility": json.dumps(icorn.eligibility),
        "sources": json.dumps(icorn.sources),
        "active": "on",
        "notes": "Residencies confirmed by phone.",
    }
    assert client.post(url, data).status_code == 302
    icorn.refresh_from_db()
    assert icorn.notes == "Residencies confirmed by phone." and icorn.languages == ["en", "es"] and icorn.edited_locally


def test_members_cannot_reach_the_operator_pages(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.a_admin)
    assert client.get(reverse("directory:create")).status_code == 403
    assert client.post(reverse("directory:edit", args=["icorn"]), {"name": "x"}).status_code == 403


# The suggestions page -------------------------------------------------------------------------


def test_the_case_page_links_to_its_suggestions(cast, as_user, case) -> None:  # type: ignore[no-untyped-def]
    page = as_user(cast.a_caseworker_team).get(reverse("cases:detail", args=[cast.org_a.slug, case.pk]))
    assert suggestions_url(cast, case) in page.content.decode()


def test_suggestions_for_a_need_with_reasons_failures_and_refer_links(cast, as_user, case) -> None:  # type: ignore[no-untyped-def]
    answers = {
        "needs": ["respite_abroad"],
        "amount": "3000",
        "currency": "eur",
        "duration_months": "3",
        "in_exile": "no",
        "emergency": "no",
        "family_to_accompany": "no",
        "will_return": "yes",
    }
    response = as_user(cast.a_caseworker_team).post(suggestions_url(cast, case), answers)
    assert response.status_code == 200
    page = response.content.decode()
    order = [page.index(name) for name in ("ProtectDefenders.eu", "Shelter City", "ICORN (International")]
    assert order == sorted(order)
    assert "Matches the need “respite abroad” (Relocation)." in page
    assert "Fails:" in page and "the case&#x27;s defenders are recorded as land and environmental defenders" in page
    assert f"/o/{cast.org_a.slug}/cases/{case.pk}/referrals/new/?actor=shelter-city" in page


def test_unknown_answers_are_shown_to_check(cast, as_user, case) -> None:  # type: ignore[no-untyped-def]
    page = as_user(cast.a_coordinator).post(suggestions_url(cast, case), {"needs": ["funds"]}).content.decode()
    assert "To check:" in page and "no amount is requested yet" in page


def test_bad_answers_are_refused_with_the_field(cast, as_user, case) -> None:  # type: ignore[no-untyped-def]
    response = as_user(cast.a_admin).post(suggestions_url(cast, case), {"needs": ["teleport"], "currency": "12"})
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["a_caseworker_other", "a_viewer", "b_admin"])
def test_suggestions_follow_the_case_need_to_know(cast, as_user, case, who) -> None:  # type: ignore[no-untyped-def]
    client = as_user(cast.people[who])
    assert client.get(suggestions_url(cast, case)).status_code == 404
    assert client.post(suggestions_url(cast, case), {"needs": ["funds"]}).status_code == 404


# The API --------------------------------------------------------------------------------------


def test_api_lists_and_reads_entries(cast, client) -> None:  # type: ignore[no-untyped-def]
    headers = bearer(cast.tokens["b_viewer"])
    listed = client.get("/api/v1/directory/actors", {"offer": "relocation", "page_size": 50}, **headers).json()
    slugs = {item["slug"] for item in listed["items"]}
    assert {"shelter-city", "icorn", "protectdefenders-eu"} <= slugs and "amnesty-international" not in slugs
    one = client.get("/api/v1/directory/actors/urgent-action-fund", **headers).json()
    assert one["response_time_hours"] == 72 and one["sources"][0]["checked_on"] == "2026-11-26"
    assert {"rule": "women_or_trans_led"}.items() <= one["eligibility"][0].items()
    assert client.get("/api/v1/directory/actors/no-such-actor", **headers).status_code == 404
    assert client.get("/api/v1/directory/actors").status_code == 401


def api_suggestions(cast, case) -> str:  # type: ignore[no-untyped-def]
    return f"/api/v1/organizations/{cast.org_a.slug}/cases/{case.pk}/referral-suggestions"


def test_api_suggestions(cast, client, case) -> None:  # type: ignore[no-untyped-def]
    body = {"needs": ["funds"], "amount": "5000", "currency": "USD", "in_exile": False}
    response = client.post(
        api_suggestions(cast, case),
        json.dumps(body),
        content_type="application/json",
        **bearer(cast.tokens["a_caseworker_team"]),
    )
    assert response.status_code == 200
    suggestions = response.json()
    assert suggestions[0]["actor"] == "urgent-action-fund" and suggestions[0]["eligible"]
    assert all(item["reasons"] for item in suggestions)
    eligible = [item["eligible"] for item in suggestions]
    assert eligible == sorted(eligible, reverse=True)
    fld = next(item for item in suggestions if item["actor"] == "front-line-defenders")
    assert any("convert it and check" in c["sentence"] for c in fld["to_check"])


def test_api_suggestions_refuse_an_unknown_need(cast, client, case) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        api_suggestions(cast, case),
        json.dumps({"needs": ["teleport"]}),
        content_type="application/json",
        **bearer(cast.tokens["a_admin"]),
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_api_suggestions_follow_need_to_know(cast, client, case) -> None:  # type: ignore[no-untyped-def]
    response = client.post(
        api_suggestions(cast, case), "{}", content_type="application/json", **bearer(cast.tokens["a_caseworker_other"])
    )
    assert response.status_code == 404

"""The learning library and track records: an organisation reads its own lessons and those
shared with the network, never another organisation's unshared ones."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from salama.core.testing import bearer
from salama.directory.models import ProtectionActor
from salama.orgs.models import Membership
from salama.responses import actions
from salama.responses.learning import TrackRecord, track_records
from salama.responses.models import Kind, Lesson
from salama.vocab.models import Term

from .conftest import open_case


def lesson(cast: Any, org: str, actor: str | None, outcome: str, *, shared: bool = False, **case: Any) -> Lesson:
    """A response on a new case of `org`, closed by its coordinator with the given outcome."""
    lead = cast.membership(f"{org}_coordinator")
    response = actions.do_create_response(
        lead,
        open_case(cast, org, **case),
        kind=Kind.EMERGENCY_GRANT,
        protection_actor=ProtectionActor.objects.get(slug=actor) if actor else None,
    )
    return actions.do_close_response(
        lead,
        response,
        status="completed",
        outcome=outcome,
        what_worked=f"worked {org} {outcome} {'shared' if shared else 'private'}",
        what_did_not_work="slow reply",
        share_with_network=shared,
    )


def test_track_records_count_own_and_shared_lessons_only(cast, vocab, actors):
    land = Term.objects.get(vocabulary__code="sectors", code="land-environment")
    press = Term.objects.get(vocabulary__code="sectors", code="journalism-expression")
    own_worked = lesson(cast, "a", "front-line-defenders", "achieved", sectors=[land])
    own_partly = lesson(cast, "a", "front-line-defenders", "partly_achieved")
    own_failed = lesson(cast, "a", "front-line-defenders", "not_achieved", sectors=[land])
    shared_failed = lesson(cast, "b", "front-line-defenders", "not_achieved", shared=True, sectors=[land])
    lesson(cast, "b", "front-line-defenders", "achieved", shared=False)  # B's own: never counted for A
    shared_uaf = lesson(cast, "b", "urgent-action-fund", "too_early", shared=True)
    lesson(cast, "a", "front-line-defenders", "achieved", country="KE")  # another country
    lesson(cast, "a", "front-line-defenders", "achieved", sectors=[press])  # another sector
    lesson(cast, "a", None, "achieved")  # no actor: no track record

    records = track_records(cast.org_a, country="CO", sector_codes=frozenset({"land-environment"}))
    assert set(records) == {"front-line-defenders", "urgent-action-fund"}
    fld = records["front-line-defenders"]
    assert isinstance(fld, TrackRecord)
    assert (fld.worked, fld.did_not_work) == (2, 2)
    assert set(fld.lesson_ids) == {own_worked.pk, own_partly.pk, own_failed.pk, shared_failed.pk}
    assert records["urgent-action-fund"] == TrackRecord("urgent-action-fund", 0, 0, (shared_uaf.pk,))

    everything = track_records(cast.org_a, country="CO", sector_codes=frozenset())
    assert everything["front-line-defenders"].worked == 3  # the press lesson counts without a sector filter
    for_b = track_records(cast.org_b, country="CO", sector_codes=frozenset())
    assert for_b["front-line-defenders"].worked == 1  # its own achieved one; A shared nothing
    assert track_records(cast.org_a, country="FR", sector_codes=frozenset()) == {}


def test_the_library_shows_own_and_shared_lessons_never_anothers_unshared(cast, vocab, actors, as_user, client):
    lesson(cast, "a", "front-line-defenders", "achieved", shared=False)
    lesson(cast, "a", "urgent-action-fund", "not_achieved", shared=True)
    lesson(cast, "b", "front-line-defenders", "achieved", shared=False)
    page_b = as_user(cast.b_viewer).get(reverse("responses:lessons", args=[cast.org_b.slug])).content.decode()
    assert "worked a not_achieved shared" in page_b
    assert "worked a achieved private" not in page_b
    assert "worked b achieved private" in page_b
    page_a = as_user(cast.a_caseworker_other).get(reverse("responses:lessons", args=[cast.org_a.slug])).content.decode()
    assert "worked a achieved private" in page_a and "worked b achieved private" not in page_a

    search = as_user(cast.a_viewer).get(
        reverse("responses:lessons", args=[cast.org_a.slug]), {"q": "not_achieved", "actor": "urgent-action-fund"}
    )
    assert "worked a not_achieved shared" in search.content.decode()
    assert "worked a achieved private" not in search.content.decode()

    api = client.get(f"/api/v1/organizations/{cast.org_b.slug}/lessons", **bearer(cast.tokens["b_viewer"])).json()
    texts = {item["what_worked"]: item["own"] for item in api["items"]}
    assert texts == {"worked a not_achieved shared": False, "worked b achieved private": True}
    only_own = client.get(
        f"/api/v1/organizations/{cast.org_b.slug}/lessons?own=true&country=CO", **bearer(cast.tokens["b_viewer"])
    ).json()
    assert [item["what_worked"] for item in only_own["items"]] == ["worked b achieved private"]


def test_a_lead_shares_a_lesson_from_the_library(cast, vocab, actors, as_user):
    private = lesson(cast, "a", "front-line-defenders", "achieved")
    share = reverse("responses:lesson_share", args=[cast.org_a.slug, private.pk])
    as_user(cast.a_caseworker_team).post(share, {"shared": "on"})
    private.refresh_from_db()
    assert not private.shared_with_network  # caseworkers cannot
    assert as_user(cast.a_coordinator).post(share, {"shared": "on"}).status_code == 302
    private.refresh_from_db()
    assert private.shared_with_network
    # another organisation cannot reach it through its own URL space
    other = reverse("responses:lesson_share", args=[cast.org_b.slug, private.pk])
    assert as_user(cast.b_admin).post(other, {}).status_code == 404


def test_the_demo_network_has_responses_a_shared_lesson_and_a_funded_grant(db):
    from salama.core.demo import load_demo_network
    from salama.responses.donor import donor_report
    from salama.responses.models import Response

    load_demo_network()
    load_demo_network()  # again: nothing is added twice
    assert Response.objects.filter(organization__slug="tierra-digna").count() == 2
    assert Lesson.objects.filter(shared_with_network=True).count() == 1
    donor = Membership.objects.filter(organization__slug="defenders-fund").first()
    report = donor_report(donor)
    assert report.is_donor and report.total.hidden  # one grant: fewer than 5

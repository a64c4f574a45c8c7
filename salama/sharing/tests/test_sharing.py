"""Sharing a case with a partner: consent first, exactly the scope, and gone the moment the
grant ends."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils import timezone
from PIL import Image

from salama.audit.models import AuditEntry
from salama.cases.access import access_shared_case, shared_cases
from salama.cases.actions import do_add_note, do_open_case, do_update_case
from salama.core.permissions import Role
from salama.core.testing import make_person
from salama.defenders.actions import do_create_defender, do_record_consent, do_withdraw_consent
from salama.evidence.actions import do_upload
from salama.incidents.actions import do_record_incident
from salama.orgs.models import Membership, Organization
from salama.sharing.actions import do_revoke_grant, do_share_case
from salama.sharing.models import Scope
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term


@pytest.fixture
def world(cast):  # type: ignore[no-untyped-def]
    admin = cast.membership("a_admin")
    ana = do_create_defender(admin, public_name="Ana", phone="+57 300 111 1111")
    case = do_open_case(admin, title="Shared case", defenders=[ana], summary="Secret summary")
    do_add_note(admin, case, "Secret note")
    load_default_vocabularies()
    violation = Term.objects.get(vocabulary__code="violation-types", code="death-threats")
    incident = do_record_incident(
        admin,
        case,
        title="Threat",
        date_start=date(2024, 5, 1),
        narrative="Secret narrative",
        acts=[{"violation": violation}],
    )
    png = io.BytesIO()
    Image.new("RGB", (4, 4), (0, 0, 0)).save(png, "PNG")
    evidence = do_upload(admin, case, title="Photo", content=png.getvalue(), name="p.png")
    consent = do_record_consent(
        admin, ana, scope="share_with_organisation", organization=cast.org_b, given_on=date(2024, 5, 1)
    )
    return {"admin": admin, "ana": ana, "case": case, "incident": incident, "evidence": evidence, "consent": consent}


def share(cast, world, scope=Scope.FULL_RECORD_WITH_EVIDENCE, days=30, **extra):  # type: ignore[no-untyped-def]
    return do_share_case(
        world["admin"],
        world["case"],
        to_organization=cast.org_b,
        scope=scope,
        purpose="Referral for relocation support",
        expires_at=timezone.now() + timedelta(days=days),
        **extra,
    )


def urls(cast, world):  # type: ignore[no-untyped-def]
    base = f"/o/{cast.org_b.slug}/shared/{world['case'].pk}/"
    return {
        "detail": base,
        "incident": f"{base}incidents/{world['incident'].pk}/",
        "evidence": f"{base}evidence/{world['evidence'].pk}/",
    }


def test_consent_is_required_and_the_refusal_names_the_defender(cast, world):  # type: ignore[no-untyped-def]
    admin = world["admin"]
    bea = do_create_defender(admin, public_name="Bea")
    do_update_case(admin, world["case"], defenders=[world["ana"], bea])
    with pytest.raises(ValidationError) as refused:
        share(cast, world)
    assert "Bea" in str(refused.value) and "Ana" not in str(refused.value)
    # A consent to share with another organisation does not count.
    third = Organization.objects.create(name="Org C", slug="org-c", kind="donor", country="NO", region="europe")
    do_record_consent(admin, bea, scope="share_with_organisation", organization=third, given_on=date(2024, 5, 1))
    with pytest.raises(ValidationError):
        share(cast, world)


def test_grant_limits(cast, world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError):
        share(cast, world, days=400)
    with pytest.raises(ValidationError):
        share(cast, world, days=-1)
    with pytest.raises(ValidationError):
        do_share_case(
            world["admin"],
            world["case"],
            to_organization=cast.org_b,
            scope="summary",
            purpose=" ",
            expires_at=timezone.now() + timedelta(days=1),
        )


@pytest.mark.parametrize(
    ("scope", "reveal", "incident", "evidence"),
    [
        (Scope.SUMMARY, 404, 404, 404),
        (Scope.FULL_RECORD, 200, 200, 404),
        (Scope.FULL_RECORD_WITH_EVIDENCE, 200, 200, 200),
    ],
)
def test_partner_sees_exactly_the_scope(cast, world, as_user, scope, reveal, incident, evidence):  # type: ignore[no-untyped-def]
    share(cast, world, scope=scope)
    client = as_user(cast.b_coordinator)
    where = urls(cast, world)
    page = client.get(where["detail"])
    assert page.status_code == 200
    assert b"Shared case" in page.content and b"Ana" in page.content
    assert b"Secret" not in page.content and b"+57" not in page.content
    assert (b"Threat" in page.content) == (incident == 200)
    revealed = client.post(where["detail"] + "reveal/", {"field": ["summary", "notes", "defenders"]})
    assert revealed.status_code == reveal
    if reveal == 200:
        assert b"Secret summary" in revealed.content and b"Secret note" in revealed.content
        assert b"+57 300 111 1111" in revealed.content
    assert client.get(where["incident"]).status_code == incident
    if incident == 200:
        shown = client.post(where["incident"], {"confirm": "on"})
        assert b"Secret narrative" in shown.content
    assert client.get(where["evidence"]).status_code == evidence
    listed = client.get(f"/o/{cast.org_b.slug}/shared/")
    assert b"Shared case" in listed.content


def test_reveals_are_audited_in_both_organisations(cast, world, as_user):  # type: ignore[no-untyped-def]
    share(cast, world)
    client = as_user(cast.b_admin)
    where = urls(cast, world)
    client.post(where["detail"] + "reveal/", {"field": ["summary"]})
    client.post(where["incident"], {"confirm": "on"})
    client.get(where["evidence"])
    for action in ("shared_case.revealed", "shared_case.incident_revealed", "shared_case.evidence_downloaded"):
        orgs = set(AuditEntry.objects.filter(action=action).values_list("organization_id", flat=True))
        assert orgs == {cast.org_a.pk, cast.org_b.pk}, action
    for action in ("case.shared",):
        assert AuditEntry.objects.filter(action=action).count() == 2
    assert not AuditEntry.objects.filter(changes__icontains="Secret").exists()


def test_access_ends_the_moment_the_grant_is_revoked(cast, world, as_user):  # type: ignore[no-untyped-def]
    grant = share(cast, world)
    client = as_user(cast.b_admin)
    where = urls(cast, world)
    assert client.get(where["detail"]).status_code == 200
    do_revoke_grant(world["admin"], grant)
    for url in where.values():
        assert client.get(url).status_code == 404
    assert b"Shared case" not in client.get(f"/o/{cast.org_b.slug}/shared/").content
    orgs = set(AuditEntry.objects.filter(action="case.share_revoked").values_list("organization_id", flat=True))
    assert orgs == {cast.org_a.pk, cast.org_b.pk}
    assert world["case"].timeline.filter(kind="case.share_revoked").exists()


def test_access_ends_when_the_grant_expires(cast, world):  # type: ignore[no-untyped-def]
    share(cast, world, days=2)
    b_admin = cast.membership("b_admin")
    assert shared_cases(b_admin).count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=2, seconds=1)):
        assert shared_cases(b_admin).count() == 0
        with pytest.raises(Http404):
            access_shared_case(cast.b_admin, cast.org_b, world["case"].pk)


def test_withdrawing_the_consent_ends_access(cast, world, as_user):  # type: ignore[no-untyped-def]
    share(cast, world)
    client = as_user(cast.b_admin)
    where = urls(cast, world)
    assert client.get(where["detail"]).status_code == 200
    do_withdraw_consent(world["admin"], world["consent"])
    assert client.get(where["detail"]).status_code == 404
    assert client.get(where["evidence"]).status_code == 404


def test_a_defender_added_without_consent_suspends_the_grant(cast, world):  # type: ignore[no-untyped-def]
    share(cast, world)
    bea = do_create_defender(world["admin"], public_name="Bea")
    do_update_case(world["admin"], world["case"], defenders=[world["ana"], bea])
    assert shared_cases(cast.membership("b_admin")).count() == 0


def test_who_in_the_partner_sees_it(cast, world, as_user):  # type: ignore[no-untyped-def]
    share(cast, world, recipients=[cast.b_viewer])
    detail = urls(cast, world)["detail"]
    assert as_user(cast.b_viewer).get(detail).status_code == 200  # named as a recipient
    assert as_user(cast.b_caseworker_team).get(detail).status_code == 404
    with pytest.raises(ValidationError):
        share(cast, world, recipients=[cast.a_viewer])  # recipients are the partner's members


def test_partner_cannot_edit(cast, world, as_user):  # type: ignore[no-untyped-def]
    share(cast, world)
    case = world["case"]
    client = as_user(cast.b_admin)
    # The sharer's URLs are not the partner's: not a member there.
    for suffix in ("", "edit/", "notes/", "status/", "reveal/", "delete/"):
        assert client.post(f"/o/{cast.org_a.slug}/cases/{case.pk}/{suffix}", {"text": "x"}).status_code == 404
    # Nor through its own organisation's URLs, nor the actions.
    assert client.post(f"/o/{cast.org_b.slug}/cases/{case.pk}/notes/", {"note-text": "x"}).status_code == 404
    with pytest.raises(Http404):
        do_add_note(cast.membership("b_admin"), case, "x")
    with pytest.raises(Http404):
        do_update_case(cast.membership("b_admin"), case, title="x")


def test_other_organisations_see_nothing(cast, world, as_user):  # type: ignore[no-untyped-def]
    share(cast, world)
    third = Organization.objects.create(name="Org C", slug="org-c", kind="donor", country="NO", region="europe")
    carla = make_person("c-admin@example.org", "C admin")
    Membership.objects.create(user=carla, organization=third, role=Role.ADMIN)
    client = as_user(carla)
    case = world["case"]
    assert client.get(f"/o/{third.slug}/shared/{case.pk}/").status_code == 404
    assert client.get(f"/o/{cast.org_b.slug}/shared/{case.pk}/").status_code == 404
    assert b"Shared case" not in client.get(f"/o/{third.slug}/shared/").content


def test_sharing_organisation_ui(cast, world, as_user):  # type: ignore[no-untyped-def]
    case = world["case"]
    base = f"/o/{cast.org_a.slug}/cases/{case.pk}/sharing/"
    assert as_user(cast.a_caseworker_team).get(base).status_code in {403, 404}
    client = as_user(cast.a_coordinator)
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    response = client.post(
        base, {"to_organization": cast.org_b.pk, "scope": "summary", "purpose": "Referral", "expires_on": until}
    )
    assert response.status_code == 302
    page = client.get(f"/o/{cast.org_a.slug}/cases/{case.pk}/")
    assert b"Org B" in page.content
    grant = case.sharing_grants.get()
    assert client.post(f"{base}{grant.pk}/revoke/").status_code == 302
    grant.refresh_from_db()
    assert grant.revoked_at is not None


def test_sharing_api(cast, world, client):  # type: ignore[no-untyped-def]
    from salama.core.testing import bearer

    url = f"/api/v1/organizations/{cast.org_a.slug}/cases/{world['case'].pk}/grants"
    expires = (timezone.now() + timedelta(days=10)).isoformat()
    body = {"partner": cast.org_b.slug, "scope": "summary", "purpose": "Referral", "expires_at": expires}
    created = client.post(url, body, content_type="application/json", **bearer(cast.tokens["a_admin"]))
    assert created.status_code == 201, created.content
    grant_id = created.json()["id"]
    shared = client.get(f"/api/v1/organizations/{cast.org_b.slug}/shared-cases", **bearer(cast.tokens["b_admin"]))
    assert [item["title"] for item in shared.json()["items"]] == ["Shared case"]
    assert client.delete(f"{url}/{grant_id}", **bearer(cast.tokens["a_admin"])).status_code == 200
    one = f"/api/v1/organizations/{cast.org_b.slug}/shared-cases/{world['case'].pk}"
    assert client.get(one, **bearer(cast.tokens["b_admin"])).status_code == 404


def test_a_partner_viewer_named_as_recipient_still_cannot_reveal(cast, world, as_user):  # type: ignore[no-untyped-def]
    share(cast, world, recipients=[cast.b_viewer])
    response = as_user(cast.b_viewer).post(urls(cast, world)["detail"] + "reveal/", {"field": ["summary"]})
    assert response.status_code == 403
    assert "Viewers" in response.content.decode()  # the reason is shown

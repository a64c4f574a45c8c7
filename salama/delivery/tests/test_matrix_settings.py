"""The organisation admin's Matrix room pages: add (by id or alias), edit without ever showing
the token, send a test through the engine and see its outcome, deactivate, remove; every change
audited; a broken room is reported on the alert board and holds up no other channel."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from salama.audit.models import AuditEntry
from salama.delivery.channels.matrix import actions
from salama.delivery.channels.matrix.models import MatrixRoom
from salama.delivery.models import Delivery

from .conftest import run_until_idle
from .matrix_homeserver import ROOM, TOKEN, Homeserver

NEW_TOKEN = "syt_replacement_token_5c1d"


def rooms_url(cast: Any) -> str:
    return reverse("delivery:matrix_rooms", kwargs={"org_slug": cast.org_a.slug})


def room_url(cast: Any, room: MatrixRoom, name: str = "delivery:matrix_room") -> str:
    return reverse(name, kwargs={"org_slug": cast.org_a.slug, "room_id": room.pk})


def add(cast: Any, homeserver: str, **options: Any) -> MatrixRoom:
    values = {"homeserver": homeserver, "room": ROOM, "access_token": TOKEN, **options}
    return actions.do_add_room(cast.membership("a_admin"), **values)


def test_an_admin_adds_a_room_and_the_token_is_sealed_and_never_shown(cast, as_user, homeserver):
    admin = as_user(cast.a_admin)
    form = {"homeserver": homeserver, "room": ROOM, "access_token": TOKEN, "language": "es", "active": "on"}
    response = admin.post(rooms_url(cast), form)
    assert response.status_code == 302
    room = MatrixRoom.objects.get(organization=cast.org_a)
    assert (room.room_id, room.language, room.active, room.access_token) == (ROOM, "es", True, TOKEN)
    for page in (admin.get(rooms_url(cast)), admin.get(room_url(cast, room))):
        assert page.status_code == 200 and TOKEN.encode() not in page.content and ROOM.encode() in page.content
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM matrix_matrixroom")
        assert TOKEN not in cursor.fetchone()[0]
    entry = AuditEntry.objects.get(action="matrix_room.added")
    assert entry.changes["room_id"]["new"] == ROOM and TOKEN not in str(entry.changes)
    assert "access_token" in entry.changes


def test_a_refused_form_does_not_echo_the_token(cast, as_user, homeserver):
    response = as_user(cast.a_admin).post(
        rooms_url(cast), {"homeserver": homeserver, "room": "no room", "access_token": TOKEN}
    )
    assert response.status_code == 400 and TOKEN.encode() not in response.content
    assert b"!abcdef:example.org" in response.content  # the room format, in words


def test_an_alias_is_resolved_once_to_the_room_id(cast, homeserver):
    Homeserver.aliases["#alerts:example.org"] = ROOM
    room = add(cast, homeserver, room="#alerts:example.org")
    assert (room.room_id, room.alias, str(room)) == (ROOM, "#alerts:example.org", "#alerts:example.org")
    with pytest.raises(ValidationError, match="does not know this room"):
        add(cast, homeserver, room="#unknown:example.org")


@pytest.mark.parametrize(
    ("address", "production", "accepted"),
    [
        ("https://matrix.example.org", False, True),
        ("http://127.0.0.1:8008", False, True),
        ("http://localhost:8008", False, True),
        ("http://matrix.example.org", False, False),  # plain http only to this machine
        ("http://localhost:8008", True, False),  # and never in production
        ("https://user:pw@matrix.example.org", False, False),
        ("ftp://matrix.example.org", False, False),
    ],
)
def test_homeservers_are_https_except_a_local_one_outside_production(cast, settings, address, production, accepted):
    settings.PRODUCTION = production
    if accepted:
        assert add(cast, address).homeserver == address
    else:
        with pytest.raises(ValidationError, match="https://"):
            add(cast, address)


@pytest.mark.parametrize("bad", ["abc:example.org", "!nocolon", "!a b:example.org", "#alias", "@user:example.org"])
def test_room_ids_and_aliases_are_checked(cast, bad):
    with pytest.raises(ValidationError):
        add(cast, "https://matrix.example.org", room=bad)


def test_editing_keeps_the_token_unless_a_new_one_is_typed(cast, as_user, homeserver):
    room = add(cast, homeserver)
    admin = as_user(cast.a_admin)
    form = {"homeserver": homeserver, "room": ROOM, "access_token": "", "language": "", "active": ""}
    assert admin.post(room_url(cast, room), form).status_code == 302
    room.refresh_from_db()
    assert room.access_token == TOKEN and room.active is False
    assert AuditEntry.objects.get(action="matrix_room.changed").changes == {"active": {"old": True, "new": False}}
    form.update(access_token=NEW_TOKEN, active="on")
    assert admin.post(room_url(cast, room), form).status_code == 302
    room.refresh_from_db()
    assert room.access_token == NEW_TOKEN and room.active is True
    latest = AuditEntry.objects.filter(action="matrix_room.changed").latest("sequence")
    assert "access_token" in latest.changes and NEW_TOKEN not in str(latest.changes)
    assert NEW_TOKEN.encode() not in admin.get(room_url(cast, room)).content


def test_a_test_message_goes_through_the_engine_and_its_outcome_is_shown(cast, as_user, homeserver):
    room = add(cast, homeserver)
    admin = as_user(cast.a_admin)
    assert admin.post(room_url(cast, room, "delivery:matrix_room_test")).status_code == 302
    assert b"waiting to be sent" in admin.get(room_url(cast, room)).content
    run_until_idle()
    ((txn, authorization, content),) = Homeserver.requests
    assert authorization == f"Bearer {TOKEN}" and "Test message" in content["body"]
    assert txn == Delivery.objects.get(channel="matrix").idempotency_key  # the engine's idempotency key
    assert b"accepted by the homeserver" in admin.get(room_url(cast, room)).content
    Homeserver.answers.append((403, {"errcode": "M_FORBIDDEN", "error": "not in room"}))
    admin.post(room_url(cast, room, "delivery:matrix_room_test"))
    run_until_idle()
    for page in (admin.get(room_url(cast, room)), admin.get(rooms_url(cast))):
        assert b"invite the bot account" in page.content and b"matrix:M_FORBIDDEN" in page.content
    assert AuditEntry.objects.filter(action="matrix_room.tested").count() == 2


def test_removing_a_room_deletes_it_and_is_audited(cast, as_user, homeserver):
    room = add(cast, homeserver)
    assert as_user(cast.a_admin).post(room_url(cast, room, "delivery:matrix_room_remove")).status_code == 302
    assert not MatrixRoom.objects.exists()
    assert AuditEntry.objects.get(action="matrix_room.removed").changes["room_id"] == {"old": ROOM, "new": None}


def test_other_organisations_rooms_are_not_found_and_coordinators_are_refused(cast, as_user, homeserver):
    room = add(cast, homeserver)
    assert as_user(cast.b_admin).get(room_url(cast, room).replace(cast.org_a.slug, cast.org_b.slug)).status_code == 404
    refused = as_user(cast.a_coordinator).get(rooms_url(cast))
    assert refused.status_code == 403 and b"configure delivery channels" in refused.content
    with pytest.raises(Exception, match="configure delivery channels"):
        actions.do_send_test(cast.membership("a_coordinator"), room)


def test_the_settings_page_links_to_the_rooms(cast, as_user):
    page = as_user(cast.a_admin).get(reverse("orgs:settings", kwargs={"org_slug": cast.org_a.slug}))
    assert rooms_url(cast).encode() in page.content


@pytest.mark.django_db(transaction=True)
def test_a_broken_room_is_on_the_board_and_blocks_no_other_channel(cast, as_user, homeserver, sink):
    from salama.alerts.tests.test_alerts import approved, deliver, publish
    from salama.audiences import actions as audiences

    admin, coordinator = cast.membership("a_admin"), cast.membership("a_coordinator")
    ana = audiences.do_create_subscriber(admin, kind="activist", display_name="Ana")
    point = audiences.do_add_contact_point(admin, ana, channel="email", address="ana@example.org", consent_how="form")
    audiences.do_verify_contact_point(admin, point, reason="confirmed by phone")
    add(cast, homeserver)
    add(cast, homeserver, room="!second:example.org")
    add(cast, homeserver, room="!quiet:example.org", active=False)
    Homeserver.answers.append((401, {"errcode": "M_UNKNOWN_TOKEN"}))  # the first room's token was revoked
    alert = approved(admin, coordinator)
    publish(coordinator, alert)
    alert.refresh_from_db()
    deliver()
    states = dict(Delivery.objects.filter(message=alert.message).values_list("channel", "state").order_by("channel"))
    assert states["email"] == Delivery.State.SENT
    matrix = list(Delivery.objects.filter(message=alert.message, channel="matrix").values_list("state", flat=True))
    assert sorted(matrix) == [Delivery.State.FAILED, Delivery.State.SENT]  # the inactive room got nothing
    board = as_user(cast.a_admin).get(
        reverse("alerts:board", kwargs={"org_slug": cast.org_a.slug, "alert_id": alert.pk})
    )
    assert b"matrix:M_UNKNOWN_TOKEN" in board.content and b"does not accept the access token" in board.content
    assert rooms_url(cast).encode() in board.content

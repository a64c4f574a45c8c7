"""Matrix: room messages through the Client-Server API, against a fake homeserver on localhost
that deduplicates by transaction id as real homeservers do."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings

from salama.delivery import engine
from salama.delivery.channels.matrix.channel import MatrixChannel
from salama.delivery.channels.matrix.models import MatrixRoom
from salama.delivery.engine import Recipient
from salama.delivery.models import Delivery, Suppression

from .conftest import run_until_idle
from .matrix_homeserver import ROOM, TOKEN, Homeserver


def send_to_room(org: Any, homeserver: str, text: str = "UA 001/26 <b>Free Ana</b> & now") -> Any:
    message = engine.create_message(org, "tests.alert", "1")
    version = engine.add_version(message, {"matrix": {"en": {"text": text}}})
    extra = {"homeserver": homeserver, "token": TOKEN}
    engine.create_deliveries(version, [Recipient("matrix", ROOM, "en", extra=extra)])
    return message


def test_the_transaction_id_is_the_idempotency_key_and_the_html_is_escaped(org, homeserver):
    message = send_to_room(org, homeserver)
    run_until_idle()
    ((txn, authorization, content),) = Homeserver.requests
    row = Delivery.objects.get(message=message)
    assert txn == row.idempotency_key and row.state == Delivery.State.SENT
    assert authorization == f"Bearer {TOKEN}"
    assert content["msgtype"] == "m.text" and content["body"] == "UA 001/26 <b>Free Ana</b> & now"
    assert content["format"] == "org.matrix.custom.html"
    assert content["formatted_body"] == "UA 001/26 &lt;b&gt;Free Ana&lt;/b&gt; &amp; now"


def test_a_retried_send_reuses_the_transaction_id_and_the_room_gets_one_message(org, homeserver, clock):
    Homeserver.answers = [(502, {})]
    message = send_to_room(org, homeserver)
    run_until_idle()
    assert Delivery.objects.get(message=message).last_error == "matrix:502"
    clock.shift(timedelta(seconds=settings.DELIVERY_RETRY_BASE_SECONDS + 1))
    run_until_idle()
    # A crash after the homeserver accepted it: the sweeper hands the row out again.
    Delivery.objects.filter(message=message).update(state=Delivery.State.PENDING)
    run_until_idle()
    txns = [txn for txn, _auth, _content in Homeserver.requests]
    assert len(txns) == 3 and len(set(txns)) == 1
    assert len(Homeserver.events) == 1 and engine.counts(message)["sent"] == 1


def test_rate_limits_are_transient_and_a_short_wait_is_respected(org, homeserver):
    Homeserver.answers = [(429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 5})]
    short = send_to_room(org, homeserver)
    run_until_idle()
    assert Delivery.objects.get(message=short).state == Delivery.State.SENT  # waited, then sent
    Homeserver.answers = [(429, {"errcode": "M_LIMIT_EXCEEDED", "retry_after_ms": 60_000})]
    long = send_to_room(org, homeserver, text="another")
    run_until_idle()
    row = Delivery.objects.get(message=long)
    assert (row.state, row.last_error) == (Delivery.State.PENDING, "matrix:M_LIMIT_EXCEEDED")


def test_forbidden_is_permanent_and_suppresses_nothing(org, homeserver):
    Homeserver.answers = [(403, {"errcode": "M_FORBIDDEN", "error": "not in room <secret>"})]
    message = send_to_room(org, homeserver)
    run_until_idle()
    row = Delivery.objects.get(message=message)
    assert (row.state, row.last_error) == (Delivery.State.FAILED, "matrix:M_FORBIDDEN")
    assert not Suppression.objects.filter(channel="matrix").exists()


def test_an_unreachable_homeserver_is_transient(org):
    message = send_to_room(org, "http://127.0.0.1:1")
    run_until_idle()
    assert Delivery.objects.get(message=message).last_error == "matrix:connection"


def test_room_ids_and_production_homeservers_are_checked(org, settings):
    channel = MatrixChannel()
    assert channel.normalise(" !abc:example.org ") == "!abc:example.org"
    for bad in ("#alias:example.org", "!nocolon", "https://example.org/"):
        with pytest.raises(ValueError):
            channel.normalise(bad)
    settings.PRODUCTION = True
    room = MatrixRoom(organization=org, homeserver="http://matrix.example.org", room_id=ROOM, access_token=TOKEN)
    with pytest.raises(Exception, match="https"):
        room.clean()


@pytest.mark.django_db(transaction=True)
def test_publishing_sends_network_alerts_to_the_organisations_room_only(cast, homeserver):
    from salama.alerts.models import Alert
    from salama.alerts.tests.test_alerts import approved, deliver, publish
    from salama.audiences.actions import do_create_rule

    admin, coordinator = cast.membership("a_admin"), cast.membership("a_coordinator")
    MatrixRoom.objects.create(organization=cast.org_a, homeserver=homeserver, room_id=ROOM, access_token=TOKEN)
    alert = approved(admin, coordinator, languages=("en", "es"))
    publish(coordinator, alert)
    alert.refresh_from_db()
    deliver()
    room = Delivery.objects.get(message=alert.message, channel="matrix")
    assert room.state == Delivery.State.SENT
    ((txn, _auth, content),) = Homeserver.requests
    assert txn == room.idempotency_key and "Title en" in content["body"] and alert.reference in content["body"]
    assert "Dear Sir" not in content["body"]  # the model letter goes to people, not the room
    rule = do_create_rule(admin, name="Few")
    restricted = approved(admin, coordinator, scope=Alert.Scope.RESTRICTED, audience_rule=rule)
    publish(coordinator, restricted)
    restricted.refresh_from_db()
    assert not Delivery.objects.filter(message=restricted.message, channel="matrix").exists()

"""The only way to read an organisation's Matrix rooms, and how each has fared lately."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from salama.delivery import engine
from salama.delivery.models import Delivery, Message
from salama.orgs.models import Membership, Organization

from .models import MatrixRoom
from .problems import describe, is_configuration

TEST_PRODUCER = "matrix.test"


def rooms_of(org: Organization) -> QuerySet[MatrixRoom]:
    return MatrixRoom.objects.filter(organization=org).order_by("created_at")


def access_room(membership: Membership, room_id: Any) -> MatrixRoom:
    """The room, or 404 for a missing one and another organisation's alike."""
    try:
        pk = UUID(str(room_id))
    except ValueError:
        raise Http404 from None
    room = rooms_of(membership.organization).filter(pk=pk).first()
    if room is None:
        raise Http404
    return room


@dataclass(frozen=True)
class Outcome:
    """One delivery to the room, as the settings page shows it."""

    delivery: Delivery
    error: str  # in words; empty when there is none
    configuration: bool  # the error is the room's configuration, to fix on this page

    @property
    def waiting(self) -> bool:
        return self.delivery.state in {Delivery.State.PENDING, Delivery.State.SENDING}


def _outcome(delivery: Delivery | None) -> Outcome | None:
    if delivery is None:
        return None
    code = delivery.last_error if delivery.state != Delivery.State.SENT else ""
    return Outcome(delivery, describe(code) if code else "", is_configuration(code))


def room_deliveries(room: MatrixRoom) -> QuerySet[Delivery]:
    """Every delivery to this room's id, alerts and tests alike (rooms are few, deliveries to
    each one per alert)."""
    key = engine.address_key(engine.address_keyer(room.organization_id, "matrix"), room.room_id)
    return Delivery.objects.filter(
        message__organization_id=room.organization_id, channel="matrix", address_key=key
    ).order_by("-created_at", "-id")


def last_delivery(room: MatrixRoom) -> Outcome | None:
    return _outcome(room_deliveries(room).first())


def last_error(room: MatrixRoom) -> Outcome | None:
    failed = room_deliveries(room).exclude(last_error="").exclude(state=Delivery.State.SENT)
    return _outcome(failed.first())


def last_test(room: MatrixRoom) -> Outcome | None:
    message = (
        Message.objects.filter(
            organization_id=room.organization_id, producer_kind=TEST_PRODUCER, producer_id=str(room.pk)
        )
        .order_by("-created_at")
        .first()
    )
    if message is None:
        return None
    return _outcome(Delivery.objects.filter(message=message).first())

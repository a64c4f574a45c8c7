"""Every change to an organisation's Matrix rooms: add, change, send a test, remove.

Each checks `delivery.configure` (admins), writes in one transaction and records an audit
entry that names the fields changed; the access token is named, never valued, and never read
back to anyone. A room given by its alias is resolved to its room id here, once.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from salama.audit.actions import record
from salama.core.permissions import require
from salama.delivery import engine
from salama.delivery.engine import Recipient
from salama.delivery.models import Message, Priority
from salama.orgs.models import Membership

from .access import TEST_PRODUCER, rooms_of
from .channel import AliasNotResolved, resolve_alias
from .models import ROOM_ALIAS, MatrixRoom, check_homeserver, check_room
from .problems import describe

LOGGABLE = ("homeserver", "room_id", "alias", "language", "active")
SETTINGS = ("homeserver", "language", "active")


def _audit(actor: Membership, action: str, room: MatrixRoom, changes: dict[str, tuple[Any, Any]]) -> None:
    record(
        action,
        actor=actor.user,
        organization=actor.organization,
        target=("matrix_room", room.pk),
        changes=changes,
        loggable=LOGGABLE,
    )


def _room_address(homeserver: str, room: str, token: str) -> tuple[str, str]:
    """(room id, alias): an alias is looked up on the homeserver with the bot's token."""
    room = room.strip()
    check_room(room)
    if not ROOM_ALIAS.match(room):
        return room, ""
    try:
        return resolve_alias(homeserver, room, token), room
    except AliasNotResolved as failure:
        raise ValidationError(
            {"room": _("The homeserver did not find this alias: %(why)s") % {"why": describe(failure.code)}}
        ) from None


def _homeserver(value: str) -> str:
    value = value.strip().rstrip("/")
    check_homeserver(value)
    return value


@transaction.atomic
def do_add_room(
    actor: Membership, *, homeserver: str, room: str, access_token: str, language: str = "", active: bool = True
) -> MatrixRoom:
    require(actor, "delivery.configure")
    homeserver = _homeserver(homeserver)
    if not access_token.strip():
        raise ValidationError({"access_token": _("Give the bot account's access token.")})
    room_id, alias = _room_address(homeserver, room, access_token.strip())
    if rooms_of(actor.organization).filter(room_id=room_id).exists():
        raise ValidationError({"room": _("This room is already on the list.")})
    created = MatrixRoom(
        organization=actor.organization,
        homeserver=homeserver,
        room_id=room_id,
        alias=alias,
        access_token=access_token.strip(),
        language=language,
        active=active,
    )
    created.save()
    values = {"homeserver": homeserver, "room_id": room_id, "alias": alias, "language": language, "active": active}
    _audit(
        actor, "matrix_room.added", created, {**{k: (None, v) for k, v in values.items()}, "access_token": (None, None)}
    )
    return created


@transaction.atomic
def do_update_room(actor: Membership, room: MatrixRoom, /, *, access_token: str = "", **fields: Any) -> MatrixRoom:
    """homeserver, room, language, active: those given. A blank access token keeps the one
    stored (it is never shown back); a new one replaces it."""
    require(actor, "delivery.configure")
    room = MatrixRoom.objects.select_for_update().get(pk=room.pk, organization=actor.organization)
    changes: dict[str, tuple[Any, Any]] = {}
    token = access_token.strip() or room.access_token
    if "homeserver" in fields:
        fields["homeserver"] = _homeserver(fields["homeserver"])
    typed = fields.pop("room", None)
    if typed is not None and typed.strip() not in {room.room_id, room.alias}:
        room_id, alias = _room_address(fields.get("homeserver", room.homeserver), typed, token)
        if rooms_of(actor.organization).filter(room_id=room_id).exclude(pk=room.pk).exists():
            raise ValidationError({"room": _("This room is already on the list.")})
        fields.update(room_id=room_id, alias=alias)
    for name, value in fields.items():
        if name not in {*SETTINGS, "room_id", "alias"}:
            raise ValueError(f"{name} is not changed through do_update_room")
        if getattr(room, name) != value:
            changes[name] = (getattr(room, name), value)
            setattr(room, name, value)
    if access_token.strip() and access_token.strip() != room.access_token:
        room.access_token = access_token.strip()
        changes["access_token"] = (None, None)
    if not changes:
        return room
    room.save()
    _audit(actor, "matrix_room.changed", room, changes)
    return room


@transaction.atomic
def do_remove_room(actor: Membership, room: MatrixRoom) -> None:
    """Deleting the row destroys its data key, and so the stored token (crypto-shredding).
    Deliveries already made keep their own sealed copy until they are sent or cancelled."""
    require(actor, "delivery.configure")
    label = {"room_id": (room.room_id, None), "alias": (room.alias, None)}
    pk = room.pk
    room.delete()
    record(
        "matrix_room.removed",
        actor=actor.user,
        organization=actor.organization,
        target=("matrix_room", pk),
        changes=label,
        loggable=LOGGABLE,
    )


@transaction.atomic
def do_send_test(actor: Membership, room: MatrixRoom) -> Message:
    """A short message through the delivery engine, like an alert's: the page then shows
    whether the homeserver accepted it, or why not. Sent even to an inactive room, since
    testing before switching it on is the point."""
    require(actor, "delivery.configure")
    language = room.language or translation.get_language() or "en"
    with translation.override(language):
        text = _("Test message from Salama for %(organisation)s: urgent alerts will be posted in this room.") % {
            "organisation": actor.organization.name
        }
    message = engine.create_message(actor.organization, TEST_PRODUCER, str(room.pk), priority=Priority.URGENT)
    version = engine.add_version(message, {"matrix": {language: {"text": text}}}, default_language=language)
    extra = {"homeserver": room.homeserver, "token": room.access_token}
    engine.create_deliveries(version, [Recipient("matrix", room.room_id, language, extra=extra)])
    _audit(actor, "matrix_room.tested", room, {"room_id": (None, room.room_id)})
    return message

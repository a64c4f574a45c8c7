"""Where an organisation's alerts go on Matrix: its rooms, their homeservers, and a bot's token.

The access token lets anyone post as the organisation's bot, so it is sealed like any other
secret (EncryptedModel: its own data key, bound to this row). The token travels on to each
delivery inside the sealed recipient envelope, never in clear, and is never shown back.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from salama.core.encryption import EncryptedModel, EncryptedTextField

# "!opaque:server.name": the room id, not an alias (#name:server), which can be repointed. The
# channel has its own copy: importing it here would tie the app's models to the channel registry.
ROOM_ID = re.compile(r"^![^:\s/]+:[A-Za-z0-9.\-\[\]:]+$")
# "#name:server.name": what people usually know; resolved once to the room id when saved.
ROOM_ALIAS = re.compile(r"^#[^:\s/]+:[A-Za-z0-9.\-\[\]:]+$")
LOOPBACK_NAMES = {"localhost"}


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_homeserver(url: str) -> None:
    """https only; plain http only to this very machine, and never in production (the demo's
    and the tests' local homeservers)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    plain_allowed = not settings.PRODUCTION and is_loopback(host)
    scheme_ok = parts.scheme == "https" or (parts.scheme == "http" and plain_allowed)
    if not scheme_ok or not host or parts.username or parts.password or parts.query or parts.fragment:
        raise ValidationError({"homeserver": gettext("Give the homeserver's https:// address.")})


def check_room_id(room_id: str) -> None:
    if not ROOM_ID.match(room_id):
        raise ValidationError({"room_id": gettext("Give the room id, such as !abcdef:example.org.")})


def check_room(room: str) -> None:
    """What a person may type: a room id or a room alias."""
    if not (ROOM_ID.match(room) or ROOM_ALIAS.match(room)):
        raise ValidationError(
            {"room": gettext("Give the room id (!abcdef:example.org) or its alias (#name:example.org).")}
        )


class MatrixRoom(EncryptedModel):
    homeserver = models.URLField(_("homeserver"), help_text=_("For example https://matrix.example.org"))
    room_id = models.CharField(_("room id"), max_length=255)
    # The alias it was given as, if any: shown to people; messages go to the room id it named.
    alias = models.CharField(_("room alias"), max_length=255, blank=True)
    access_token = EncryptedTextField(_("access token"))
    # The language the room reads; blank: each alert's default language.
    language = models.CharField(_("language"), max_length=10, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        constraints = [models.UniqueConstraint(fields=["organization", "room_id"], name="matrix_room_once_per_org")]

    def __str__(self) -> str:
        return self.alias or self.room_id

    def clean(self) -> None:
        self.homeserver = self.homeserver.strip().rstrip("/")
        check_homeserver(self.homeserver)
        check_room_id(self.room_id.strip())
        if not self.access_token.strip():
            raise ValidationError({"access_token": gettext("Give the bot account's access token.")})


def active_rooms(organization_id: Any) -> list[MatrixRoom]:
    return list(MatrixRoom.objects.filter(organization_id=organization_id, active=True).order_by("created_at"))

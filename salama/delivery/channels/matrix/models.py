"""Where an organisation's alerts go on Matrix: one room, its homeserver, and a bot's token.

The access token lets anyone post as the organisation's bot, so it is sealed like any other
secret (EncryptedModel: its own data key, bound to this row). The token travels on to each
delivery inside the sealed recipient envelope, never in clear.
"""

from __future__ import annotations

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


def check_homeserver(url: str) -> None:
    parts = urlsplit(url)
    allowed = {"https"} if settings.PRODUCTION else {"https", "http"}
    if parts.scheme not in allowed or not parts.hostname or parts.username or parts.password or parts.query:
        raise ValidationError({"homeserver": gettext("Give the homeserver's https:// address.")})


def check_room_id(room_id: str) -> None:
    if not ROOM_ID.match(room_id):
        raise ValidationError({"room_id": gettext("Give the room id, such as !abcdef:example.org.")})


class MatrixRoom(EncryptedModel):
    homeserver = models.URLField(_("homeserver"), help_text=_("For example https://matrix.example.org"))
    room_id = models.CharField(_("room id"), max_length=255)
    access_token = EncryptedTextField(_("access token"))
    # The language the room reads; blank: each alert's default language.
    language = models.CharField(_("language"), max_length=10, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["organization"], name="matrix_room_per_org")]

    def __str__(self) -> str:
        return f"matrix room of {self.organization_id}"

    def clean(self) -> None:
        self.homeserver = self.homeserver.strip().rstrip("/")
        check_homeserver(self.homeserver)
        check_room_id(self.room_id.strip())
        if not self.access_token.strip():
            raise ValidationError({"access_token": gettext("Give the bot account's access token.")})


def room_of(organization_id: Any) -> MatrixRoom | None:
    return MatrixRoom.objects.filter(organization_id=organization_id, active=True).first()

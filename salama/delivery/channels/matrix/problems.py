"""What a Matrix delivery's error code means, in words a person can act on.

Deliveries record short codes (`matrix:M_FORBIDDEN`, never content); the room settings page and
the alert board turn them into a sentence and say whether the room's configuration is at fault.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

# Errors only the organisation can fix in the room's settings (or in the room itself).
CONFIGURATION_CODES = frozenset(
    {
        "matrix:not_configured",
        "matrix:insecure_homeserver",
        "matrix:M_FORBIDDEN",
        "matrix:M_UNKNOWN_TOKEN",
        "matrix:M_MISSING_TOKEN",
        "matrix:M_NOT_FOUND",
        "matrix:401",
        "matrix:403",
        "matrix:404",
    }
)


def is_configuration(code: str) -> bool:
    return code in CONFIGURATION_CODES


def describe(code: str) -> str:
    words = {
        "matrix:not_configured": _("The room has no homeserver or access token."),
        "matrix:insecure_homeserver": _("The homeserver's address is not https://, which production refuses."),
        "matrix:M_FORBIDDEN": _("The bot may not post in this room: invite the bot account and let it join."),
        "matrix:403": _("The bot may not post in this room: invite the bot account and let it join."),
        "matrix:M_UNKNOWN_TOKEN": _("The homeserver does not accept the access token (expired or revoked)."),
        "matrix:M_MISSING_TOKEN": _("The homeserver does not accept the access token (expired or revoked)."),
        "matrix:401": _("The homeserver does not accept the access token (expired or revoked)."),
        "matrix:M_NOT_FOUND": _("The homeserver does not know this room."),
        "matrix:404": _("The homeserver does not know this room."),
        "matrix:connection": _("The homeserver could not be reached; it will be tried again."),
        "matrix:M_LIMIT_EXCEEDED": _("The homeserver asked to slow down; it will be tried again."),
        "matrix:429": _("The homeserver asked to slow down; it will be tried again."),
        "matrix:bad_answer": _("The homeserver's answer could not be understood."),
    }
    if code in words:
        return str(words[code])
    if code.startswith("matrix:5"):
        return _("The homeserver had an error of its own; it will be tried again.")
    return _("The homeserver refused the message (%(code)s).") % {"code": code}

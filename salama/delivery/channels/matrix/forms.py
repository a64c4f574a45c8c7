"""The organisation admin's form for a Matrix room."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import MatrixRoom


class RoomForm(forms.Form):
    homeserver = forms.CharField(
        label=_("Homeserver"), max_length=200, help_text=_("Its https:// address, e.g. https://matrix.example.org")
    )
    room = forms.CharField(
        label=_("Room"),
        max_length=255,
        help_text=_("The room id (!abcdef:example.org) or its alias (#alerts:example.org), looked up once when saved."),
    )
    access_token = forms.CharField(
        label=_("Bot access token"),
        max_length=1000,
        required=False,
        # Never rendered back into the page, not even after a failed post.
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    language = forms.ChoiceField(label=_("Language"), required=False)
    active = forms.BooleanField(
        label=_("Active"), required=False, initial=True, help_text=_("Network and public alerts are posted here.")
    )

    def __init__(self, *args: Any, room: MatrixRoom | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["language"].choices = [("", _("Each alert's default language")), *settings.LANGUAGES]
        if room is None:
            fields["access_token"].required = True
            fields["access_token"].help_text = _(
                "The bot account's token. It is stored encrypted and never shown again."
            )
        else:
            fields["access_token"].help_text = _(
                "A token is stored. Leave this empty to keep it; type a new one to replace it."
            )

    @staticmethod
    def initial_from(room: MatrixRoom) -> dict[str, Any]:
        return {
            "homeserver": room.homeserver,
            "room": room.alias or room.room_id,
            "language": room.language,
            "active": room.active,
        }

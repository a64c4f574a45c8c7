from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .actions import REVEALABLE

MAX_DESCRIPTION = 20_000


class UploadForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("Seen by everyone in your organisation who can see the case. Keep it neutral."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=MAX_DESCRIPTION,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Encrypted. Shown only on an explicit, recorded reveal."),
    )
    file = forms.FileField(
        label=_("File"),
        allow_empty_file=True,  # the action refuses it with a clearer reason
        help_text=_("PDF, JPEG, PNG, WebP, plain text, OpenDocument or Word text, MP3, Ogg or M4A audio, MP4 video."),
    )


class RevealForm(forms.Form):
    field = forms.MultipleChoiceField(choices=[(name, name) for name in REVEALABLE])

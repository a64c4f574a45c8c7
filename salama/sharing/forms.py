from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from salama.orgs.models import Organization

from .models import MAX_DURATION, Scope

REVEALABLE = ("summary", "notes", "defenders")


class ShareForm(forms.Form):
    to_organization = forms.ModelChoiceField(queryset=Organization.objects.none(), label=_("Share with"))
    scope = forms.ChoiceField(choices=Scope.choices, label=_("What is shared"))
    purpose = forms.CharField(
        label=_("Purpose"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Seen by both organisations and not encrypted: no names or sensitive details."),
    )
    expires_on = forms.DateField(
        label=_("Shared until"),
        help_text=_("At most %(days)d days from today. You can revoke it earlier.") % {"days": MAX_DURATION.days},
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_organization"].queryset = Organization.objects.exclude(pk=org.pk).order_by("name")  # type: ignore[attr-defined]

    def expires_at(self) -> datetime:
        # Until the end of the chosen day, in the organisation's time zone.
        day = self.cleaned_data["expires_on"] + timedelta(days=1)
        return timezone.make_aware(datetime.combine(day, time.min))


class SharedRevealForm(forms.Form):
    field = forms.MultipleChoiceField(choices=[(name, name) for name in REVEALABLE])


class IncidentRevealForm(forms.Form):
    confirm = forms.BooleanField(required=True)

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .access import LogFilter
from .catalog import ACTIONS, PLATFORM_ACTIONS, PLATFORM_TARGET_TYPES, TARGET_TYPES


def _choices(labels: dict[str, Any], leave_out: frozenset[str]) -> list[tuple[str, Any]]:
    offered = [(code, label) for code, label in labels.items() if code not in leave_out]
    return [("", _("Any")), *sorted(offered, key=lambda item: str(item[1]))]


class LogFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Who (email address or part of it)"), required=False, max_length=254)
    target_type = forms.ChoiceField(label=_("Target"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per form, so the labels follow the language of the request.
        self.fields["action"].choices = _choices(ACTIONS, PLATFORM_ACTIONS)  # type: ignore[attr-defined]
        self.fields["target_type"].choices = _choices(TARGET_TYPES, PLATFORM_TARGET_TYPES)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def log_filter(self) -> LogFilter:
        data = self.cleaned_data
        return LogFilter(
            action=data.get("action") or "",
            actor=data.get("actor") or "",
            target_type=data.get("target_type") or "",
            since=data.get("since"),
            until=data.get("until"),
        )

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from salama.cases.models import Case

from .models import Audience, CheckInSchedule, Emergency

STEP_FIELDS = (
    ("team_after", Audience.CASE_TEAM),
    ("coordinators_after", Audience.COORDINATORS),
    ("contacts_after", Audience.TRUSTED_CONTACTS),
)
MINUTES_HELP = _("Minutes after the previous step; leave empty to leave this step out.")


class ScheduleForm(forms.Form):
    case = forms.ModelChoiceField(queryset=Case.objects.none(), required=False, label=_("Case or accompaniment"))
    interval_hours = forms.IntegerField(label=_("Check in every (hours)"), min_value=1, max_value=24 * 30, initial=24)
    grace_minutes = forms.IntegerField(
        label=_("Grace period (minutes)"),
        min_value=0,
        max_value=24 * 60,
        initial=60,
        help_text=_("How long after a missed check-in the escalation starts."),
    )
    language = forms.ChoiceField(
        label=_("Language of the check-in page"),
        choices=[("", _("The defender's browser language")), *settings.LANGUAGES],
        required=False,
    )
    team_after = forms.IntegerField(label=_("Case team: after"), min_value=0, required=False, initial=0)
    coordinators_after = forms.IntegerField(
        label=_("Coordinators and admins: after"), min_value=0, required=False, initial=30, help_text=MINUTES_HELP
    )
    contacts_after = forms.IntegerField(
        label=_("Trusted contacts and partner organisations: after"),
        min_value=0,
        required=False,
        initial=60,
        help_text=MINUTES_HELP,
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args: Any, cases: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases if cases is not None else Case.objects.none()  # type: ignore[attr-defined]

    @classmethod
    def initial_from(cls, schedule: CheckInSchedule) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "case": schedule.case_id,
            "interval_hours": int(schedule.interval.total_seconds() // 3600),
            "grace_minutes": int(schedule.grace_period.total_seconds() // 60),
            "language": schedule.language,
            "active": schedule.active,
        }
        chain = {step["to"]: step["after"] for step in schedule.escalation_chain}
        for name, audience in STEP_FIELDS:
            initial[name] = chain.get(audience.value)
        return initial

    def schedule_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "case": data["case"],
            "interval": timedelta(hours=data["interval_hours"]),
            "grace_period": timedelta(minutes=data["grace_minutes"]),
            "language": data["language"],
            "escalation_chain": [
                {"to": audience.value, "after": data[name]} for name, audience in STEP_FIELDS if data[name] is not None
            ],
        }


class SosForm(forms.Form):
    case = forms.ModelChoiceField(queryset=Case.objects.none(), required=False, label=_("Case"))
    location = forms.CharField(
        label=_("Where (optional)"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Stored encrypted."),
    )

    def __init__(self, *args: Any, cases: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["case"].queryset = cases if cases is not None else Case.objects.none()  # type: ignore[attr-defined]


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("What happened"),
        choices=[(v, label) for v, label in Emergency.Outcome.choices if v != Emergency.Outcome.CHECKED_IN_LATE],
    )


class CodeForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=20, required=False)


class LocationForm(forms.Form):
    location = forms.CharField(label=_("Where (optional)"), required=False, max_length=500)

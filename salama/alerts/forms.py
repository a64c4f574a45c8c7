"""What people type when composing an alert, and what recipients report back."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from salama.cases.access import visible_cases
from salama.defenders.access import visible_defenders
from salama.orgs.models import Membership

from .access import audience_rules_of, response_terms
from .actions import SENDING_OPERATIONS
from .models import LANGUAGE_CHOICES, ActionTaken, Alert, AlertTarget, AlertVersion

# Each form sets its querysets per member in __init__; nothing is offered before that.
NONE: QuerySet[Any, Any] = Alert.objects.none()


class AlertForm(forms.Form):
    urgency = forms.ChoiceField(label=_("Urgency"), choices=Alert.Urgency.choices, initial=Alert.Urgency.URGENT)
    scope = forms.ChoiceField(
        label=_("Who receives it"),
        choices=Alert.Scope.choices,
        initial=Alert.Scope.NETWORK,
        help_text=_("The whole network or the public needs a second person's approval before publishing."),
    )
    audience_rule: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Restricted list"), queryset=NONE, required=False, help_text=_("Only for a restricted alert.")
    )
    default_language = forms.ChoiceField(
        label=_("Default language"),
        choices=LANGUAGE_CHOICES,
        initial="en",
        help_text=_("Recipients whose language the alert lacks receive this one."),
    )
    deadline = forms.DateTimeField(
        label=_("Deadline"), required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    countries = forms.MultipleChoiceField(
        label=_("Countries concerned"),
        choices=[],
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 8}),
        help_text=_("Published with a public alert (CAP area). Describe the area itself with each language's text."),
    )
    cases: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Cases"), queryset=NONE, required=False
    )
    defenders: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Defenders named"),
        queryset=NONE,
        required=False,
        help_text=_(
            "Each needs a recorded consent to be named publicly before a network or public alert is published."
        ),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["audience_rule"].queryset = audience_rules_of(membership.organization)
        fields["countries"].choices = list(countries)
        fields["cases"].queryset = visible_cases(membership).order_by("reference")
        fields["defenders"].queryset = visible_defenders(membership).order_by("public_name")

    @staticmethod
    def initial_from(alert: Alert, membership: Membership) -> dict[str, Any]:
        deadline: datetime | None = alert.deadline
        return {
            "urgency": alert.urgency,
            "scope": alert.scope,
            "audience_rule": alert.audience_rule_id,
            "default_language": alert.default_language,
            "deadline": timezone.localtime(deadline).strftime("%Y-%m-%dT%H:%M") if deadline else None,
            "countries": [country.code for country in alert.countries],
            "cases": list(visible_cases(membership).filter(alerts=alert)),
            "defenders": list(alert.defenders.all()),
        }


class VersionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    summary = forms.CharField(label=_("Summary"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20_000)
    background = forms.CharField(
        label=_("Background"), widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=40_000
    )
    recommended_actions = forms.CharField(
        label=_("Recommended actions"), widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=20_000
    )
    model_letter = forms.CharField(
        label=_("Model letter"), widget=forms.Textarea(attrs={"rows": 8}), required=False, max_length=40_000
    )
    area_description = forms.CharField(
        label=_("Area"),
        max_length=1000,
        required=False,
        help_text=_("Where it happens, in words (for a public alert, published as the CAP area description)."),
    )

    @staticmethod
    def initial_from(version: AlertVersion | None) -> dict[str, str]:
        if version is None:
            return {}
        return {name: getattr(version, name) for name in AlertVersion.TEXT_FIELDS}


class TargetForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        countries = AlertTarget._meta.get_field("country").formfield().choices  # type: ignore[union-attr]
        self.fields["country"].choices = [("", "—"), *[c for c in countries if c[0]]]  # type: ignore[attr-defined]

    name = forms.CharField(label=_("Name"), max_length=300)
    title = forms.CharField(label=_("Title or position"), max_length=300, required=False)
    institution = forms.CharField(label=_("Institution"), max_length=300, required=False)
    country = forms.ChoiceField(label=_("Country"), choices=[], required=False)
    postal_address = forms.CharField(
        label=_("Postal address"), widget=forms.Textarea(attrs={"rows": 3}), max_length=1000, required=False
    )
    email = forms.EmailField(label=_("Email"), required=False)
    salutation = forms.CharField(
        label=_("Salutation"), max_length=200, required=False, help_text=_("e.g. Dear Minister")
    )
    preferred_language = forms.ChoiceField(
        label=_("Preferred language"), choices=[("", "—"), *LANGUAGE_CHOICES], required=False
    )
    copy_to = forms.CharField(
        label=_("Copy to"), widget=forms.Textarea(attrs={"rows": 2}), max_length=2000, required=False
    )

    @staticmethod
    def initial_from(target: AlertTarget) -> dict[str, Any]:
        values: dict[str, Any] = {name: getattr(target, name) for name in AlertTarget.TEXT_FIELDS}
        values.update(country=target.country.code or "", preferred_language=target.preferred_language)
        return values


class FollowUpForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Follow-up"),
        choices=[(Alert.Kind.FURTHER, Alert.Kind.FURTHER.label), (Alert.Kind.STOP, Alert.Kind.STOP.label)],
    )


class SendingForm(forms.Form):
    operation = forms.ChoiceField(choices=[(op, op) for op in SENDING_OPERATIONS])


class ActionForm(forms.Form):
    target: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Whom you addressed"), queryset=NONE, empty_label=None
    )
    action_type = forms.ChoiceField(label=_("What you did"), choices=ActionTaken.Type.choices)
    taken_on = forms.DateField(
        label=_("When"), widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    response: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Response received"), queryset=NONE, required=False
    )
    notes = forms.CharField(label=_("Notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False, max_length=5000)

    def __init__(self, *args: Any, targets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["target"].queryset = targets
        fields["target"].label_from_instance = lambda target: " ".join(filter(None, [target.name, target.title]))
        fields["response"].queryset = response_terms()

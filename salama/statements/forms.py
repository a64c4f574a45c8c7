"""What people type to draft a joint statement, open it, invite, sign and publish."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from salama.cases.access import visible_cases
from salama.defenders.access import visible_defenders
from salama.orgs.models import Membership, Organization

from .access import invitable_organizations
from .models import LANGUAGE_CHOICES, JointStatement

# Each form sets its querysets per member in __init__; nothing is offered before that.
NONE: QuerySet[Any, Any] = JointStatement.objects.none()


class StatementForm(forms.Form):
    title = forms.CharField(
        label=_("Working title"),
        max_length=200,
        help_text=_("Seen by the organisations you invite and in their invitation mail."),
    )
    default_language = forms.ChoiceField(label=_("Main language"), choices=LANGUAGE_CHOICES, initial="en")
    open_to_network = forms.BooleanField(
        label=_("Open to the whole network"),
        required=False,
        help_text=_("Any organisation of the network may sign while it is open, not only those invited."),
    )
    case: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Case"),
        queryset=NONE,
        required=False,
        help_text=_("Only your organisation sees the link; the organisations that sign never do."),
    )
    names_defenders: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Defenders the statement names"),
        queryset=NONE,
        required=False,
        help_text=_("Each needs a recorded consent to be named publicly before the statement opens for signatures."),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["case"].queryset = visible_cases(membership).order_by("reference")
        fields["names_defenders"].queryset = visible_defenders(membership).order_by("public_name")

    @staticmethod
    def initial_from(statement: JointStatement) -> dict[str, Any]:
        return {
            "title": statement.title,
            "default_language": statement.default_language,
            "open_to_network": statement.open_to_network,
            "case": statement.case_id,
            "names_defenders": list(statement.names_defenders.values_list("pk", flat=True)),
        }


class TextForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(label=_("Text"), max_length=60_000, widget=forms.Textarea(attrs={"rows": 16}))


class OpenForm(forms.Form):
    signature_deadline = forms.DateTimeField(
        label=_("Signature deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    display_name = forms.CharField(
        label=_("Your organisation's name as it should appear"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the organisation's name."),
    )


class InviteForm(forms.Form):
    organizations: forms.ModelMultipleChoiceField[Any] = forms.ModelMultipleChoiceField(
        label=_("Organisations to invite"), queryset=Organization.objects.none()
    )

    def __init__(self, *args: Any, statement: JointStatement, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["organizations"].queryset = invitable_organizations(statement)


class SignForm(forms.Form):
    display_name = forms.CharField(
        label=_("Your organisation's name as it should appear"),
        max_length=200,
        required=False,
        help_text=_("Leave empty to use the organisation's name."),
    )


class PublishForm(forms.Form):
    published_on = forms.DateField(
        label=_("Published on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    published_url = forms.URLField(label=_("Published at (link)"), required=False, assume_scheme="https")
    public_page = forms.BooleanField(
        label=_("Also publish it on a public page in Salama"),
        required=False,
        help_text=_("Anyone with the link can read the final text and its signatories, without signing in."),
    )

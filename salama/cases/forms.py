from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.defenders.access import defenders_of, sector_terms
from salama.defenders.forms import SectorField, field_label
from salama.defenders.models import Defender
from salama.orgs.models import Membership, Organization
from salama.vocab.models import Term

from .access import CaseFilters, tag_terms, team_candidates
from .models import Case


class DefenderChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.public_name)


class TagChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label())


class MemberField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.user.display_name or obj.user.email} ({obj.get_role_display()})"


class CaseForm(forms.Form):
    title = forms.CharField(
        label=field_label(Case, "title"),
        max_length=200,
        help_text=_("Seen by everyone who can see the case: a code name is wise."),
    )
    defenders = DefenderChoiceField(
        label=field_label(Case, "defenders"), queryset=Defender.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    priority = forms.ChoiceField(
        label=field_label(Case, "priority"), choices=Case.Priority.choices, initial=Case.Priority.NORMAL
    )
    tags = TagChoiceField(
        label=field_label(Case, "tags"),
        queryset=Term.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    summary = forms.CharField(
        label=field_label(Case, "summary"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Encrypted. Shown only on an explicit, recorded reveal."),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["defenders"].queryset = defenders_of(membership)  # type: ignore[attr-defined]
        self.fields["tags"].queryset = tag_terms()  # type: ignore[attr-defined]


class EditCaseForm(CaseForm):
    """The summary is not shown in the form: opening it on every edit would be an unaudited
    reveal. Left empty, it keeps what is recorded."""

    erase_summary = forms.BooleanField(label=_("Erase the summary"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["summary"].help_text = _("Hidden. Leave empty to keep what is recorded; type to replace it.")

    @staticmethod
    def initial_from(case: Case) -> dict[str, Any]:
        return {
            "title": case.title,
            "priority": case.priority,
            "defenders": list(case.defenders.all()),
            "tags": list(case.tags.all()),
        }

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if data.pop("erase_summary"):
            data["summary"] = ""
        elif not data["summary"]:
            del data["summary"]
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Case.Status.choices)
    closed_reason = forms.ChoiceField(
        label=field_label(Case, "closed_reason"),
        choices=[("", _("Not closing")), *Case.ClosedReason.choices],
        required=False,
        help_text=_("Required when closing the case."),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        status, reason = cleaned.get("status"), cleaned.get("closed_reason")
        if status == Case.Status.CLOSED and not reason:
            self.add_error("closed_reason", _("Give the reason for closing the case."))
        if status and status != Case.Status.CLOSED and reason:
            self.add_error("closed_reason", _("A reason is given only when closing a case."))
        return cleaned


class TeamForm(forms.Form):
    ADD, REMOVE = "add", "remove"
    operation = forms.ChoiceField(
        label=_("Change"), choices=[(ADD, _("Add to the team")), (REMOVE, _("Remove from the team"))]
    )
    member = MemberField(label=_("Member"), queryset=None, empty_label=None)

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = team_candidates(org)  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("Note"),
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Encrypted. Shown only on an explicit, recorded reveal."),
    )


class RevealForm(forms.Form):
    field = forms.MultipleChoiceField(
        label=_("What to reveal"), choices=[("summary", _("Summary")), ("notes", _("Notes"))]
    )


class CaseFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *Case.Status.choices], required=False)
    priority = forms.ChoiceField(label=_("Priority"), choices=[("", _("Any")), *Case.Priority.choices], required=False)
    country = forms.ChoiceField(label=_("Defender's country"), required=False)
    sector = SectorField(
        label=_("Defender's sector"), queryset=Term.objects.none(), required=False, empty_label=_("Any")
    )
    member = MemberField(label=_("Team member"), queryset=None, required=False, empty_label=_("Anyone"))
    tag = SectorField(label=_("Tag"), queryset=Term.objects.none(), required=False, empty_label=_("Any"))
    opened_from = forms.DateField(
        label=_("Opened on or after"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    opened_to = forms.DateField(
        label=_("Opened on or before"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("-opened", _("Newest first")),
            ("opened", _("Oldest first")),
            ("priority", _("Most urgent first")),
            ("-priority", _("Least urgent first")),
            ("status", _("Status, new first")),
            ("-status", _("Status, closed first")),
        ],
    )

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = sector_terms()  # type: ignore[attr-defined]
        self.fields["tag"].queryset = tag_terms()  # type: ignore[attr-defined]
        self.fields["member"].queryset = team_candidates(org)  # type: ignore[attr-defined]
        countries = Defender._meta.get_field("country").formfield().choices  # type: ignore[union-attr]
        self.fields["country"].choices = [("", _("Any")), *[c for c in countries if c[0]]]  # type: ignore[attr-defined]

    def filters(self) -> CaseFilters:
        """What the list shows, and an export of the list holds: one reading of the form for both."""
        if not self.is_bound:
            return CaseFilters()
        data = self.cleaned_data
        return CaseFilters(
            status=data["status"],
            priority=data["priority"],
            country=data["country"],
            sector=data["sector"],
            member=data["member"].user if data["member"] else None,
            tag=data["tag"],
            opened_from=data["opened_from"],
            opened_to=data["opened_to"],
            sort=data["sort"] or "-opened",
        )

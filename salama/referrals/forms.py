from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from salama.defenders.forms import field_label
from salama.defenders.models import Defender

from .access import ReferralFilters, actor_choices
from .actions import ENCRYPTED, TRANSITIONS
from .documents import KINDS, LANGUAGES
from .models import Referral

KEEP_HELP = _("Recorded and encrypted. Leave empty to keep it as it is.")
NEW_HELP = _("Encrypted.")


class DefenderChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.public_name)


class ActorChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _area(name: str, rows: int = 3) -> forms.CharField:
    return forms.CharField(
        label=field_label(Referral, name),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": rows}),
    )


class ReferralForm(forms.Form):
    """Create a draft (with `actor`) or change its details. Encrypted fields are never shown
    back: left empty on an edit, they keep what is recorded."""

    actor = ActorChoiceField(label=_("Refer to"), queryset=actor_choices(), to_field_name="slug")
    defenders = DefenderChoiceField(
        label=field_label(Referral, "defenders"), queryset=Defender.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    channel = forms.ChoiceField(
        label=field_label(Referral, "channel"), choices=[("", "—"), *Referral.Channel.choices], required=False
    )
    reference_number = forms.CharField(
        label=field_label(Referral, "reference_number"),
        max_length=100,
        required=False,
        help_text=_("The body's own reference, e.g. UA/COL 1/2026."),
    )
    reply_due_on = forms.DateField(
        label=field_label(Referral, "reply_due_on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Left empty, it is set from the actor's typical response time when the referral is sent."),
    )
    documents_sent = forms.MultipleChoiceField(
        label=field_label(Referral, "documents_sent"),
        choices=[(code, kind.label) for code, kind in KINDS.items()],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    what_was_sent = _area("what_was_sent")
    link_to_work = _area("link_to_work")
    domestic_remedies = _area("domestic_remedies")
    state_informed = _area("state_informed")
    other_proceedings = _area("other_proceedings")
    urgency = _area("urgency")
    requested_action = _area("requested_action")
    grant_need = _area("grant_need")
    grant_amount = forms.DecimalField(
        label=field_label(Referral, "grant_amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    grant_currency = forms.CharField(
        label=field_label(Referral, "grant_currency"), max_length=3, min_length=3, required=False
    )

    def __init__(self, *args: Any, case: Any, referral: Referral | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.referral = referral
        self.fields["defenders"].queryset = case.defenders.order_by("public_name")  # type: ignore[attr-defined]
        if referral is not None:
            del self.fields["actor"]
            if referral.status != Referral.Status.DRAFT:
                del self.fields["defenders"]
            # Read from the columns (an empty field is stored as ""): nothing is decrypted.
            recorded = Referral.objects.filter(pk=referral.pk).values(*ENCRYPTED).first() or {}
            for name in ENCRYPTED:
                self.fields[name].help_text = KEEP_HELP if recorded.get(name) else NEW_HELP
        else:
            for name in ENCRYPTED:
                self.fields[name].help_text = NEW_HELP

    @staticmethod
    def initial_from(referral: Referral) -> dict[str, Any]:
        return {
            "defenders": list(referral.defenders.all()),
            "channel": referral.channel,
            "reference_number": referral.reference_number,
            "reply_due_on": referral.reply_due_on,
            "documents_sent": referral.documents_sent,
            "grant_amount": referral.grant_amount,
            "grant_currency": referral.grant_currency,
        }

    def clean_grant_currency(self) -> str:
        return str(self.cleaned_data.get("grant_currency") or "").upper()

    def changes(self) -> dict[str, Any]:
        """The fields to write; an empty encrypted field on an edit keeps what is recorded."""
        data = dict(self.cleaned_data)
        data.pop("actor", None)
        data.pop("defenders", None)
        if self.referral is not None:
            for name in ENCRYPTED:
                if not data.get(name):
                    data.pop(name, None)
        return data


class StatusForm(forms.Form):
    status = forms.ChoiceField(label=_("New status"), choices=Referral.Status.choices)
    sent_on = forms.DateField(
        label=field_label(Referral, "sent_on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("When sending: today if left empty."),
    )

    def __init__(self, *args: Any, referral: Referral | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if referral is not None:
            allowed = TRANSITIONS.get(referral.status, frozenset())
            self.fields["status"].choices = [(v, label) for v, label in Referral.Status.choices if v in allowed]  # type: ignore[attr-defined]
            if referral.status != Referral.Status.DRAFT:
                del self.fields["sent_on"]


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label=field_label(Referral, "reply"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The state's or the body's reply, in their words. Encrypted."),
    )
    received_on = forms.DateField(
        label=field_label(Referral, "reply_received_on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Today if left empty."),
    )


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=field_label(Referral, "outcome"), choices=[("", "—"), *Referral.Outcome.choices])
    notes = forms.CharField(
        label=field_label(Referral, "outcome_notes"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Encrypted."),
    )


class DocumentForm(forms.Form):
    language = forms.ChoiceField(label=_("Language of the draft"), choices=[])
    format = forms.ChoiceField(label=_("Format"), choices=[("docx", _("DOCX (editable)")), ("pdf", "PDF")])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django.conf import settings

        names = dict(settings.LANGUAGES)
        self.fields["language"].choices = [(code, names[code]) for code in LANGUAGES]  # type: ignore[attr-defined]


class ReferralFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=[("", _("Any")), *Referral.Status.choices], required=False)
    actor = ActorChoiceField(
        label=_("Referred to"), queryset=actor_choices(), to_field_name="slug", required=False, empty_label=_("Any")
    )
    overdue = forms.BooleanField(label=_("Only overdue replies"), required=False)

    def filters(self) -> ReferralFilters:
        if not self.is_bound or not self.is_valid():
            return ReferralFilters()
        data = self.cleaned_data
        return ReferralFilters(status=data["status"], actor=data["actor"], overdue=data["overdue"])

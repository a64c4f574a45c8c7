from __future__ import annotations

from typing import Any

from django import forms
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from salama.vocab.models import Term

from .access import ENCRYPTED_FIELDS, SEARCHABLE_FIELDS, DefenderFilters, sector_terms
from .models import Consent, Defender, TrustedContact

MAX_LINES = 50
MAX_LINE_CHARS = 300


def field_label(model: Any, name: str) -> Any:
    return capfirst(model._meta.get_field(name).verbose_name)


class SectorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label())


class SectorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.label())


class LinesField(forms.CharField):
    """A list kept as one JSON document, edited as one item per line."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("One per line."))
        super().__init__(max_length=MAX_LINES * (MAX_LINE_CHARS + 2), **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return "\n".join(str(item) for item in value) if isinstance(value, list) else value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        lines = [line.strip() for line in text.splitlines() if line.strip()]
        if len(lines) > MAX_LINES:
            raise forms.ValidationError(_("At most %(count)d lines.") % {"count": MAX_LINES})
        if any(len(line) > MAX_LINE_CHARS for line in lines):
            raise forms.ValidationError(
                _("Each line can have at most %(count)d characters.") % {"count": MAX_LINE_CHARS}
            )
        return lines


def _text(model: Any, name: str, max_length: int, **kwargs: Any) -> forms.CharField:
    return forms.CharField(label=field_label(model, name), max_length=max_length, required=False, **kwargs)


class DefenderForm(forms.Form):
    kind = Defender._meta.get_field("kind").formfield()
    public_name = Defender._meta.get_field("public_name").formfield()
    sectors = SectorChoiceField(
        label=field_label(Defender, "sectors"),
        queryset=Term.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    gender = Defender._meta.get_field("gender").formfield()
    country = Defender._meta.get_field("country").formfield()
    region = Defender._meta.get_field("region").formfield()
    legal_name = _text(Defender, "legal_name", 300)
    aliases = LinesField(label=field_label(Defender, "aliases"))
    phone = _text(Defender, "phone", 40)
    email = forms.EmailField(label=field_label(Defender, "email"), max_length=254, required=False)
    other_contacts = LinesField(label=field_label(Defender, "other_contacts"))
    addresses = LinesField(label=field_label(Defender, "addresses"))
    date_of_birth = _text(Defender, "date_of_birth", 40, help_text=_("As precise as known: a year is enough."))
    document_number = _text(Defender, "document_number", 80)
    relatives = LinesField(label=field_label(Defender, "relatives"))
    private_notes = _text(Defender, "private_notes", 20_000, widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per form: the vocabulary may be loaded after this module.
        self.fields["sectors"].queryset = sector_terms()  # type: ignore[attr-defined]


class EditDefenderForm(DefenderForm):
    """Protected details are not shown in the form: opening them all on every edit would be an
    unaudited reveal. An empty protected field keeps what is recorded; a value replaces it."""

    erase = forms.MultipleChoiceField(
        label=_("Erase these protected details"),
        choices=[(name, field_label(Defender, name)) for name in ENCRYPTED_FIELDS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    # Kept encrypted on the revision (salama.revisions); passed to the action by `changes`.
    comment = forms.CharField(
        label=_("Comment on this change"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional. Shown in the history, hidden like the protected details."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ENCRYPTED_FIELDS:
            self.fields[name].help_text = _("Hidden. Leave empty to keep what is recorded; type to replace it.")

    @staticmethod
    def initial_from(defender: Defender) -> dict[str, Any]:
        public = ("kind", "public_name", "gender", "country", "region")
        return {**{name: getattr(defender, name) for name in public}, "sectors": list(defender.sectors.all())}

    def changes(self) -> dict[str, Any]:
        """The fields to write: public ones always, protected ones when typed or erased."""
        data = dict(self.cleaned_data)
        erase = set(data.pop("erase", []))
        for name in ENCRYPTED_FIELDS:
            if name in erase:
                data[name] = [] if isinstance(data[name], list) else ""
            elif data[name] in ("", []):
                del data[name]
        return data


class DefenderFilterForm(forms.Form):
    text = forms.CharField(label=_("Public name contains"), max_length=200, required=False)
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Any")), *Defender.Kind.choices], required=False)
    sector = SectorField(label=_("Sector"), queryset=Term.objects.none(), required=False, empty_label=_("Any"))
    gender = forms.ChoiceField(label=_("Gender"), choices=[("", _("Any")), *Defender.Gender.choices], required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sector"].queryset = sector_terms()  # type: ignore[attr-defined]
        countries = Defender._meta.get_field("country").formfield().choices  # type: ignore[union-attr]
        self.fields["country"].choices = [("", _("Any")), *[c for c in countries if c[0]]]  # type: ignore[attr-defined]

    def filters(self) -> DefenderFilters:
        """What the list shows, and an export of the list holds: one reading of the form for both."""
        if not self.is_bound:
            return DefenderFilters()
        data = self.cleaned_data
        return DefenderFilters(data["kind"], data["sector"], data["gender"], data["country"], data["text"].strip())


class ExactSearchForm(forms.Form):
    """Posted, never in a query string: the value searched for is as sensitive as the field."""

    field = forms.ChoiceField(
        label=_("Search in"), choices=[(name, field_label(Defender, name)) for name in SEARCHABLE_FIELDS]
    )
    value = forms.CharField(label=_("Exact value"), max_length=300)


class RevealForm(forms.Form):
    field = forms.MultipleChoiceField(label=_("Details to reveal"), choices=[])

    def __init__(self, *args: Any, choices: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["field"].choices = choices  # type: ignore[attr-defined]


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["scope", "mechanism", "given_on", "how"]
        widgets = {"given_on": forms.DateInput(attrs={"type": "date"})}


class WithdrawConsentForm(forms.Form):
    withdrawn_on = forms.DateField(
        label=_("Withdrawn on"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )


class TrustedContactForm(forms.Form):
    name = _text(TrustedContact, "name", 300)
    relationship = _text(TrustedContact, "relationship", 200)
    phone = _text(TrustedContact, "phone", 40)
    email = forms.EmailField(label=field_label(TrustedContact, "email"), max_length=254, required=False)
    language = TrustedContact._meta.get_field("language").formfield()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("name"):
            self.add_error("name", _("Give at least a name."))
        return cleaned

"""Forms of the directory: the list's filters, an operator's entry form (eligibility rules and
sources edited as JSON and validated), and the answers on the referral suggestions page."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .access import ActorFilters
from .eligibility import RULE_TYPES, validate_rules
from .models import ProtectionActor
from .regions import REGION_NAMES
from .suggest import NEEDS, YES_NO_ANSWERS
from .validation import source_problems

REGION_CHOICES = [(code, label) for code, label in REGION_NAMES.items()]
LANGUAGE_CHOICES = [(code, code) for code in sorted({code for code, _name in settings.LANGUAGES} | {"pt", "ru", "zh"})]


class ActorFilterForm(forms.Form):
    offer = forms.ChoiceField(label=_("Offer"), required=False, choices=[("", _("Any"))])
    region = forms.ChoiceField(label=_("Region"), required=False, choices=[("", _("Any")), *REGION_CHOICES])
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any"))])
    language = forms.CharField(label=_("Language code"), required=False, max_length=8)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["offer"].choices = [("", _("Any")), *ProtectionActor.Offer.choices]  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", _("Any")), *ProtectionActor.Kind.choices]  # type: ignore[attr-defined]

    def filters(self) -> ActorFilters:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        return ActorFilters(
            offer=data.get("offer", ""),
            region=data.get("region", ""),
            kind=data.get("kind", ""),
            language=(data.get("language") or "").strip().lower(),
        )


def _codes(text: str, upper: bool = False) -> list[str]:
    codes = [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]
    return [code.upper() if upper else code.lower() for code in codes]


class JSONListField(forms.CharField):
    """A JSON list typed into a text area; the page shows it pretty-printed."""

    widget = forms.Textarea(attrs={"rows": 8, "class": "code", "dir": "ltr", "spellcheck": "false"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return json.dumps(value, ensure_ascii=False, indent=2)
        return value

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return []
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as error:
            raise forms.ValidationError(
                _("This is not valid JSON (line %(line)s, column %(column)s)."),
                params={"line": error.lineno, "column": error.colno},
            ) from None
        if not isinstance(parsed, list):
            raise forms.ValidationError(_("Write a JSON list: [ ... ]."))
        return parsed


class ActorForm(forms.Form):
    slug = forms.SlugField(label=_("Short name"), max_length=80)
    name = forms.CharField(label=_("Name"), max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=ProtectionActor.Kind.choices)
    offers = forms.MultipleChoiceField(
        label=_("Offers"), choices=ProtectionActor.Offer.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    regions = forms.MultipleChoiceField(
        label=_("Regions"),
        choices=REGION_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: worldwide."),
    )
    countries = forms.CharField(
        label=_("Countries"),
        required=False,
        help_text=_("ISO codes separated by commas, e.g. CO, MX. Empty: every country of its regions."),
    )
    serves = forms.CharField(label=_("For whom"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    languages = forms.CharField(
        label=_("Languages"), required=False, help_text=_("Language codes separated by commas, e.g. en, es, fr.")
    )
    response_time_hours = forms.IntegerField(label=_("Typical response time (hours)"), required=False, min_value=1)
    how_to_reach = forms.CharField(
        label=_("How to reach"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Public contact channels only, as the organisation publishes them."),
    )
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    eligibility = JSONListField(label=_("Eligibility rules (JSON)"), required=False)
    # Not "required": an empty list gets the sentence saying what a source is (clean_sources).
    sources = JSONListField(
        label=_("Sources (JSON)"),
        required=False,
        help_text=_('A list of {"url", "title", "checked_on"}: where the organisation publishes its criteria.'),
    )
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["slug"]
        known = ", ".join(RULE_TYPES)
        self.fields["eligibility"].help_text = _("A list of rules; known rule types: %(known)s.") % {"known": known}

    @staticmethod
    def initial_from(actor: ProtectionActor) -> dict[str, Any]:
        return {
            "name": actor.name,
            "kind": actor.kind,
            "offers": actor.offers,
            "regions": actor.regions,
            "countries": ", ".join(actor.countries),
            "serves": actor.serves,
            "languages": ", ".join(actor.languages),
            "response_time_hours": actor.response_time_hours,
            "how_to_reach": actor.how_to_reach,
            "website": actor.website,
            "eligibility": actor.eligibility,
            "sources": actor.sources,
            "active": actor.active,
            "notes": actor.notes,
        }

    def clean_countries(self) -> list[str]:
        codes = _codes(self.cleaned_data["countries"], upper=True)
        bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
        if bad:
            raise forms.ValidationError(_("Not ISO country codes: %(codes)s."), params={"codes": ", ".join(bad)})
        return codes

    def clean_languages(self) -> list[str]:
        return _codes(self.cleaned_data["languages"])

    def clean_eligibility(self) -> list[Any]:
        rules = self.cleaned_data["eligibility"]
        problems = validate_rules(rules)
        if problems:
            raise forms.ValidationError(problems)
        return rules  # type: ignore[no-any-return]

    def clean_sources(self) -> list[Any]:
        sources = self.cleaned_data["sources"]
        problems = source_problems(sources)
        if problems:
            raise forms.ValidationError(problems)
        return sources  # type: ignore[no-any-return]


YES_NO = [("", _("Not known")), ("yes", _("Yes")), ("no", _("No"))]
ANSWER_LABELS = {
    "in_exile": _("Is the defender already in exile?"),
    "emergency": _("Is it an emergency?"),
    "family_to_accompany": _("Would family members come along?"),
    "will_return": _("Would the defender return home afterwards?"),
    "harm_serious_urgent_irreparable": _("Is the harm feared serious, urgent and irreparable?"),
    "domestic_remedies_tried": _("Were domestic remedies tried?"),
    "women_or_trans_led": _("Is the group or action led by women or trans people?"),
}


class SuggestionForm(forms.Form):
    needs = forms.MultipleChoiceField(
        label=_("What the defender needs"),
        choices=list(NEEDS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    amount = forms.DecimalField(
        label=_("Amount requested"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    currency = forms.CharField(
        label=_("Currency"), required=False, max_length=3, min_length=3, help_text=_("ISO code, e.g. USD, EUR.")
    )
    duration_months = forms.IntegerField(label=_("Time needed (months)"), required=False, min_value=1, max_value=120)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in YES_NO_ANSWERS:
            self.fields[name] = forms.ChoiceField(label=ANSWER_LABELS[name], choices=YES_NO, required=False)

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if currency and not currency.isalpha():
            raise forms.ValidationError(_("Write a three-letter currency code."))
        return currency  # type: ignore[no-any-return]

    def needs_and_answers(self) -> tuple[set[str], dict[str, Any]]:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        answers = {name: data.get(name) for name in (*YES_NO_ANSWERS, "amount", "currency", "duration_months")}
        return set(data.get("needs") or ()), answers

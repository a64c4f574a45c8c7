from __future__ import annotations

import re
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from salama.defenders.access import sector_terms
from salama.defenders.forms import SectorChoiceField
from salama.delivery.models import Suppression
from salama.orgs.models import Organization
from salama.vocab.models import Term

from .access import SubscriberFilters, member_organizations
from .models import Channel, ContactPoint, Subscriber

LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
MAX_CODES = 20


def clean_language_codes(text: str) -> list[str]:
    """Language codes in order of preference, such as "es, en, pt-br": the site's languages and
    any other a network writes in."""
    codes = list(dict.fromkeys(code.strip().lower() for code in re.split(r"[,\s]+", text or "") if code.strip()))
    bad = [code for code in codes if not LANGUAGE_CODE.match(code)]
    if bad:
        raise forms.ValidationError(
            _("Not a language code: %(codes)s. Use codes such as es, en or pt-br.") % {"codes": ", ".join(bad)}
        )
    if len(codes) > MAX_CODES:
        raise forms.ValidationError(_("At most %(count)d languages.") % {"count": MAX_CODES})
    return codes


class LanguagesField(forms.CharField):
    def __init__(self, **kwargs: Any) -> None:
        known = ", ".join(code for code, _name in settings.LANGUAGES)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text", _("Language codes in order of preference, separated by commas (for example: %s).") % known
        )
        super().__init__(max_length=200, **kwargs)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list) else value

    def clean(self, value: Any) -> list[str]:
        return clean_language_codes(super().clean(value))


def _countries(label: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, choices=list(countries), required=False)


def _regions(label: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label, choices=Organization.Region.choices, required=False, widget=forms.CheckboxSelectMultiple
    )


def _sectors(label: Any) -> SectorChoiceField:
    return SectorChoiceField(
        label=label, queryset=Term.objects.none(), required=False, widget=forms.CheckboxSelectMultiple
    )


class InterestsForm(forms.Form):
    """What a subscriber wants to hear about; also the public preferences page."""

    languages = LanguagesField(label=_("Languages"))
    countries = _countries(_("Countries of interest"))
    regions = _regions(_("Regions of interest"))
    sectors = _sectors(_("Sectors of interest"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sectors"].queryset = sector_terms()  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(subscriber: Subscriber) -> dict[str, Any]:
        return {
            "languages": subscriber.languages,
            "countries": subscriber.countries,
            "regions": subscriber.regions,
            "sectors": list(subscriber.sectors.all()),
        }


class SubscriberForm(InterestsForm):
    kind = forms.ChoiceField(label=_("Kind"), choices=Subscriber.Kind.choices)
    display_name = forms.CharField(label=_("Name"), max_length=200)
    affiliation = forms.CharField(label=_("Organisation or affiliation"), max_length=200, required=False)

    field_order = ["kind", "display_name", "affiliation", "languages", "countries", "regions", "sectors"]

    @staticmethod
    def initial_from(subscriber: Subscriber) -> dict[str, Any]:
        return {
            **InterestsForm.initial_from(subscriber),
            "kind": subscriber.kind,
            "display_name": subscriber.display_name,
            "affiliation": subscriber.affiliation,
        }


def _openpgp_key_field(help_text: Any) -> forms.CharField:
    return forms.CharField(
        label=_("OpenPGP public key"),
        required=False,
        max_length=200_000,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false", "autocomplete": "off"}),
        help_text=help_text,
    )


OPENPGP_HELP = _(
    "Optional, email only: the ASCII-armoured public key (-----BEGIN PGP PUBLIC KEY BLOCK-----). "
    "Messages to this address are then encrypted to it, never sent in clear. Leave empty for none."
)


class ContactPointForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    address = forms.CharField(
        label=_("Address"), max_length=500, help_text=_("An email address, or the https:// address of a webhook.")
    )
    consent_how = forms.ChoiceField(
        label=_("How consent was given"),
        choices=[
            (value, label) for value, label in ContactPoint.ConsentHow.choices if value in ContactPoint.STAFF_CONSENT
        ],
    )
    consent = forms.BooleanField(
        label=_("This person or organisation agreed to receive our messages at this address."), required=True
    )
    openpgp_key = _openpgp_key_field(OPENPGP_HELP)


class EditContactPointForm(forms.Form):
    address = forms.CharField(
        label=_("Address"), max_length=500, help_text=_("A changed address must be verified again.")
    )
    active = forms.BooleanField(label=_("Active"), required=False)
    openpgp_key = _openpgp_key_field(OPENPGP_HELP)


class OpenPGPKeyForm(forms.Form):
    """A recipient registers their own key from the preferences page."""

    openpgp_key = _openpgp_key_field(
        _(
            "Paste your ASCII-armoured public key to receive our messages encrypted; leave empty and save "
            "to stop encryption. Never paste your private key."
        )
    )


class VerifyForm(forms.Form):
    reason = forms.CharField(
        label=_("How did you confirm this address?"),
        max_length=200,
        help_text=_("For example: confirmed by phone with the person. This is kept in the audit log."),
    )


class SubscriberFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", _("Any")), *Subscriber.Kind.choices], required=False)
    country = forms.ChoiceField(label=_("Country"), choices=[("", _("Any")), *countries], required=False)
    region = forms.ChoiceField(
        label=_("Region"), choices=[("", _("Any")), *Organization.Region.choices], required=False
    )
    language = forms.CharField(label=_("Language code"), max_length=12, required=False)

    def filters(self) -> SubscriberFilters:
        if not self.is_bound or not self.is_valid():
            return SubscriberFilters()
        data = self.cleaned_data
        return SubscriberFilters(data["kind"], data["country"], data["region"], data["language"].strip().lower())


class AddressSearchForm(forms.Form):
    address = forms.CharField(label=_("Exact address"), max_length=500)


class RuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    member_organizations = forms.ModelMultipleChoiceField(
        label=_("All members of these organisations"),
        queryset=Organization.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    subscriber_kinds = forms.MultipleChoiceField(
        label=_("And subscribers of these kinds"),
        choices=Subscriber.Kind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    countries = _countries(_("Only subscribers interested in one of these countries"))
    regions = _regions(_("Only subscribers interested in one of these regions"))
    sectors = _sectors(_("Only subscribers interested in one of these sectors"))
    languages = LanguagesField(
        label=_("Only people who read one of these languages"),
        help_text=_("Language codes separated by commas; applies to members too (their account language)."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member_organizations"].queryset = member_organizations()  # type: ignore[attr-defined]
        self.fields["sectors"].queryset = sector_terms()  # type: ignore[attr-defined]

    @staticmethod
    def initial_from(rule: Any) -> dict[str, Any]:
        return {
            "name": rule.name,
            "member_organizations": list(rule.member_organizations.all()),
            "subscriber_kinds": rule.subscriber_kinds,
            "countries": rule.countries,
            "regions": rule.regions,
            "sectors": list(rule.sectors.all()),
            "languages": rule.languages,
        }


class ConfirmForm(forms.Form):
    """A POST with nothing but its CSRF token: link scanners that follow GETs change nothing."""


class SuppressionFilterForm(forms.Form):
    channel = forms.ChoiceField(label=_("Channel"), choices=[("", _("Any")), *Channel.choices], required=False)
    reason = forms.ChoiceField(label=_("Why"), choices=[("", _("Any")), *Suppression.Reason.choices], required=False)

    def values(self) -> tuple[str, str]:
        if not self.is_bound or not self.is_valid():
            return "", ""
        return self.cleaned_data["channel"], self.cleaned_data["reason"]


class LiftForm(forms.Form):
    note = forms.CharField(
        label=_("Why may this address be used again?"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: the mailbox was full and has been emptied. This is kept in the audit log."),
    )

"""The analysis page's form: what to count, cut by what, which incidents, and which periods to
compare. Read from the query string (GET), so a view can be bookmarked and works without
JavaScript."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from salama.defenders.access import SECTORS_VOCABULARY
from salama.defenders.models import Defender
from salama.directory.regions import REGION_NAMES
from salama.incidents.access import terms_in
from salama.incidents.models import PERPETRATOR_TYPES, SOURCE_RELIABILITY, VICTIM_STATUS, VIOLATION_TYPES

from .dimensions import NOT_RECORDED, NOT_RECORDED_LABEL, choices
from .query import Filters, Period
from .tables import ACTS, INCIDENTS, VICTIMS

UNIT_CHOICES = [
    (INCIDENTS, _("Incidents")),
    (VICTIMS, _("Victims")),
    (ACTS, _("Acts (each violation against a victim)")),
]
DEPTH_CHOICES = [(0, _("Broadest terms")), (1, _("One level narrower")), (2, _("Two levels narrower"))]

# Filter field, vocabulary (or None) and the Filters attribute it fills.
TERM_FILTERS = (
    ("sectors", SECTORS_VOCABULARY),
    ("violations", VIOLATION_TYPES),
    ("perpetrator_types", PERPETRATOR_TYPES),
    ("victim_statuses", VICTIM_STATUS),
    ("source_reliabilities", SOURCE_RELIABILITY),
)


def _term_choices(vocabulary: str) -> list[tuple[str, str]]:
    return [(term.code, "\u2003" * term.depth + term.label()) for term in terms_in(vocabulary)]


def _multiple(label: Any) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(label=label, required=False, widget=forms.SelectMultiple(attrs={"size": 6}))


def _date(label: Any) -> forms.DateField:
    return forms.DateField(label=label, required=False, widget=forms.DateInput(attrs={"type": "date"}))


# What the analysis shows before anything is chosen: the page, its downloads and the report alike.
DEFAULT_PARAMETERS = {"unit": INCIDENTS, "rows": "year"}


class AnalysisForm(forms.Form):
    unit = forms.ChoiceField(label=_("Count"), choices=UNIT_CHOICES, initial=INCIDENTS)
    rows = forms.ChoiceField(label=_("Rows"), initial="year")
    columns = forms.ChoiceField(label=_("Columns (cross-tabulation)"), required=False)
    depth = forms.TypedChoiceField(
        label=_("Roll vocabularies up to"),
        choices=DEPTH_CHOICES,
        coerce=int,
        initial=0,
        required=False,
        empty_value=None,
    )
    network = forms.BooleanField(
        label=_("Network level: also count the organisations that opted in to sharing aggregates"), required=False
    )
    date_from = _date(_("From"))
    date_to = _date(_("To"))
    countries = _multiple(_("Countries"))
    regions = _multiple(_("Regions"))
    sectors = _multiple(_("Sectors of work"))
    violations = _multiple(_("Violations (with narrower ones)"))
    perpetrator_types = _multiple(_("Types of perpetrator (with narrower ones)"))
    genders = _multiple(_("Genders of the victims"))
    victim_statuses = _multiple(_("Status of the victims"))
    source_reliabilities = _multiple(_("Reliability of the sources"))
    compare_from = _date(_("Compare with the period from"))
    compare_to = _date(_("to"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        dimensions = [(code, label) for code, label in choices()]
        self.fields["rows"].choices = dimensions  # type: ignore[attr-defined]
        self.fields["columns"].choices = [("", _("None: one dimension")), *dimensions]  # type: ignore[attr-defined]
        self.fields["countries"].choices = list(countries)  # type: ignore[attr-defined]
        self.fields["regions"].choices = [(code, name) for code, name in REGION_NAMES.items()]  # type: ignore[attr-defined]
        genders = [(value, label) for value, label in Defender.Gender.choices if value != Defender.Gender.UNKNOWN]
        self.fields["genders"].choices = [*genders, (NOT_RECORDED, NOT_RECORDED_LABEL)]  # type: ignore[attr-defined]
        for name, vocabulary in TERM_FILTERS:
            self.fields[name].choices = _term_choices(vocabulary)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("columns") and data.get("columns") == data.get("rows"):
            self.add_error("columns", _("Choose a dimension other than the rows."))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the period cannot be before its start."))
        other_start, other_end = data.get("compare_from"), data.get("compare_to")
        if bool(other_start) != bool(other_end):
            self.add_error("compare_to", _("Give both the start and the end of the period to compare with."))
        elif other_start and other_end:
            self._check_comparison(data, other_start, other_end)
        return data

    def _check_comparison(self, data: dict[str, Any], other_start: Any, other_end: Any) -> None:
        start, end = data.get("date_from"), data.get("date_to")
        if other_end < other_start:
            self.add_error("compare_to", _("The end of the period cannot be before its start."))
        elif not (start and end):
            self.add_error("date_from", _("To compare two periods, give the first one here (from and to)."))
        elif data.get("columns"):
            self.add_error("columns", _("A comparison of two periods has one dimension: leave the columns empty."))
        elif start <= other_end and other_start <= end:
            self.add_error("compare_from", _("The two periods overlap: choose periods that do not."))

    def filters(self) -> Filters:
        data = self.cleaned_data
        return Filters(
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            **{name: tuple(data.get(name) or ()) for name in FILTER_NAMES},
        )

    def periods(self) -> tuple[Period, Period] | None:
        data = self.cleaned_data
        if not data.get("compare_from"):
            return None
        return Period(data["date_from"], data["date_to"]), Period(data["compare_from"], data["compare_to"])


FILTER_NAMES = (
    "countries",
    "regions",
    "sectors",
    "violations",
    "perpetrator_types",
    "genders",
    "victim_statuses",
    "source_reliabilities",
)


class SharingForm(forms.Form):
    opted_in = forms.BooleanField(
        label=_("Count our incidents in network-level aggregates"),
        required=False,
        help_text=_(
            "Only counts ever leave the organisation, never a record; small counts are hidden. "
            "You can opt out at any time."
        ),
    )

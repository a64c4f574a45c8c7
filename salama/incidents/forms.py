"""Forms for recording and editing an incident without JavaScript: one form for the incident
and a fixed-size formset per kind of row; "add another" is a server round trip (see views)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django import forms
from django.forms.formsets import BaseFormSet, formset_factory
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from salama.defenders.access import defenders_of
from salama.orgs.models import Membership
from salama.vocab.models import Term

from . import access
from .actions import MAX_ROWS, PUBLIC_FIELDS, REVEALABLE
from .models import Act, Incident, IncidentLink, Perpetrator, Source, Victim


def field_label(model: Any, name: str) -> Any:
    return capfirst(model._meta.get_field(name).verbose_name)


class TermField(forms.ModelChoiceField):
    """Labels in the reader's language, indented by depth so the hierarchy shows in a select."""

    def label_from_instance(self, obj: Any) -> str:
        return "\u2003" * obj.depth + str(obj.label())


def _term_field(model: Any, name: str, *, required: bool) -> TermField:
    # The queryset is set per form: vocabularies may be loaded after this module is imported.
    return TermField(label=field_label(model, name), queryset=Term.objects.none(), required=required)


def _secret(name: str, max_length: int, help_text: Any, rows: int = 0) -> forms.CharField:
    widget = forms.Textarea(attrs={"rows": rows}) if rows else forms.TextInput(attrs={"autocomplete": "off"})
    return forms.CharField(
        label=field_label(Incident, name), max_length=max_length, required=False, widget=widget, help_text=help_text
    )


class IncidentForm(forms.ModelForm):
    coordinates = _secret("coordinates", 60, _("Latitude and longitude, e.g. 4.60,-74.08. Encrypted."))
    narrative = _secret("narrative", 50_000, _("What happened. Encrypted."), rows=6)
    relation_to_work = _secret(
        "relation_to_work", 10_000, _("How the incident relates to the victim's human-rights work. Encrypted."), rows=3
    )

    class Meta:
        model = Incident
        fields = [
            "title",
            "date_start",
            "date_end",
            "date_precision",
            "country",
            "admin_area",
            "place",
            "coordinates",
            "narrative",
            "relation_to_work",
        ]
        # A date input takes ISO dates whatever the reader's language (an edit form shows dates).
        widgets = {
            "date_start": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_end": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def clean_coordinates(self) -> str:
        value = (self.cleaned_data.get("coordinates") or "").replace(" ", "")
        if not value:
            return ""
        try:
            lat, lon = (float(part) for part in value.split(","))
        except ValueError:
            raise forms.ValidationError(_("Give latitude and longitude separated by a comma.")) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            raise forms.ValidationError(_("Latitude is between -90 and 90, longitude between -180 and 180."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_start"), cleaned.get("date_end")
        if start and end and end < start:
            self.add_error("date_end", _("The end of the period cannot be before its start."))
        return cleaned

    def _post_clean(self) -> None:
        # The instance is built by the action, not here: nothing to validate against the model.
        pass


def _keep() -> forms.IntegerField:
    # Editing: the recorded row this one continues, whose hidden detail it keeps when left empty.
    return forms.IntegerField(required=False, min_value=0, max_value=MAX_ROWS - 1, widget=forms.HiddenInput)


class ActForm(forms.Form):
    violation = _term_field(Act, "violation", required=True)
    victim = forms.TypedChoiceField(label=_("Victim"), required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, victim_rows: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["violation"].queryset = access.violation_terms()  # type: ignore[attr-defined]
        self.fields["victim"].choices = [  # type: ignore[attr-defined]
            ("", _("Not said")),
            *[(str(i), _("Victim %(number)d") % {"number": i + 1}) for i in range(victim_rows)],
        ]


class VictimForm(forms.Form):
    defender = forms.ModelChoiceField(
        label=_("Defender on record"), queryset=Victim.objects.none(), required=False, empty_label=_("Someone else")
    )
    other_name = forms.CharField(
        label=_("Or: name of someone else"), max_length=300, required=False, help_text=_("Encrypted.")
    )
    status = _term_field(Victim, "status", required=False)
    keep = _keep()

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["defender"].queryset = defenders_of(membership)  # type: ignore[attr-defined]
        self.fields["status"].queryset = access.status_terms()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        named = cleaned.get("defender") or cleaned.get("other_name") or cleaned.get("keep") is not None
        if self.has_changed() and not named:
            self.add_error("defender", _("Choose a defender or give the victim's name."))
        return cleaned


class PerpetratorForm(forms.Form):
    type = _term_field(Perpetrator, "type", required=True)
    named_actor = forms.CharField(
        label=field_label(Perpetrator, "named_actor"), max_length=300, required=False, help_text=_("Encrypted.")
    )
    involvement = _term_field(Perpetrator, "involvement", required=False)
    keep = _keep()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].queryset = access.perpetrator_terms()  # type: ignore[attr-defined]
        self.fields["involvement"].queryset = access.involvement_terms()  # type: ignore[attr-defined]


class SourceForm(forms.Form):
    kind = forms.ChoiceField(label=field_label(Source, "kind"), choices=[("", "—"), *Source.Kind.choices])
    reliability = _term_field(Source, "reliability", required=True)
    description = forms.CharField(
        label=field_label(Source, "description"),
        max_length=5_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Encrypted."),
    )
    keep = _keep()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reliability"].queryset = access.reliability_terms()  # type: ignore[attr-defined]


class RowFormSet(BaseFormSet):  # type: ignore[type-arg]
    """Every row is optional (a blank row is skipped), including rows re-shown with what was
    typed after an "add another" round trip."""

    def initial_form_count(self) -> int:
        return 0 if not self.is_bound else super().initial_form_count()

    def add_fields(self, form: forms.Form, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = _("Remove this row")


ROWS: dict[str, type[forms.Form]] = {
    "victims": VictimForm,
    "acts": ActForm,
    "perpetrators": PerpetratorForm,
    "sources": SourceForm,
}


def row_formset(
    kind: str,
    rows: int,
    *,
    data: Any = None,
    initial: list[dict[str, Any]] | None = None,
    editing: bool = False,
    **form_kwargs: Any,
) -> RowFormSet:
    """Editing, each row can be removed: a recorded row whose details are hidden looks blank."""
    cls = formset_factory(
        ROWS[kind],
        formset=RowFormSet,
        extra=rows,
        max_num=MAX_ROWS,
        absolute_max=MAX_ROWS,
        validate_max=True,
        can_delete=editing,
    )
    formset: RowFormSet = cls(data, initial=initial, prefix=kind, form_kwargs=form_kwargs)  # type: ignore[assignment]
    return formset


class EditIncidentForm(IncidentForm):
    """Protected details are not in the form unless revealed for it (an audited reveal): opening
    them on every edit would be an unaudited reveal. Hidden, an empty protected field keeps what
    is recorded and a value replaces it; shown, the form holds them all, so emptying one erases
    it."""

    shown = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.protected_shown:
            for name in access.ENCRYPTED_FIELDS:
                self.fields[name].help_text = _("Hidden. Leave empty to keep what is recorded; type to replace it.")

    @property
    def protected_shown(self) -> bool:
        return bool(self.fields["shown"].to_python(self["shown"].value()))

    @staticmethod
    def initial_from(incident: Incident, shown: bool) -> dict[str, Any]:
        names = (*PUBLIC_FIELDS, *(access.ENCRYPTED_FIELDS if shown else ()))
        return {**{name: getattr(incident, name) for name in names}, "shown": shown}

    def changes(self) -> dict[str, Any]:
        """The fields to write: public ones always, protected ones when shown or typed."""
        data = dict(self.cleaned_data)
        del data["shown"]
        if not self.protected_shown:
            for name in access.ENCRYPTED_FIELDS:
                if not data[name]:
                    del data[name]
        return data


# Each kind of row with a protected detail: the fields coded in clear, and the protected one.
ROW_DETAILS = {
    "victims": (("defender", "status"), "other_name"),
    "perpetrators": (("type", "involvement"), "named_actor"),
    "sources": (("kind", "reliability"), "description"),
}


def _recorded(incident: Incident) -> dict[str, list[Any]]:
    return {kind: list(getattr(incident, kind).all()) for kind in ROW_DETAILS}


def initial_rows(incident: Incident, shown: bool) -> dict[str, list[dict[str, Any]]]:
    """The recorded rows as the edit formsets show them; protected details only when shown."""
    recorded = _recorded(incident)
    rows: dict[str, list[dict[str, Any]]] = {}
    for kind, (coded, secret) in ROW_DETAILS.items():
        names = (*coded, secret) if shown else coded
        rows[kind] = [
            {**{name: getattr(row, row._meta.get_field(name).attname) for name in names}, "keep": keep}
            for keep, row in enumerate(recorded[kind])
        ]
    positions = {victim.pk: i for i, victim in enumerate(recorded["victims"])}
    rows["acts"] = [
        {"violation": act.violation_id, "victim": positions.get(act.victim_id)} for act in incident.acts.all()
    ]
    return rows


def keep_recorded(rows: Mapping[str, list[dict[str, Any]]], incident: Incident) -> Mapping[str, list[dict[str, Any]]]:
    """Hidden details: a row left without its protected detail keeps the one of the recorded row
    it continues, so saving a form that never showed them loses nothing."""
    recorded = _recorded(incident)
    for kind, (_coded, secret) in ROW_DETAILS.items():
        for row in rows[kind]:
            keep = row.get("keep")
            if not row.get(secret) and keep is not None and keep < len(recorded[kind]):
                row[secret] = getattr(recorded[kind][keep], secret)
    return rows


class IncidentFilterForm(forms.Form):
    violation = TermField(label=_("Violation (with narrower ones)"), queryset=Term.objects.none(), required=False)
    perpetrator_type = TermField(label=_("Type of perpetrator"), queryset=Term.objects.none(), required=False)
    country = forms.ChoiceField(label=_("Country"), required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["violation"].queryset = access.violation_terms()  # type: ignore[attr-defined]
        self.fields["perpetrator_type"].queryset = access.perpetrator_terms()  # type: ignore[attr-defined]
        countries = Incident._meta.get_field("country").formfield().choices  # type: ignore[union-attr]
        self.fields["country"].choices = [("", _("Any")), *[c for c in countries if c[0]]]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end of the range cannot be before its start."))
        return cleaned

    def filters(self) -> access.IncidentFilters:
        """What the list shows, and an export of the list holds: one reading of the form for both."""
        data = self.cleaned_data if self.is_bound else {}
        return access.IncidentFilters(
            violation=data.get("violation"),
            perpetrator_type=data.get("perpetrator_type"),
            country=data.get("country") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


class RevealForm(forms.Form):
    field = forms.MultipleChoiceField(label=_("Details to reveal"), choices=[(name, name) for name in REVEALABLE])


class LinkForm(forms.Form):
    to_incident = forms.UUIDField(label=_("Incident to link to (its identifier)"))
    kind = forms.ChoiceField(label=field_label(IncidentLink, "kind"), choices=IncidentLink.Kind.choices)

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from .kinds import importable_by
from .rows import EMPTY, ImportKind

# A 100,000-row register (reading.MAX_ROWS) with a dozen short columns is about 15 MB; the
# request limit (MAX_REQUEST_BYTES, 25 MB by default) still caps it, with room for the form.
MAX_FILE_BYTES = 20 * 1024 * 1024


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("What the file holds"), choices=[])
    file = forms.FileField(
        label=_("File"),
        help_text=_("CSV in UTF-8, or Excel (.xlsx). The first row names the columns."),
    )

    def __init__(self, *args: Any, role: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only the kinds this role may import are offered, and so accepted.
        self.fields["kind"].choices = [(kind.code, kind.label) for kind in importable_by(role)]  # type: ignore[attr-defined]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        limit = min(MAX_FILE_BYTES, settings.MAX_REQUEST_BYTES)
        if upload.size > limit:
            raise forms.ValidationError(_("The file is larger than %(max)s.") % {"max": filesizeformat(limit)})
        return upload


class MappingForm(forms.Form):
    save_as = forms.CharField(
        label=_("Save these choices as"),
        max_length=100,
        required=False,
        help_text=_("Optional. A name to reuse these column choices with the next file."),
    )

    def __init__(self, *args: Any, kind: ImportKind, headers: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", _("(nothing)")), *[(header, header) for header in headers]]
        self.kind = kind
        self.fixable = {spec.name for spec in kind.fixable_fields()}
        order = []
        for spec in kind.fields:
            # A required field that may take one value for every row is checked in clean().
            self.fields[f"field_{spec.name}"] = forms.ChoiceField(
                label=str(spec.label), choices=choices, required=spec.required and spec.name not in self.fixable
            )
            order.append(f"field_{spec.name}")
            if spec.name in self.fixable:
                self.fields[f"fixed_{spec.name}"] = forms.CharField(
                    label=_("or the same value for every row"),
                    required=False,
                    max_length=spec.max_length or 200,
                    help_text=_("Used when no column is chosen, for example the case a whole file belongs to."),
                )
                order.append(f"fixed_{spec.name}")
        self.order_fields(order)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for spec in self.kind.fields:
            given = cleaned.get(f"field_{spec.name}") or (cleaned.get(f"fixed_{spec.name}") or "").strip()
            if spec.required and spec.name in self.fixable and not given:
                self.add_error(f"field_{spec.name}", _("Choose a column or give a value for every row."))
        return cleaned

    def mapping(self) -> dict[str, str]:
        return {
            spec.name: self.cleaned_data[f"field_{spec.name}"]
            for spec in self.kind.fields
            if self.cleaned_data.get(f"field_{spec.name}")
        }

    def fixed(self) -> dict[str, str]:
        """Values for every row, for the fields no column fills."""
        return {
            name: self.cleaned_data[f"fixed_{name}"].strip()
            for name in self.fixable
            if (self.cleaned_data.get(f"fixed_{name}") or "").strip() and not self.cleaned_data.get(f"field_{name}")
        }


class VocabForm(forms.Form):
    """One choice per unknown value: a known term, or "leave empty"."""

    def __init__(
        self, *args: Any, kind: ImportKind, unknown: dict[str, list[str]], chosen: dict[str, Any], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.slots: list[tuple[str, str, str]] = []
        for name, values in unknown.items():
            spec = kind.field(name)
            choices = [("", _("(choose)")), (EMPTY, _("Leave empty")), *kind.choices(name)]
            for index, value in enumerate(values):
                key = f"{name}__{index}"
                self.fields[key] = forms.ChoiceField(
                    label=f"{spec.label}: “{value}”",
                    choices=choices,
                    required=False,
                    initial=chosen.get(name, {}).get(value.casefold(), ""),
                )
                self.slots.append((key, name, value))

    def choices(self) -> dict[str, dict[str, str]]:
        result: dict[str, dict[str, str]] = {}
        for key, name, value in self.slots:
            if self.cleaned_data.get(key):
                result.setdefault(name, {})[value] = self.cleaned_data[key]
        return result


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        label=_("Format"), choices=[("csv", "CSV"), ("xlsx", _("Excel (.xlsx)")), ("json", "JSON")]
    )
    deidentified = forms.BooleanField(
        label=_("De-identified"),
        required=False,
        initial=True,
        help_text=_(
            "No protected details and no identifiers; names and titles replaced by pseudonyms; dates to the month;"
            " places to country and region. A full export needs the right to reveal. Every export needs a fresh"
            " confirmation with your second factor."
        ),
    )

"""How forms are drawn.

Django draws every `<option>` of a select through two template includes. The country filter
alone has some 250 options, so list pages spent most of their time there; `Renderer` writes
selects directly, with the same markup the templates produce, and leaves every other widget to
Django's templates.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.forms.renderers import DjangoTemplates
from django.http import HttpRequest
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

SELECT_TEMPLATES = frozenset({"django/forms/widgets/select.html"})
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _attrs(attrs: dict[str, Any]) -> str:
    """As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name."""
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(f" {escape(name)}" if value is True else f' {escape(name)}="{escape(str(value))}"')
    return "".join(parts)


def _option(option: dict[str, Any]) -> str:
    # select_option.html ends with a newline, which the select keeps after every option.
    value, label = escape(str(option["value"])), escape(option["label"])
    return f'\n  <option value="{value}"{_attrs(option["attrs"])}>{label}</option>\n'


def render_select(widget: dict[str, Any]) -> SafeString:
    """The markup of django/forms/widgets/select.html, byte for byte; every value is escaped."""
    parts = [f'<select name="{escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{escape(group_name)}">')
        parts.extend(_option(option) for option in group_choices)
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return mark_safe("".join(parts))  # noqa: S308


class Renderer(DjangoTemplates):
    def render(self, template_name: str, context: dict[str, Any], request: HttpRequest | None = None) -> str:
        if template_name in SELECT_TEMPLATES and self._plain_options(context["widget"]):
            return render_select(context["widget"])
        return super().render(template_name, context, request)

    @staticmethod
    def _plain_options(widget: dict[str, Any]) -> bool:
        """Only options drawn by Django's own option template are written directly."""
        return all(
            option["template_name"] == OPTION_TEMPLATE
            for _name, choices, _index in widget["optgroups"]
            for option in choices
        )


def add_action_errors(form: Any, error: ValidationError) -> None:
    """An action's refusal (salama.<app>.actions raise ValidationError), shown on the form:
    on the fields it names when the form has them, else above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, errors in error.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)

"""Selects drawn directly must be exactly what Django's templates draw."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django_countries import countries
from django_countries.fields import LazyTypedChoiceField

from salama.core.forms import Renderer

GROUPED = [("", "—"), ("Americas", [("co", "Colombia"), ("mx", "México")]), ("ke", "Kenya <\"&'>")]


class Sample(forms.Form):
    country = LazyTypedChoiceField(choices=[("", "Any country"), *countries])
    grouped = forms.ChoiceField(choices=GROUPED, required=False, widget=forms.Select(attrs={"data-x": "1 < 2"}))
    several = forms.MultipleChoiceField(choices=GROUPED, required=False)
    flag = forms.ChoiceField(choices=[("1", "One")], widget=forms.Select(attrs={"autofocus": True, "hidden": False}))


@pytest.mark.parametrize(
    "data",
    [None, {"country": "CO", "grouped": "mx", "several": ["co", "ke"], "flag": "1"}, {"grouped": "<script>"}],
)
def test_selects_match_the_templates(data):  # type: ignore[no-untyped-def]
    form = Sample(data)
    for field in form:
        expected = field.field.widget.render(
            field.html_name, field.value(), field.build_widget_attrs({}), DjangoTemplates()
        )
        drawn = field.field.widget.render(field.html_name, field.value(), field.build_widget_attrs({}), Renderer())
        assert drawn == expected, field.name


def test_the_renderer_is_in_use_and_escapes():  # type: ignore[no-untyped-def]
    html = str(Sample({"grouped": "ke"})["grouped"])
    assert '<option value="ke" selected>Kenya &lt;&quot;&amp;&#x27;&gt;</option>' in html
    assert 'data-x="1 &lt; 2"' in html

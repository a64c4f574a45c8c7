from __future__ import annotations

from typing import Any

from django import forms
from django.conf.locale import LANG_INFO
from django.utils.translation import gettext_lazy as _

from salama.core.permissions import Role

from .models import Organization

LANGUAGE_CHOICES = sorted(
    ((code, info["name"]) for code, info in LANG_INFO.items() if "name" in info and "-" not in code),
    key=lambda pair: pair[1],
)


class OrganizationForm(forms.ModelForm):
    languages = forms.MultipleChoiceField(
        label=_("Working languages"),
        choices=LANGUAGE_CHOICES,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )

    class Meta:
        model = Organization
        fields = ["name", "kind", "country", "region", "languages", "description"]


class NewOrganizationForm(OrganizationForm):
    first_admin_email = forms.EmailField(label=_("Email of its first admin"))

    class Meta(OrganizationForm.Meta):
        fields = ["name", "slug", "kind", "country", "region", "languages", "description"]


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.CASEWORKER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class SwitchForm(forms.Form):
    organization = forms.SlugField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

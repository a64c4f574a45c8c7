from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.forms import PasswordChangeForm, PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from salama.core.jobs import enqueue

from .actions import do_set_password_by_reset
from .models import User


class SignInForm(forms.Form):
    # Named "username" because the login throttle reads that field.
    username = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=16,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "spellcheck": "false"}
        ),
        help_text=_("The 6-digit code from your authenticator app, or one of your backup codes."),
    )

    def clean_code(self) -> str:
        return "".join(self.cleaned_data["code"].split()).lower()


class EnrolForm(CodeForm):
    code = forms.CharField(
        label=_("Code from the app"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "spellcheck": "false"}),
        help_text=_("After adding Salama to your authenticator app, type the 6-digit code it shows."),
    )
    name = forms.CharField(label=_("Name for this authenticator"), max_length=64, required=False)


class NewAccountForm(forms.Form):
    """Used by an invited person who has no account yet."""

    display_name = forms.CharField(label=_("Your name"), max_length=150)
    password1 = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validation.password_validators_help_text_html(),
    )
    password2 = forms.CharField(
        label=_("Password again"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def __init__(self, *args: Any, email: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            try:
                password_validation.validate_password(
                    first, User(email=self.email, display_name=data.get("display_name", ""))
                )
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ChangePasswordForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # It sits halfway down the security page: focus must not jump there on every visit.
        self.fields["old_password"].widget.attrs.pop("autofocus", None)


class ResetRequestForm(PasswordResetForm):
    def save(
        self,
        domain_override: str | None = None,
        *args: Any,
        request: Any = None,
        use_https: bool = False,
        **kwargs: Any,
    ) -> None:  # type: ignore[override]
        """Queue the mail; the job derives the link itself, so no secret waits in the queue."""
        for user in self.get_users(self.cleaned_data["email"]):
            enqueue("accounts.password_reset_mail", {"user_id": user.pk}, priority=10)


class ResetPasswordForm(SetPasswordForm):
    def save(self, commit: bool = True) -> Any:
        do_set_password_by_reset(self.user, self.cleaned_data["new_password1"])  # type: ignore[arg-type]
        return self.user


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"), max_length=100, help_text=_('What will use it, for example "reporting script".')
    )
    organization = forms.ChoiceField(label=_("Organisation"))
    days = forms.IntegerField(
        label=_("Valid for (days)"), min_value=1, max_value=settings.API_TOKEN_MAX_DAYS, initial=90
    )

    def __init__(self, *args: Any, organizations: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organization"].choices = organizations  # type: ignore[attr-defined]

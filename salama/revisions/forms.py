from django import forms
from django.utils.translation import gettext_lazy as _


class CommentForm(forms.Form):
    """The optional comment on a change, for an edit page whose own form has no room for it. It
    is kept encrypted on the revision (salama.revisions.actions.record_revision)."""

    comment = forms.CharField(
        label=_("Comment on this change"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Optional. Shown in the history, hidden like the protected details."),
    )

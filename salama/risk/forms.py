"""Forms of the guided assessment (one per step, one item per post) and of protection plans."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from salama.accounts.models import User
from salama.cases.models import Case
from salama.vocab.models import Term

from .access import REVEALABLE
from .models import Capacity, Domain, Measure, ReviewTrigger, RiskAssessment, Threat, Vulnerability
from .plans import template_choices

DATE = {"type": "date"}


def _label(model: Any, name: str) -> Any:
    return capfirst(model._meta.get_field(name).verbose_name)


def _score(model: Any, name: str) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=_label(model, name), choices=[(n, str(n)) for n in range(1, 6)], coerce=int, initial=3
    )


def _text(model: Any, name: str, rows: int = 3, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=_label(model, name),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": rows}),
        help_text=help_text,
    )


class TermChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return "\u2003" * obj.depth + str(obj.label())


class CaseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.reference} {obj.title}"


class ContextForm(forms.Form):
    """Step 1. `context` left empty while editing keeps what is recorded (it is not shown)."""

    assessed_on = forms.DateField(label=_label(RiskAssessment, "assessed_on"), widget=forms.DateInput(DATE))
    confidence = forms.ChoiceField(
        label=_label(RiskAssessment, "confidence"),
        choices=RiskAssessment.Confidence.choices,
        initial=RiskAssessment.Confidence.MEDIUM,
        help_text=_("How sure the assessment is, given what is known and how it was learnt."),
    )
    case = CaseChoiceField(label=_label(RiskAssessment, "case"), queryset=Case.objects.none(), required=False)
    context = _text(
        RiskAssessment,
        "context",
        rows=4,
        help_text=_("Encrypted. The defender's work, situation and recent events that frame the assessment."),
    )

    copy_previous = forms.BooleanField(
        label=_("Start from the latest completed assessment"),
        required=False,
        initial=True,
        help_text=_("Its threats that are not closed, its vulnerabilities and capacities, to score again."),
    )

    def __init__(
        self,
        *args: Any,
        cases: QuerySet[Case],
        context_recorded: bool = False,
        can_copy: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        case_field: Any = self.fields["case"]
        case_field.queryset = cases
        if not can_copy:
            del self.fields["copy_previous"]
        if context_recorded:
            self.fields["context"].help_text = _("A context is recorded and stays hidden. Leave empty to keep it.")


class ThreatForm(forms.Form):
    """Step 2, one threat per post. Initial values let an untouched form count as empty."""

    kind = forms.ChoiceField(label=_label(Threat, "kind"), choices=Threat.Kind.choices, initial=Threat.Kind.DECLARED)
    perpetrator_type = TermChoiceField(
        label=_label(Threat, "perpetrator_type"), queryset=Term.objects.none(), required=False
    )
    named_actor = forms.CharField(
        label=_label(Threat, "named_actor"),
        required=False,
        max_length=500,
        help_text=_("Encrypted. Only when it is known."),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    means = forms.ChoiceField(label=_label(Threat, "means"), choices=Threat.Means.choices, initial=Threat.Means.OTHER)
    first_seen_on = forms.DateField(label=_label(Threat, "first_seen_on"), required=False, widget=forms.DateInput(DATE))
    last_seen_on = forms.DateField(label=_label(Threat, "last_seen_on"), required=False, widget=forms.DateInput(DATE))
    facts = _text(Threat, "facts", help_text=_("Encrypted. What happened, as precisely as is known."))
    pattern = _text(Threat, "pattern", help_text=_("Encrypted. Earlier threats or incidents, and how they changed."))
    objective = _text(Threat, "objective", help_text=_("Encrypted. What the threat seems to want the defender to do."))
    author = _text(Threat, "author", help_text=_("Encrypted. Who is behind it, and how sure that is."))
    feasibility = _text(
        Threat, "feasibility", help_text=_("Encrypted. Whether its author has the means and will to carry it out.")
    )
    conclusion = _text(Threat, "conclusion", help_text=_("Encrypted. What the analysis concludes."))
    likelihood = _score(Threat, "likelihood")
    impact = _score(Threat, "impact")
    status = forms.ChoiceField(
        label=_label(Threat, "status"), choices=Threat.Status.choices, initial=Threat.Status.OPEN
    )
    closed_reason = forms.ChoiceField(
        label=_label(Threat, "closed_reason"),
        choices=[("", "—"), *Threat.ClosedReason.choices],
        required=False,
        help_text=_("Only for a closed threat."),
    )

    def __init__(self, *args: Any, perpetrators: QuerySet[Term], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["perpetrator_type"]
        field.queryset = perpetrators


class RescoreForm(forms.Form):
    """A threat of a draft scored again, in its row of the threats step."""

    threat = forms.UUIDField()
    likelihood = _score(Threat, "likelihood")
    impact = _score(Threat, "impact")
    status = forms.ChoiceField(label=_label(Threat, "status"), choices=Threat.Status.choices)
    closed_reason = forms.ChoiceField(
        label=_label(Threat, "closed_reason"), choices=[("", "—"), *Threat.ClosedReason.choices], required=False
    )


class VulnerabilityForm(forms.Form):
    domain = forms.ChoiceField(label=_label(Vulnerability, "domain"), choices=[("", "—"), *Domain.choices])
    description = _text(Vulnerability, "description", help_text=_("Encrypted. What makes the defender exposed."))
    severity = _score(Vulnerability, "severity")


class CapacityForm(forms.Form):
    domain = forms.ChoiceField(label=_label(Capacity, "domain"), choices=[("", "—"), *Domain.choices])
    description = _text(Capacity, "description", help_text=_("Encrypted. What protects the defender."))
    strength = _score(Capacity, "strength")
    offsets = forms.ModelChoiceField(
        label=_label(Capacity, "offsets"),
        queryset=Vulnerability.objects.none(),
        required=False,
        help_text=_("Leave empty for a general capacity (a network, training, a routine)."),
    )

    def __init__(self, *args: Any, vulnerabilities: QuerySet[Vulnerability], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["offsets"]
        field.queryset = vulnerabilities
        field.label_from_instance = lambda v: f"{v.label} · {v.get_domain_display()} · {v.severity}/5"


class ReviewForm(forms.Form):
    next_review_on = forms.DateField(
        label=_label(RiskAssessment, "next_review_on"), required=False, widget=forms.DateInput(DATE)
    )
    review_triggers = forms.MultipleChoiceField(
        label=_label(RiskAssessment, "review_triggers"),
        choices=ReviewTrigger.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    review_notes = forms.CharField(
        label=_label(RiskAssessment, "review_notes"),
        required=False,
        max_length=2_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Encrypted. Anything else that should bring the review forward."),
    )

    def __init__(self, *args: Any, notes_recorded: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if notes_recorded:
            self.fields["review_notes"].help_text = _(
                "Other triggers are recorded and stay hidden. Leave empty to keep them."
            )


class RevealForm(forms.Form):
    part = forms.MultipleChoiceField(choices=[(name, name) for name in REVEALABLE])


class RemoveItemForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in ("threat", "vulnerability", "capacity")])
    item = forms.UUIDField()


class PlanForm(forms.Form):
    title = forms.CharField(
        label=_("Title"),
        max_length=200,
        help_text=_("Seen by everyone who may see the defender: keep it free of names."),
    )
    assessment = forms.ModelChoiceField(
        label=_("Risk assessment it answers"), queryset=RiskAssessment.objects.none(), required=False
    )

    def __init__(self, *args: Any, assessments: QuerySet[RiskAssessment], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["assessment"]
        field.queryset = assessments
        field.label_from_instance = lambda a: f"{a.assessed_on:%Y-%m-%d} · {a.get_status_display()}"


class MeasureForm(forms.Form):
    kind = forms.ChoiceField(label=_label(Measure, "kind"), choices=Measure.Kind.choices)
    title = forms.CharField(
        label=_label(Measure, "title"), max_length=200, help_text=_("Seen in lists: say what, not who or where.")
    )
    description = _text(Measure, "description", help_text=_("Encrypted."))
    owner = forms.ModelChoiceField(label=_label(Measure, "owner"), queryset=User.objects.none(), required=False)
    outside_owner = forms.CharField(
        label=_label(Measure, "outside_owner"),
        max_length=200,
        required=False,
        help_text=_("A partner organisation or a role, not a person's name."),
    )
    deadline = forms.DateField(label=_label(Measure, "deadline"), required=False, widget=forms.DateInput(DATE))
    status = forms.ChoiceField(label=_label(Measure, "status"), choices=Measure.Status.choices)
    cost_amount = forms.DecimalField(
        label=_label(Measure, "cost_amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    cost_currency = forms.CharField(
        label=_label(Measure, "cost_currency"), max_length=3, required=False, help_text=_("USD, EUR, KES...")
    )
    for_grant_request = forms.BooleanField(label=_label(Measure, "for_grant_request"), required=False)

    def __init__(self, *args: Any, members: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["owner"]
        field.queryset = members
        field.label_from_instance = lambda u: u.display_name or u.email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("cost_amount") is not None and not data.get("cost_currency"):
            self.add_error("cost_currency", _("Give the currency of the cost."))
        return data


class TemplateForm(forms.Form):
    template = forms.ChoiceField(label=_("Template"), choices=())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["template"]
        field.choices = template_choices()


class MeasureStatusForm(forms.Form):
    status = forms.ChoiceField(choices=Measure.Status.choices)

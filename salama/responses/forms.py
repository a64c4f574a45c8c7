"""Forms for responses, their details and steps, closing with lessons, and the filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db import models
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField as CountryModelField

from salama.accounts.models import User
from salama.cases.access import tag_terms
from salama.cases.models import Case
from salama.core.encryption import EncryptedField, EncryptedJSONField
from salama.core.permissions import LEADS
from salama.defenders.access import sector_terms
from salama.defenders.forms import LinesField, field_label
from salama.defenders.models import Defender
from salama.directory.models import ProtectionActor
from salama.orgs.models import Membership, Organization
from salama.referrals.models import Referral
from salama.safety.models import CheckInSchedule
from salama.statements.models import JointStatement

from .access import OUTCOME_NOTES, STEP_NOTES, LessonFilters, ResponseFilters
from .actions import detail_field_names, encrypted_field_names
from .models import (
    DETAIL_MODELS,
    STEP_FIELDS,
    STEP_KINDS,
    Kind,
    Lesson,
    Outcome,
    Response,
    ResponseDetail,
    ResponseStep,
)

DATE = {"type": "date"}
PROTECTED_HELP = _("Encrypted. Leave empty to keep what is recorded; shown only on a recorded reveal.")


class DefenderChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.public_name)


class MemberField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.display_name or obj.email)


class ActorField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def actor_choices() -> Any:
    return ProtectionActor.objects.filter(active=True).order_by("name")


class ResponseForm(forms.Form):
    kind = forms.ChoiceField(label=field_label(Response, "kind"), choices=Kind.choices)
    defenders = DefenderChoiceField(
        label=field_label(Response, "defenders"),
        queryset=Defender.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None chosen: every defender of the case."),
    )
    owner = MemberField(label=field_label(Response, "owner"), queryset=User.objects.none(), required=False)
    status = forms.ChoiceField(
        label=field_label(Response, "status"),
        choices=[(s.value, s.label) for s in (Response.Status.PLANNED, Response.Status.ACTIVE)],
    )
    started_on = forms.DateField(
        label=field_label(Response, "started_on"), required=False, widget=forms.DateInput(DATE)
    )
    ended_on = forms.DateField(label=field_label(Response, "ended_on"), required=False, widget=forms.DateInput(DATE))
    cost_amount = forms.DecimalField(
        label=field_label(Response, "cost_amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    cost_currency = forms.CharField(
        label=field_label(Response, "cost_currency"), required=False, max_length=3, help_text=_("ISO code: USD, EUR...")
    )
    protection_actor = ActorField(
        label=field_label(Response, "actor"), queryset=ProtectionActor.objects.none(), required=False
    )
    referral = forms.ModelChoiceField(
        label=field_label(Response, "referral"), queryset=Referral.objects.none(), required=False
    )

    def __init__(self, *args: Any, case: Case, org: Organization, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["defenders"].queryset = case.defenders.all().order_by("public_name")  # type: ignore[attr-defined]
        users = Membership.objects.filter(organization=org).values("user_id")
        self.fields["owner"].queryset = User.objects.filter(pk__in=users).order_by("display_name")  # type: ignore[attr-defined]
        self.fields["protection_actor"].queryset = actor_choices()  # type: ignore[attr-defined]
        self.fields["referral"].queryset = Referral.objects.filter(case=case)  # type: ignore[attr-defined]
        if editing:
            del self.fields["kind"]
            del self.fields["status"]

    @staticmethod
    def initial_from(response: Response) -> dict[str, Any]:
        return {
            "defenders": list(response.defenders.all()),
            "owner": response.owner,
            "started_on": response.started_on,
            "ended_on": response.ended_on,
            "cost_amount": response.cost_amount,
            "cost_currency": response.cost_currency,
            "protection_actor": response.actor,
            "referral": response.referral,
        }


class StatusForm(forms.Form):
    status = forms.ChoiceField(
        label=field_label(Response, "status"),
        choices=[(s.value, s.label) for s in (Response.Status.PLANNED, Response.Status.ACTIVE)],
    )


class DetailForm(forms.Form):
    """The kind's details, built from the detail model. Protected fields are never pre-filled."""

    model: type[ResponseDetail]
    encrypted: tuple[str, ...] = ()

    def __init__(self, *args: Any, response: Response, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        org_id = response.organization_id
        if "funder_actor" in self.fields:
            self.fields["funder_actor"].queryset = actor_choices()  # type: ignore[attr-defined]
        if "funder_organization" in self.fields:
            self.fields["funder_organization"].queryset = Organization.objects.order_by("name")  # type: ignore[attr-defined]
        if "checkin_schedule" in self.fields:
            self.fields["checkin_schedule"].queryset = CheckInSchedule.objects.filter(  # type: ignore[attr-defined]
                organization_id=org_id, case_id=response.case_id
            )
        if "joint_statement" in self.fields:
            self.fields["joint_statement"].queryset = JointStatement.objects.filter(  # type: ignore[attr-defined]
                organization_id=org_id
            ).order_by("-created_at")
        if self.encrypted:
            self.fields["erase"] = forms.MultipleChoiceField(
                label=_("Erase these protected details"),
                choices=[(name, field_label(self.model, name)) for name in self.encrypted],
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )

    @classmethod
    def initial_from(cls, detail: ResponseDetail) -> dict[str, Any]:
        return {
            name: getattr(detail, name)
            for name in detail_field_names(cls.model)
            if name not in cls.encrypted and not isinstance(cls.model._meta.get_field(name), models.ForeignKey)
        } | {
            name: getattr(detail, f"{name}_id")
            for name in detail_field_names(cls.model)
            if isinstance(cls.model._meta.get_field(name), models.ForeignKey)
        }

    def changes(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["erase"] = data.get("erase") or []
        return data


def _detail_field(model: type[ResponseDetail], name: str, field: forms.Field) -> forms.Field:
    model_field = model._meta.get_field(name)
    if isinstance(model_field, EncryptedJSONField):
        return LinesField(label=model_field.verbose_name, help_text=_("One per line.") + " " + str(PROTECTED_HELP))
    if isinstance(model_field, EncryptedField):
        return forms.CharField(
            label=model_field.verbose_name,
            required=False,
            max_length=20_000,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=PROTECTED_HELP,
        )
    if isinstance(model_field, models.DateField):
        field.widget = forms.DateInput(DATE)
    if isinstance(model_field, CountryModelField):
        field.required = False
    return field


def detail_form_class(kind: str) -> type[DetailForm]:
    model = DETAIL_MODELS[kind]
    names = detail_field_names(model)
    base = fields_for_model(model, fields=names)
    fields = {name: _detail_field(model, name, base[name]) for name in names}
    attrs: dict[str, Any] = {**fields, "model": model, "encrypted": tuple(encrypted_field_names(model))}
    return type(f"{model.__name__}Form", (DetailForm,), attrs)


DETAIL_FORMS: dict[str, type[DetailForm]] = {kind: detail_form_class(kind) for kind in DETAIL_MODELS}


class StepForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of step"), choices=())
    occurred_on = forms.DateField(label=field_label(ResponseStep, "occurred_on"), widget=forms.DateInput(DATE))
    counterpart = forms.CharField(label=field_label(ResponseStep, "counterpart"), max_length=200, required=False)
    country = forms.ChoiceField(label=field_label(ResponseStep, "country"), required=False, choices=())
    amount = forms.DecimalField(
        label=field_label(ResponseStep, "amount"), required=False, min_value=0, max_digits=12, decimal_places=2
    )
    method = forms.ChoiceField(
        label=field_label(ResponseStep, "method"), required=False, choices=[("", "---"), *ResponseStep.Method.choices]
    )
    observers = forms.CharField(
        label=field_label(ResponseStep, "observers"),
        max_length=300,
        required=False,
        help_text=_("Missions and organisations, not people's names."),
    )
    result = forms.CharField(label=field_label(ResponseStep, "result"), max_length=300, required=False)
    notes = forms.CharField(
        label=field_label(ResponseStep, "notes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Encrypted. Shown only on a recorded reveal."),
    )

    def __init__(self, *args: Any, response: Response, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(ResponseStep.Kind.choices)
        self.fields["kind"].choices = [(k, labels[k]) for k in STEP_KINDS[response.kind]]  # type: ignore[attr-defined]
        kept = {"kind", "occurred_on", "notes", *STEP_FIELDS[response.kind]}
        for name in list(self.fields):
            if name not in kept:
                del self.fields[name]
        if "country" in self.fields:
            from django_countries import countries

            self.fields["country"].choices = [("", "---"), *countries]  # type: ignore[attr-defined]

    def step_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        return data


CLOSED = [(s.value, s.label) for s in (Response.Status.COMPLETED, Response.Status.CANCELLED)]
DE_IDENTIFIED_HELP = _(
    "Shared as written: write it so that no one can be recognised. No names of people, no exact places or dates, "
    "nothing copied from the record."
)


class CloseForm(forms.Form):
    status = forms.ChoiceField(label=_("Close as"), choices=CLOSED)
    outcome = forms.ChoiceField(label=field_label(Response, "outcome"), choices=Outcome.choices)
    ended_on = forms.DateField(label=field_label(Response, "ended_on"), required=False, widget=forms.DateInput(DATE))
    what_worked = forms.CharField(
        label=field_label(Lesson, "what_worked"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=DE_IDENTIFIED_HELP,
    )
    what_did_not_work = forms.CharField(
        label=field_label(Lesson, "what_did_not_work"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=DE_IDENTIFIED_HELP,
    )
    outcome_notes = forms.CharField(
        label=field_label(Response, "outcome_notes"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Encrypted and kept with the case; not part of the lesson."),
    )
    share_with_network = forms.BooleanField(
        label=_("Share this lesson with the network"),
        required=False,
        help_text=_("Other organisations will read the two texts above, with the country, sectors and threats."),
    )

    def __init__(self, *args: Any, membership: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if membership.role not in LEADS:
            del self.fields["share_with_network"]


class RevealForm(forms.Form):
    field = forms.MultipleChoiceField(label=_("Reveal"), choices=(), widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, response: Response, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model = DETAIL_MODELS[response.kind]
        choices = [
            (OUTCOME_NOTES, field_label(Response, "outcome_notes")),
            (STEP_NOTES, _("Notes of the steps")),
            *[(name, field_label(model, name)) for name in encrypted_field_names(model)],
        ]
        self.fields["field"].choices = choices  # type: ignore[attr-defined]


class ShareLessonForm(forms.Form):
    shared = forms.BooleanField(required=False)


class ResponseFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), required=False, choices=[("", _("Any")), *Kind.choices])
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("Any")), *Response.Status.choices])
    overdue = forms.BooleanField(label=_("Grant reports overdue"), required=False)

    def filters(self) -> ResponseFilters:
        if not self.is_bound or not self.is_valid():
            return ResponseFilters()
        data = self.cleaned_data
        return ResponseFilters(kind=data["kind"], status=data["status"], overdue_reports=data["overdue"])


class LessonFilterForm(forms.Form):
    q = forms.CharField(label=_("Words"), required=False, max_length=200)
    country = forms.ChoiceField(label=_("Country"), required=False, choices=())
    sector = forms.ChoiceField(label=_("Sector"), required=False, choices=())
    threat = forms.ChoiceField(label=_("Threat or violation"), required=False, choices=())
    kind = forms.ChoiceField(label=_("Kind of response"), required=False, choices=[("", _("Any")), *Kind.choices])
    actor = forms.ChoiceField(label=_("Actor"), required=False, choices=())
    own = forms.BooleanField(label=_("Only my organisation's lessons"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from django_countries import countries

        any_ = [("", _("Any"))]
        self.fields["country"].choices = [*any_, *countries]  # type: ignore[attr-defined]
        self.fields["sector"].choices = [*any_, *[(t.code, t.label()) for t in sector_terms()]]  # type: ignore[attr-defined]
        self.fields["threat"].choices = [*any_, *[(t.code, t.label()) for t in tag_terms()]]  # type: ignore[attr-defined]
        self.fields["actor"].choices = [  # type: ignore[attr-defined]
            *any_,
            *ProtectionActor.objects.order_by("name").values_list("slug", "name"),
        ]

    def filters(self) -> LessonFilters:
        if not self.is_bound or not self.is_valid():
            return LessonFilters()
        data = self.cleaned_data
        return LessonFilters(
            country=data["country"],
            sector=data["sector"],
            threat=data["threat"],
            kind=data["kind"],
            actor=data["actor"],
            text=data["q"],
            own_only=data["own"],
        )

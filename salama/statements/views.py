"""Joint statement pages: the organisation's two lists ("to sign" and "ours"), drafting, the
statement page (text per language, signatories, answer or workflow buttons), the downloads of
the final text, and the public page of a published statement. Everything works with
JavaScript off: forms post and redirect."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_safe

from salama.core.decorators import fetched_first
from salama.core.forms import add_action_errors
from salama.core.permissions import role_can
from salama.core.requests import membership_of

from . import actions
from .access import (
    access_statement,
    invitation_of,
    invitations_of,
    is_drafter,
    linked_case,
    others_statements,
    own_statements,
    public_statement,
    signature_of,
    signatures_of,
    text_in,
    texts_of,
)
from .forms import InviteForm, OpenForm, PublishForm, SignForm, StatementForm, TextForm
from .models import LANGUAGE_CHOICES, JointStatement
from .texts import as_plain_text, chosen_language, final_text

LANGUAGES = dict(LANGUAGE_CHOICES)


def _statement(request: HttpRequest, statement_id: Any) -> JointStatement:
    return access_statement(membership_of(request), statement_id)


def statement_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_statement, "statement_id", methods)


def _to_detail(request: HttpRequest, statement: JointStatement) -> HttpResponse:
    return redirect("statements:detail", org_slug=membership_of(request).organization.slug, statement_id=statement.pk)


# -- lists and drafting ------------------------------------------------------------------------


@require_GET
def list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    me = membership_of(request)
    to_sign = [
        (statement, signature_of(statement, me.organization_id), invitation_of(statement, me.organization_id))
        for statement in others_statements(me)
    ]
    context = {
        "to_sign": to_sign,
        "ours": own_statements(me),
        "can_edit": role_can(me.role, "statements.edit"),
    }
    return render(request, "statements/list.html", context)


@require_http_methods(["GET", "POST"])
def create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    me = membership_of(request)
    form = StatementForm(request.POST or None, membership=me)
    if request.method == "POST" and form.is_valid():
        try:
            statement = actions.do_create_statement(me, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Statement created. Now write its text."))
            return redirect(
                "statements:text", org_slug=org_slug, statement_id=statement.pk, language=statement.default_language
            )
    status = 400 if request.method == "POST" else 200
    return render(request, "statements/form.html", {"form": form}, status=status)


@statement_view(["GET", "POST"])
def edit_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    me = membership_of(request)
    data = request.POST if request.method == "POST" else None
    form = StatementForm(data, membership=me, initial=StatementForm.initial_from(statement))
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_statement(me, statement, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Statement saved."))
            return _to_detail(request, statement)
    status = 400 if request.method == "POST" else 200
    return render(request, "statements/form.html", {"form": form, "statement": statement}, status=status)


@statement_view(["GET", "POST"])
def text_view(request: HttpRequest, org_slug: str, statement: JointStatement, language: str) -> HttpResponse:
    if language not in LANGUAGES:
        return _page(request, statement, status=400, refusal=_("Choose one of the offered languages."))
    text = text_in(statement, language)
    initial = {"title": text.title, "body": text.body} if text else {"title": statement.title}
    form = TextForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_save_text(membership_of(request), statement, language, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Text saved."))
            return _to_detail(request, statement)
    context = {"form": form, "statement": statement, "language": language, "language_name": LANGUAGES[language]}
    return render(request, "statements/text.html", context, status=400 if request.method == "POST" else 200)


# -- the statement page and its workflow -------------------------------------------------------


def _page(request: HttpRequest, statement: JointStatement, status: int = 200, **extra: Any) -> HttpResponse:
    me = membership_of(request)
    drafter = is_drafter(me, statement)
    texts = list(texts_of(statement))
    have = {text.language for text in texts}
    language = chosen_language(statement, request.GET.get("language", translation.get_language() or ""))
    shown = next((text for text in texts if text.language == language), None)
    mine = signature_of(statement, me.organization_id)
    can_sign = role_can(me.role, "statements.sign").allowed
    context = {
        "statement": statement,
        "drafter": drafter,
        "texts": texts,
        "shown": shown,
        "rtl": bool(translation.get_language_info(language)["bidi"]) if shown else False,
        "missing_languages": [(code, name) for code, name in LANGUAGE_CHOICES if code not in have],
        "signatures": signatures_of(statement),
        "invitations": invitations_of(me, statement),
        "case": linked_case(me, statement),
        "defenders": statement.names_defenders.order_by("public_name") if drafter else [],
        "can_edit": drafter and role_can(me.role, "statements.edit").allowed and statement.editable,
        "can_lead": drafter and can_sign,
        "open_refusal": actions.open_refusal(statement) if drafter else "",
        "publish_refusal": actions.publish_refusal(statement) if drafter else "",
        "my_signature": mine,
        "my_invitation": None if drafter else invitation_of(statement, me.organization_id),
        "can_answer": can_sign and not drafter,
        "sign_refusal": "" if drafter else actions.sign_refusal(me, statement),
        "open_form": extra.pop("open_form", None) or OpenForm(),
        "invite_form": extra.pop("invite_form", None) or InviteForm(statement=statement),
        "sign_form": extra.pop("sign_form", None)
        or SignForm(initial={"display_name": mine.display_name if mine else me.organization.name}),
        "publish_form": extra.pop("publish_form", None) or PublishForm(),
        **extra,
    }
    return render(request, "statements/detail.html", context, status=status)


@statement_view(["GET"])
def detail_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    return _page(request, statement)


def _act(request: HttpRequest, statement: JointStatement, change: Callable[[], Any], done: str) -> HttpResponse:
    try:
        change()
    except ValidationError as error:
        return _page(request, statement, status=400, refusal=" ".join(error.messages))
    messages.success(request, done)
    return _to_detail(request, statement)


@statement_view(["POST"])
def open_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    form = OpenForm(request.POST)
    if not form.is_valid():
        return _page(request, statement, status=400, open_form=form)
    return _act(
        request,
        statement,
        lambda: actions.do_open(membership_of(request), statement, **form.cleaned_data),
        _("Open for signatures. The organisations invited have been told."),
    )


@statement_view(["POST"])
def invite_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    form = InviteForm(request.POST, statement=statement)
    if not form.is_valid():
        return _page(request, statement, status=400, invite_form=form)
    return _act(
        request,
        statement,
        lambda: actions.do_invite(membership_of(request), statement, form.cleaned_data["organizations"]),
        _("Invited."),
    )


@statement_view(["POST"])
def sign_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    form = SignForm(request.POST)
    if not form.is_valid():
        return _page(request, statement, status=400, sign_form=form)
    return _act(
        request,
        statement,
        lambda: actions.do_sign(membership_of(request), statement, **form.cleaned_data),
        _("Signed for your organisation."),
    )


@statement_view(["POST"])
def decline_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    return _act(request, statement, lambda: actions.do_decline(membership_of(request), statement), _("Declined."))


@statement_view(["POST"])
def close_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    return _act(
        request,
        statement,
        lambda: actions.do_close(membership_of(request), statement),
        _("Closed to further signatures."),
    )


@statement_view(["POST"])
def publish_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    form = PublishForm(request.POST)
    if not form.is_valid():
        return _page(request, statement, status=400, publish_form=form)
    return _act(
        request,
        statement,
        lambda: actions.do_publish(membership_of(request), statement, **form.cleaned_data),
        _("Published."),
    )


@statement_view(["POST"])
def withdraw_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    return _act(request, statement, lambda: actions.do_withdraw(membership_of(request), statement), _("Withdrawn."))


# -- downloads and the public page -------------------------------------------------------------


def _filename(statement: JointStatement, language: str, extension: str) -> str:
    return f"statement-{str(statement.pk)[:8]}-{language}.{extension}"


@statement_view(["GET"])
def download_text_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    final = final_text(statement, request.GET.get("language", ""))
    response = HttpResponse(as_plain_text(final), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(statement, final.language, "txt")}"'
    return response


def _final_html(request: HttpRequest, statement: JointStatement, language: str, *, download: bool) -> str:
    """The final text as a page of its own: no form, no script, no cookie. A download carries
    its style inside, so it reads the same when opened from a disk."""
    final = final_text(statement, language)
    context = {"statement": statement, "final": final, "versions": _versions(statement), "download": download}
    with translation.override(final.language):  # labels in the language of the text
        return render_to_string("statements/final.html", context)


def _versions(statement: JointStatement) -> list[tuple[str, str]]:
    return [(text.language, LANGUAGES.get(text.language, text.language)) for text in texts_of(statement)]


@statement_view(["GET"])
def download_html_view(request: HttpRequest, org_slug: str, statement: JointStatement) -> HttpResponse:
    final = final_text(statement, request.GET.get("language", ""))
    page = _final_html(request, statement, final.language, download=True)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename(statement, final.language, "html")}"'
    return response


@require_safe
def public_view(request: HttpRequest, public_statement_id: Any) -> HttpResponse:
    """A published statement whose drafter chose a public page; anything else is the plain 404."""
    statement = public_statement(public_statement_id)
    language = chosen_language(statement, request.GET.get("language", "") or translation.get_language() or "")
    return HttpResponse(_final_html(request, statement, language, download=False))

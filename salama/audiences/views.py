"""Subscriber and audience-rule pages for the network's admins, and the pages a recipient
reaches by a signed link without signing in. All work with JavaScript off."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from salama.audit.actions import record
from salama.core.decorators import fetched_first
from salama.core.forms import add_action_errors
from salama.core.permissions import role_can
from salama.core.requests import membership_of
from salama.delivery.links import read_token, signed_link

from . import actions
from .access import (
    access_contact_point,
    access_own_opt_out,
    access_rule,
    access_subscriber,
    access_suppression,
    contact_point_for_verification,
    contact_points_of,
    find_by_address,
    link_target,
    member_opt_outs_of,
    own_opt_outs,
    rules_of,
    subscribers_of,
    suppressions_of,
    who_is_suppressed,
)
from .forms import (
    AddressSearchForm,
    ConfirmForm,
    ContactPointForm,
    EditContactPointForm,
    InterestsForm,
    LiftForm,
    OpenPGPKeyForm,
    RuleForm,
    SubscriberFilterForm,
    SubscriberForm,
    SuppressionFilterForm,
    VerifyForm,
)
from .models import AudienceRule, Channel, ContactPoint, Subscriber
from .rules import preview_count

PAGE_SIZE = 25


def _subscriber(request: HttpRequest, subscriber_id: Any) -> Subscriber:
    return access_subscriber(membership_of(request), subscriber_id)


def _rule(request: HttpRequest, rule_id: Any) -> AudienceRule:
    return access_rule(membership_of(request), rule_id)


def subscriber_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_subscriber, "subscriber_id", methods)


def rule_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    return fetched_first(_rule, "rule_id", methods)


def contact_view(methods: list[str]) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """The subscriber, then its contact point, both before the method check (see fetched_first)."""

    def decorate(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @subscriber_view(methods)
        def wrapped(request: HttpRequest, org_slug: str, subscriber: Subscriber, contact_point_id: Any) -> HttpResponse:
            return func(request, org_slug, subscriber, access_contact_point(subscriber, contact_point_id))

        return wrapped

    return decorate


# -- subscribers -------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def subscriber_list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    """An exact search by address is posted, so the address never lands in a URL or a log."""
    filter_form = SubscriberFilterForm(request.GET or None)
    search_form = AddressSearchForm(request.POST or None)
    context: dict[str, Any] = {
        "filter_form": filter_form,
        "search_form": search_form,
        "can_manage": role_can(membership_of(request).role, "audiences.manage"),
    }
    if request.method == "POST":
        if not search_form.is_valid():
            return render(request, "audiences/subscriber_list.html", context, status=400)
        found = find_by_address(membership_of(request), search_form.cleaned_data["address"])
        context.update(exact=True, page=Paginator(found[:PAGE_SIZE], PAGE_SIZE).get_page(1))
        return render(request, "audiences/subscriber_list.html", context)
    if filter_form.is_bound and not filter_form.is_valid():
        return render(request, "audiences/subscriber_list.html", context, status=400)
    subscribers = subscribers_of(membership_of(request), filter_form.filters())
    page = Paginator(subscribers, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context.update(page=page, query=query.urlencode())
    return render(request, "audiences/subscriber_list.html", context)


@require_http_methods(["GET", "POST"])
def subscriber_create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = SubscriberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        subscriber = actions.do_create_subscriber(membership_of(request), **form.cleaned_data)
        messages.success(request, _("Subscriber added. Now add how to reach them."))
        return redirect("audiences:subscriber_detail", org_slug=org_slug, subscriber_id=subscriber.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "audiences/subscriber_form.html", {"form": form}, status=status)


@subscriber_view(["GET"])
def subscriber_detail_view(request: HttpRequest, org_slug: str, subscriber: Subscriber) -> HttpResponse:
    """Shows the addresses: the read is on record, like a reveal."""
    me = membership_of(request)
    record("subscriber.viewed", actor=me.user, organization=me.organization, target=("subscriber", subscriber.pk))
    context = {
        "subscriber": subscriber,
        "contact_points": contact_points_of(subscriber),
        "contact_form": ContactPointForm(),
        "can_manage": role_can(me.role, "audiences.manage"),
        "can_verify": role_can(me.role, "audiences.verify"),
    }
    return render(request, "audiences/subscriber_detail.html", context)


@subscriber_view(["GET", "POST"])
def subscriber_edit_view(request: HttpRequest, org_slug: str, subscriber: Subscriber) -> HttpResponse:
    form = SubscriberForm(request.POST or None, initial=SubscriberForm.initial_from(subscriber))
    if request.method == "POST" and form.is_valid():
        actions.do_update_subscriber(membership_of(request), subscriber, **form.cleaned_data)
        messages.success(request, _("Saved."))
        return redirect("audiences:subscriber_detail", org_slug=org_slug, subscriber_id=subscriber.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "audiences/subscriber_form.html", {"form": form, "subscriber": subscriber}, status=status)


@subscriber_view(["GET", "POST"])
def subscriber_delete_view(request: HttpRequest, org_slug: str, subscriber: Subscriber) -> HttpResponse:
    if request.method == "POST":
        actions.do_delete_subscriber(membership_of(request), subscriber)
        messages.success(request, _("Subscriber deleted."))
        return redirect("audiences:subscribers", org_slug=org_slug)
    return render(request, "audiences/confirm_delete.html", {"subscriber": subscriber})


# -- contact points ----------------------------------------------------------------------------


@subscriber_view(["GET", "POST"])
def contact_add_view(request: HttpRequest, org_slug: str, subscriber: Subscriber) -> HttpResponse:
    form = ContactPointForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.do_add_contact_point(
                membership_of(request),
                subscriber,
                channel=data["channel"],
                address=data["address"],
                consent_how=data["consent_how"],
                openpgp_key=data["openpgp_key"],
            )
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Contact point added. It is used once verified."))
            return redirect("audiences:subscriber_detail", org_slug=org_slug, subscriber_id=subscriber.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "audiences/contact_form.html", {"form": form, "subscriber": subscriber}, status=status)


@contact_view(["GET", "POST"])
def contact_edit_view(request: HttpRequest, org_slug: str, subscriber: Subscriber, point: ContactPoint) -> HttpResponse:
    initial = {"address": point.address, "active": point.active, "openpgp_key": point.openpgp_key}
    form = EditContactPointForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_contact_point(membership_of(request), point, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("audiences:subscriber_detail", org_slug=org_slug, subscriber_id=subscriber.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "subscriber": subscriber, "point": point}
    return render(request, "audiences/contact_form.html", context, status=status)


@contact_view(["GET", "POST"])
def contact_verify_view(
    request: HttpRequest, org_slug: str, subscriber: Subscriber, point: ContactPoint
) -> HttpResponse:
    form = VerifyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        actions.do_verify_contact_point(membership_of(request), point, reason=form.cleaned_data["reason"])
        messages.success(request, _("Address marked as verified."))
        return redirect("audiences:subscriber_detail", org_slug=org_slug, subscriber_id=subscriber.pk)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "subscriber": subscriber, "point": point}
    return render(request, "audiences/contact_verify.html", context, status=status)


@contact_view(["POST"])
def contact_send_verification_view(
    request: HttpRequest, org_slug: str, subscriber: Subscriber, point: ContactPoint
) -> HttpResponse:
    actions.do_send_verification(membership_of(request), point)
    messages.success(request, _("A verification link is on its way."))
    return redirect("audiences:subscriber_detail", org_slug=org_slug, subscriber_id=subscriber.pk)


@contact_view(["POST"])
def contact_withdraw_view(
    request: HttpRequest, org_slug: str, subscriber: Subscriber, point: ContactPoint
) -> HttpResponse:
    actions.do_withdraw_consent(membership_of(request), point)
    messages.success(request, _("Consent recorded as withdrawn: nothing more is sent to this address."))
    return redirect("audiences:subscriber_detail", org_slug=org_slug, subscriber_id=subscriber.pk)


@contact_view(["POST"])
def contact_delete_view(
    request: HttpRequest, org_slug: str, subscriber: Subscriber, point: ContactPoint
) -> HttpResponse:
    actions.do_delete_contact_point(membership_of(request), point)
    messages.success(request, _("Contact point deleted."))
    return redirect("audiences:subscriber_detail", org_slug=org_slug, subscriber_id=subscriber.pk)


# -- audience rules ----------------------------------------------------------------------------


@require_http_methods(["GET"])
def rule_list_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    context = {
        "rules": rules_of(membership_of(request)),
        "can_manage": role_can(membership_of(request).role, "audiences.manage"),
    }
    return render(request, "audiences/rule_list.html", context)


@require_http_methods(["GET", "POST"])
def rule_create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    form = RuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            rule = actions.do_create_rule(membership_of(request), **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Audience rule saved."))
            return redirect("audiences:rule_detail", org_slug=org_slug, rule_id=rule.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "audiences/rule_form.html", {"form": form}, status=status)


@rule_view(["GET"])
def rule_detail_view(request: HttpRequest, org_slug: str, rule: AudienceRule) -> HttpResponse:
    context = {
        "rule": rule,
        "preview": preview_count(rule),
        "can_manage": role_can(membership_of(request).role, "audiences.manage"),
    }
    return render(request, "audiences/rule_detail.html", context)


@rule_view(["GET", "POST"])
def rule_edit_view(request: HttpRequest, org_slug: str, rule: AudienceRule) -> HttpResponse:
    form = RuleForm(request.POST or None, initial=RuleForm.initial_from(rule))
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_update_rule(membership_of(request), rule, **form.cleaned_data)
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("audiences:rule_detail", org_slug=org_slug, rule_id=rule.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "audiences/rule_form.html", {"form": form, "rule": rule}, status=status)


@rule_view(["POST"])
def rule_delete_view(request: HttpRequest, org_slug: str, rule: AudienceRule) -> HttpResponse:
    actions.do_delete_rule(membership_of(request), rule)
    messages.success(request, _("Audience rule deleted. Audiences already frozen from it are kept."))
    return redirect("audiences:rules", org_slug=org_slug)


# -- reached by a signed link, without signing in ------------------------------------------------


def _invalid_link(request: HttpRequest) -> HttpResponse:
    """One answer for a tampered, expired, foreign or stale link: it tells nothing, not even by
    its status, which is the same as a good link's."""
    return render(request, "audiences/public/invalid_link.html")


@require_http_methods(["GET", "POST"])
def preferences_view(request: HttpRequest, token: str) -> HttpResponse:
    key = read_token("preferences", token)
    target = link_target(key) if key else None
    if key is None or target is None:
        return _invalid_link(request)
    if target.contact_point is None:
        # A member's messages come to their sign-in address: opting out is all there is to set.
        context = {"organization": target.organization, "unsubscribe": signed_link("unsubscribe", key)}
        return render(request, "audiences/public/member_preferences.html", context)
    point = target.contact_point
    if request.method == "POST" and "resubscribe" in request.POST:
        actions.do_resubscribe(point)
        return render(request, "audiences/public/done.html", {"message": _("You will receive our messages again.")})
    # Two forms on one page, told apart by the button pressed: interests, or the OpenPGP key.
    posted_key = request.method == "POST" and "openpgp_key" in request.POST and point.channel == Channel.EMAIL
    posted_interests = request.method == "POST" and not posted_key
    interests = InterestsForm.initial_from(point.subscriber)
    form = InterestsForm(request.POST if posted_interests else None, initial=interests)
    key_form = OpenPGPKeyForm(request.POST if posted_key else None, initial={"openpgp_key": point.openpgp_key})
    if posted_interests and form.is_valid():
        actions.do_update_preferences(point, **form.cleaned_data)
        return render(request, "audiences/public/done.html", {"message": _("Your preferences are saved.")})
    if posted_key and key_form.is_valid():
        try:
            actions.do_set_own_openpgp_key(point, key_form.cleaned_data["openpgp_key"])
        except ValidationError as error:
            add_action_errors(key_form, error)
        else:
            done = _("Your key is saved.") if point.openpgp_key else _("Messages are no longer encrypted to a key.")
            return render(request, "audiences/public/done.html", {"message": done})
    context = {
        "form": form,
        "key_form": key_form if point.channel == Channel.EMAIL else None,
        "point": point,
        "organization": target.organization,
        "unsubscribe": signed_link("unsubscribe", key),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "audiences/public/preferences.html", context, status=status)


@require_http_methods(["GET", "POST"])
def unsubscribe_view(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks, POST does: mail scanners that open links must not unsubscribe anyone."""
    key = read_token("unsubscribe", token)
    target = link_target(key) if key else None
    if target is None:
        return _invalid_link(request)
    if request.method == "POST":
        if ConfirmForm(request.POST).is_valid():
            if target.contact_point is not None:
                actions.do_unsubscribe(target.contact_point)
            else:
                actions.do_member_opt_out(target.organization, target.user)
        return render(
            request, "audiences/public/done.html", {"message": _("You will receive no more messages from us here.")}
        )
    return render(request, "audiences/public/unsubscribe.html", {"organization": target.organization})


@require_http_methods(["GET", "POST"])
def verify_view(request: HttpRequest, token: str) -> HttpResponse:
    found = actions.read_verification_token(token)
    point = contact_point_for_verification(found[0]) if found else None
    if found is None or point is None or point.address_key != found[1]:
        return _invalid_link(request)
    if request.method == "POST":
        actions.do_confirm_verification(point, found[1])
        return render(request, "audiences/public/done.html", {"message": _("Thank you: your address is confirmed.")})
    return render(request, "audiences/public/verify.html", {"organization": point.organization})


# -- suppressions and opt-outs -------------------------------------------------------------------

SUPPRESSION_PAGE_SIZE = 50


@require_GET
def suppressions_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Addresses nothing is sent to, masked: the full address is only on the subscriber's page,
    where opening it is recorded."""
    filter_form = SuppressionFilterForm(request.GET or None)
    if filter_form.is_bound and not filter_form.is_valid():
        return render(request, "audiences/suppressions.html", {"filter_form": filter_form}, status=400)
    channel, reason = filter_form.values()
    page = Paginator(suppressions_of(membership_of(request), channel, reason), SUPPRESSION_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "filter_form": filter_form,
        "page": page,
        "rows": who_is_suppressed(membership_of(request), page.object_list),
        "query": query.urlencode(),
        "can_manage": role_can(membership_of(request).role, "audiences.manage"),
        "persons_own": actions.PERSONS_OWN,
    }
    return render(request, "audiences/suppressions.html", context)


@require_http_methods(["GET", "POST"])
def suppression_lift_view(request: HttpRequest, org_slug: str, suppression_id: Any) -> HttpResponse:
    suppression = access_suppression(membership_of(request), suppression_id)
    form = LiftForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.do_lift_suppression(membership_of(request), suppression, note=form.cleaned_data["note"])
        except ValidationError as error:
            add_action_errors(form, error)
        else:
            messages.success(request, _("The address may be used again."))
            return redirect("audiences:suppressions", org_slug=org_slug)
    (row,) = who_is_suppressed(membership_of(request), [suppression])
    context = {"form": form, "row": row, "persons_own": suppression.reason in actions.PERSONS_OWN}
    return render(request, "audiences/suppression_lift.html", context, status=400 if request.method == "POST" else 200)


@require_GET
def opt_outs_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Members of the network who stopped this organisation's messages. Only they can opt back
    in, on their own account's page (own_opt_outs_view)."""
    page = Paginator(member_opt_outs_of(membership_of(request)), SUPPRESSION_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "audiences/opt_outs.html", {"page": page})


@require_GET
def own_opt_outs_view(request: HttpRequest) -> HttpResponse:
    return render(request, "audiences/own_opt_outs.html", {"opt_outs": own_opt_outs(request.user)})


@require_POST
def own_opt_in_view(request: HttpRequest, opt_out_id: Any) -> HttpResponse:
    opt_out = access_own_opt_out(request.user, opt_out_id)
    organization = opt_out.organization
    actions.do_member_opt_in(request.user, opt_out)
    messages.success(
        request, _("You will receive messages from %(organisation)s again.") % {"organisation": organization.name}
    )
    return redirect("audiences:own_opt_outs")

"""The sign-on flow end to end through the pages: a draft in two languages, invitations by
email, two other organisations co-signing, closing, publishing, the downloads and the public
page; a text change after signing; consent; what other organisations may see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from salama.cases.models import TimelineEvent
from salama.cases.timeline import describe
from salama.delivery.models import Delivery, Message
from salama.statements import actions
from salama.statements.access import signatories_of, signatures_of
from salama.statements.models import Invitation, JointStatement, Signature

from .conftest import DEADLINE, consent_to_be_named


def url(name: str, org: Any, statement: Any = None, **kwargs: Any) -> str:
    if statement is not None:
        kwargs["statement_id"] = statement.pk
    return reverse(f"statements:{name}", kwargs={"org_slug": org.slug, **kwargs})


def draft(as_user: Any, cast: Any, **fields: Any) -> JointStatement:
    """Org A's coordinator drafts a statement in English and Spanish through the pages."""
    client = as_user(cast.a_coordinator)
    fields = {"title": "Free the Río Verde defenders", "default_language": "en", **fields}
    response = client.post(url("create", cast.org_a), fields)
    assert response.status_code == 302, response.content.decode()
    statement = JointStatement.objects.get(title="Free the Río Verde defenders")
    english = {"title": "Free the defenders", "body": "We, the undersigned, call for their release."}
    spanish = {"title": "Liberen a los defensores", "body": "Las organizaciones firmantes exigimos su liberación."}
    assert client.post(url("text", cast.org_a, statement, language="en"), english).status_code == 302
    assert client.post(url("text", cast.org_a, statement, language="es"), spanish).status_code == 302
    return statement


def invite_and_open(as_user: Any, cast: Any, statement: JointStatement, *orgs: Any) -> Client:
    client = as_user(cast.a_coordinator)
    response = client.post(url("invite", cast.org_a, statement), {"organizations": [org.pk for org in orgs]})
    assert response.status_code == 302, response.content.decode()
    opening = {"signature_deadline": DEADLINE.strftime("%Y-%m-%dT%H:%M"), "display_name": "Org A (Colombia)"}
    response = client.post(url("open", cast.org_a, statement), opening)
    assert response.status_code == 302, response.content.decode()
    return client


def sign(as_user: Any, person: Any, org: Any, statement: Any, name: str = "") -> Any:
    return as_user(person).post(url("sign", org, statement), {"display_name": name})


def test_the_sign_on_flow_collects_co_signatures_from_two_organisations(as_user, cast, org_c):
    statement = draft(as_user, cast)
    drafter = invite_and_open(as_user, cast, statement, cast.org_b, org_c)
    statement.refresh_from_db()
    assert statement.status == JointStatement.Status.OPEN and statement.signature_deadline == DEADLINE

    # Each invited organisation's admins and coordinators get an email, nobody else.
    messages = Message.objects.filter(producer_kind="statements.invitation")
    assert messages.count() == 2
    assert Delivery.objects.filter(message__in=messages).count() == 3  # B admin + B coordinator, C admin
    refs = set(Delivery.objects.filter(message__in=messages).values_list("contact_ref", flat=True))
    assert refs == {f"user:{cast.b_admin.pk}", f"user:{cast.b_coordinator.pk}", f"user:{cast.c_admin.pk}"}

    # B finds it under "to sign" in its own pages and reads it in Spanish.
    b_admin = as_user(cast.b_admin)
    listing = b_admin.get(url("list", cast.org_b)).content.decode()
    assert "Free the Río Verde defenders" in listing and "Org A" in listing
    spanish = b_admin.get(url("detail", cast.org_b, statement), {"language": "es"}).content.decode()
    assert "Las organizaciones firmantes exigimos su liberación." in spanish
    assert "We, the undersigned" not in spanish

    # A caseworker of B may read it but not sign for B.
    assert as_user(cast.b_caseworker_team).get(url("detail", cast.org_b, statement)).status_code == 200
    assert sign(as_user, cast.b_caseworker_team, cast.org_b, statement).status_code == 403

    assert sign(as_user, cast.b_admin, cast.org_b, statement, "Red de Defensoras (B)").status_code == 302
    assert sign(as_user, cast.c_admin, org_c, statement, "Amnistía C").status_code == 302
    invitations = Invitation.objects.filter(statement=statement)
    assert set(invitations.values_list("status", flat=True)) == {Invitation.Status.SIGNED}
    assert invitations.get(organization=cast.org_b).answered_by == cast.b_admin

    # The drafter sees the signatories and the answers, closes and publishes.
    page = drafter.get(url("detail", cast.org_a, statement)).content.decode()
    assert "Red de Defensoras (B)" in page and "Amnistía C" in page and "Org C" in page
    assert drafter.post(url("close", cast.org_a, statement)).status_code == 302
    assert sign(as_user, cast.b_coordinator, cast.org_b, statement).status_code == 400  # closed
    published = drafter.post(url("publish", cast.org_a, statement), {"public_page": "on", "published_on": "2030-05-04"})
    assert published.status_code == 302
    statement.refresh_from_db()
    assert statement.status == JointStatement.Status.PUBLISHED

    # The final text: the drafter first, then alphabetical by the chosen names.
    text = drafter.get(url("download_text", cast.org_a, statement), {"language": "es"})
    assert text["Content-Disposition"].startswith("attachment;")
    body = text.content.decode()
    assert body.startswith("Liberen a los defensores\n")
    assert body.index("Org A (Colombia)") < body.index("Amnistía C") < body.index("Red de Defensoras (B)")
    html = drafter.get(url("download_html", cast.org_a, statement)).content.decode()
    assert "We, the undersigned" in html and "<ol><li>Org A (Colombia)</li><li>Amnistía C</li>" in html
    public = Client().get(reverse("statements:public", kwargs={"public_statement_id": statement.pk}))
    assert public.status_code == 200 and "Red de Defensoras (B)" in public.content.decode()


def test_a_text_change_after_signing_marks_signatures_stale_until_confirmed(as_user, cast):
    statement = draft(as_user, cast)
    drafter = invite_and_open(as_user, cast, statement, cast.org_b)
    assert sign(as_user, cast.b_admin, cast.org_b, statement, "Org B").status_code == 302
    signed_version = Signature.objects.get(organization=cast.org_b).text_version

    changed = {"title": "Free the defenders", "body": "We call for their immediate and unconditional release."}
    assert drafter.post(url("text", cast.org_a, statement, language="en"), changed).status_code == 302
    statement.refresh_from_db()
    assert statement.text_version != signed_version
    b_signature = Signature.objects.get(organization=cast.org_b)
    assert not b_signature.current
    assert Signature.objects.get(organization=cast.org_a).current  # the drafter's follows its own text
    assert [s.display_name for s in signatories_of(statement)] == ["Org A (Colombia)"]

    # B's leads are asked to confirm; B's pages say so.
    request = Message.objects.get(producer_kind="statements.reconfirm")
    assert request.deliveries.count() == 2
    b_page = as_user(cast.b_admin).get(url("detail", cast.org_b, statement)).content.decode()
    assert "signed an earlier version" in b_page.lower()
    assert "Signed an earlier version: confirm" in as_user(cast.b_admin).get(url("list", cast.org_b)).content.decode()
    # Published now, only the signatures on the current text would be listed.
    assert "Org B" not in drafter.get(url("download_text", cast.org_a, statement)).content.decode()

    assert sign(as_user, cast.b_coordinator, cast.org_b, statement, "Org B").status_code == 302
    assert Signature.objects.get(organization=cast.org_b).current
    assert [s.display_name for s in signatories_of(statement)] == ["Org A (Colombia)", "Org B"]


def test_opening_is_refused_with_the_defender_named_until_they_consent(as_user, cast, named_case):
    defender = named_case.defenders.get()
    statement = draft(as_user, cast, case=named_case.pk, names_defenders=[defender.pk])
    client = as_user(cast.a_coordinator)
    response = client.post(url("open", cast.org_a, statement), {})
    assert response.status_code == 400
    assert "Ana Ríos has not consented to be named publicly" in response.content.decode()
    statement.refresh_from_db()
    assert statement.status == JointStatement.Status.DRAFT

    consent = consent_to_be_named(cast, defender)
    assert client.post(url("open", cast.org_a, statement), {}).status_code == 302
    assert client.post(url("close", cast.org_a, statement)).status_code == 302
    # Consent withdrawn while signatures were collected: publishing is refused in turn.
    from salama.defenders.actions import do_withdraw_consent

    do_withdraw_consent(cast.membership("a_admin"), consent)
    refused = client.post(url("publish", cast.org_a, statement), {})
    assert refused.status_code == 400 and "Ana Ríos" in refused.content.decode()


def test_status_changes_of_a_statement_linked_to_a_case_are_on_its_timeline(as_user, cast, named_case):
    statement = draft(as_user, cast, case=named_case.pk)
    invite_and_open(as_user, cast, statement, cast.org_b)
    actions.do_close(cast.membership("a_admin"), statement)
    events = TimelineEvent.objects.filter(case=named_case, kind="statement.status_changed").order_by("pk")
    assert [(e.details["old"], e.details["new"]) for e in events] == [("draft", "open"), ("open", "closed")]
    line = describe(events.last())
    assert line == (
        'A admin changed the joint statement "Free the Río Verde defenders" from Open for signatures to Closed.'
    )
    assert all("body" not in e.details for e in events)  # the text never reaches the timeline


def test_another_organisation_sees_the_text_and_signatories_but_never_the_case(as_user, cast, named_case, org_c):
    defender = named_case.defenders.get()
    consent_to_be_named(cast, defender)
    statement = draft(as_user, cast, case=named_case.pk, names_defenders=[defender.pk])

    # A draft is invisible outside, invited or not.
    as_a = as_user(cast.a_coordinator)
    as_a.post(url("invite", cast.org_a, statement), {"organizations": [cast.org_b.pk]})
    assert as_user(cast.b_admin).get(url("detail", cast.org_b, statement)).status_code == 404
    assert "Free the Río Verde" not in as_user(cast.b_admin).get(url("list", cast.org_b)).content.decode()

    as_a.post(url("open", cast.org_a, statement), {})
    b_page = as_user(cast.b_admin).get(url("detail", cast.org_b, statement))
    assert b_page.status_code == 200
    body = b_page.content.decode()
    assert "We, the undersigned" in body and "Org A" in body  # the text and the signatories
    assert named_case.reference not in body and "Río Verde</a>" not in body
    assert "Invitations" not in body and "Ana María Ríos" not in body
    # The case itself stays A's: B gets 404 in A's space and in its own.
    case_url = reverse("cases:detail", kwargs={"org_slug": cast.org_a.slug, "case_id": named_case.pk})
    assert as_user(cast.b_admin).get(case_url).status_code == 404
    # C was not invited: nothing, not even the statement's existence.
    assert as_user(cast.c_admin).get(url("detail", org_c, statement)).status_code == 404
    assert sign(as_user, cast.c_admin, org_c, statement).status_code == 404
    # A's caseworker outside the case team sees the statement but not the case link.
    a_other = as_user(cast.a_caseworker_other).get(url("detail", cast.org_a, statement)).content.decode()
    assert "We, the undersigned" in a_other and named_case.reference not in a_other


def test_a_statement_open_to_the_network_can_be_signed_without_invitation(as_user, cast, org_c):
    statement = draft(as_user, cast, open_to_network="on")
    invite_and_open(as_user, cast, statement, cast.org_b)
    assert "Free the Río Verde" in as_user(cast.c_admin).get(url("list", org_c)).content.decode()
    assert sign(as_user, cast.c_admin, org_c, statement, "Org C").status_code == 302
    assert [s.display_name for s in signatures_of(statement)] == ["Org A (Colombia)", "Org C"]
    actions.do_close(cast.membership("a_admin"), statement)
    # C signed: it still sees the statement it signed; an organisation that neither was
    # invited nor signed no longer does once signatures are closed.
    assert as_user(cast.c_admin).get(url("detail", org_c, statement)).status_code == 200


def test_signing_after_the_deadline_and_declining(as_user, cast):
    statement = draft(as_user, cast)
    invite_and_open(as_user, cast, statement, cast.org_b)
    assert "Not answered yet" in as_user(cast.b_admin).get(url("list", cast.org_b)).content.decode()
    with time_machine.travel(DEADLINE + timedelta(minutes=1)):
        late = sign(as_user, cast.b_admin, cast.org_b, statement)
        assert late.status_code == 400 and "deadline" in late.content.decode()
    assert sign(as_user, cast.b_admin, cast.org_b, statement).status_code == 302
    assert as_user(cast.b_admin).post(url("decline", cast.org_b, statement)).status_code == 302
    assert not Signature.objects.filter(organization=cast.org_b).exists()  # declining withdraws it
    invitation = Invitation.objects.get(organization=cast.org_b)
    assert invitation.status == Invitation.Status.DECLINED and invitation.answered_at <= timezone.now()
    assert "Declined" in as_user(cast.b_admin).get(url("list", cast.org_b)).content.decode()


def test_the_public_page_shows_only_published_statements_with_a_public_page(as_user, cast):
    statement = draft(as_user, cast)
    public_url = reverse("statements:public", kwargs={"public_statement_id": statement.pk})
    assert Client().get(public_url).status_code == 404  # draft
    lead = cast.membership("a_admin")
    actions.do_open(lead, statement, signature_deadline=None)
    assert Client().get(public_url).status_code == 404  # open
    actions.do_close(lead, statement)
    actions.do_publish(lead, statement, public_page=False)
    assert Client().get(public_url).status_code == 404  # published, but not on a public page
    statement.public_page = True
    statement.save()
    page = Client().get(public_url, HTTP_ACCEPT_LANGUAGE="es")
    body = page.content.decode()
    assert page.status_code == 200 and "Liberen a los defensores" in body
    assert "<form" not in body and "<script" not in body and "csrf" not in body.lower()
    assert "Free the Río Verde defenders" not in body  # the working title is internal
    assert Client().get(public_url, {"language": "en"}).content.decode().count("Free the defenders") >= 1


def test_naming_a_defender_without_consent_while_open_is_refused_and_withdrawing_hides_it(as_user, cast, named_case):
    defender = named_case.defenders.get()
    statement = draft(as_user, cast, case=named_case.pk)
    client = invite_and_open(as_user, cast, statement, cast.org_b)
    settings = {"title": statement.title, "default_language": "en", "case": named_case.pk}
    refused = client.post(url("edit", cast.org_a, statement), {**settings, "names_defenders": [defender.pk]})
    assert refused.status_code == 400 and "Ana Ríos has not consented" in refused.content.decode()
    assert not statement.names_defenders.exists()

    assert client.post(url("withdraw", cast.org_a, statement)).status_code == 302
    assert as_user(cast.b_admin).get(url("detail", cast.org_b, statement)).status_code == 404
    assert TimelineEvent.objects.filter(case=named_case, details__new="withdrawn").exists()
    # Nothing changes a withdrawn statement any more.
    again = client.post(url("text", cast.org_a, statement, language="en"), {"title": "x", "body": "y"})
    assert again.status_code == 400 and "cannot be changed" in again.content.decode()

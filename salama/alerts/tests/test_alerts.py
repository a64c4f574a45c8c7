"""Urgent alerts: references, the two-person rule, step-up, consent, publishing through the
delivery engine to a real SMTP peer, follow-ups, acknowledgements and actions."""

from __future__ import annotations

import email
import logging
from datetime import date
from email import policy
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.accounts.views import STEP_UP_AT
from salama.alerts import actions
from salama.alerts.models import Acknowledgement, ActionTaken, Alert
from salama.cases.actions import do_open_case
from salama.cases.models import TimelineEvent
from salama.core import jobs
from salama.core.testing import bearer
from salama.defenders.actions import do_create_defender, do_record_consent
from salama.delivery.links import signed_link
from salama.delivery.models import Delivery
from salama.delivery.tests.conftest import run_until_idle

CANARY = "CANARY-draft-7f3a9 the convoy leaves at dawn"


def compose(
    author: Any, *, scope: str = Alert.Scope.NETWORK, languages: tuple[str, ...] = ("en",), **options: Any
) -> Alert:
    alert = actions.do_create_alert(author, scope=scope, **options)
    for language in languages:
        actions.do_save_version(
            author, alert, language, title=f"Title {language}", summary=f"Summary {language}", model_letter="Dear Sir"
        )
    actions.do_save_target(author, alert, name="Minister Ríos", email="ministro@example.gov", preferred_language="es")
    return alert


def approved(author: Any, approver: Any, **options: Any) -> Alert:
    alert = compose(author, **options)
    actions.do_submit(author, alert)
    actions.do_approve(approver, alert)
    return alert


def publish(member: Any, alert: Alert) -> Alert:
    return actions.do_publish(member, alert, second_factor_confirmed=True)


def deliver() -> None:
    """The fan-out job, then the deliveries, as the workers would."""
    while jobs.work_once():
        pass
    run_until_idle()


def mails(sink: Any) -> dict[str, email.message.EmailMessage]:
    return {
        rcpt: email.message_from_bytes(content, policy=policy.default)  # type: ignore[misc]
        for rcpt, content in sink.accepted.values()
    }


def main_of(page: bytes) -> bytes:
    """The page's own content, without the per-request CSRF tokens of the shell."""
    return page[page.index(b"<main") : page.index(b"</main>")]


# -- references ----------------------------------------------------------------------------------


def test_references_count_per_organisation_and_year_and_follow_ups_keep_them(admin, coordinator, cast):
    first, second = compose(admin), compose(admin)
    other = compose(cast.membership("b_admin"))
    year = first.created_at.year % 100
    assert (first.reference, second.reference) == (f"UA 001/{year:02d}", f"UA 002/{year:02d}")
    assert other.reference == f"UA 001/{year:02d}"
    Alert.objects.filter(pk=first.pk).update(state=Alert.State.PUBLISHED, audience=None)
    first.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.do_create_follow_up(admin, first, Alert.Kind.FURTHER)  # never really published


# -- the two-person rule -----------------------------------------------------------------------


def test_the_author_cannot_approve_and_a_second_person_can(admin, coordinator):
    alert = compose(admin)
    actions.do_submit(admin, alert)
    with pytest.raises(ValidationError, match="second person"):
        actions.do_approve(admin, alert)
    actions.do_approve(coordinator, alert)
    assert alert.state == Alert.State.APPROVED and alert.approved_by == coordinator.user


def test_an_edit_after_approval_sends_it_back_and_its_editor_cannot_approve(admin, coordinator, cast):
    alert = approved(admin, coordinator)
    actions.do_save_version(coordinator, alert, "en", summary="Changed after approval")
    alert.refresh_from_db()
    assert alert.state == Alert.State.REVIEW and alert.approved_by is None
    with pytest.raises(ValidationError, match="second person"):
        actions.do_approve(coordinator, alert)  # now the last editor
    refusal = actions.publish_refusal(admin, alert)
    assert "second person" in refusal
    with pytest.raises(ValidationError):
        publish(admin, alert)


def test_the_api_cannot_bypass_the_two_person_rule(admin, cast, client):
    created = client.post(
        "/api/v1/organizations/org-a/alerts", {"scope": "network"}, "application/json", **bearer(cast.tokens["a_admin"])
    ).json()
    base = f"/api/v1/organizations/org-a/alerts/{created['id']}"
    headers = bearer(cast.tokens["a_admin"])
    client.put(f"{base}/versions/en", {"title": "T", "summary": "S"}, "application/json", **headers)
    assert client.post(f"{base}/submit", **headers).status_code == 200
    refused = client.post(f"{base}/approve", **headers)
    assert refused.status_code == 400 and "second person" in refused.json()["error"]["fields"]["__all__"][0]
    code = totp(TOTPDevice.objects.get(user=cast.a_admin).bin_key)
    publishing = client.post(f"{base}/publish", {"second_factor_code": f"{code:06d}"}, "application/json", **headers)
    assert publishing.status_code == 400 and "approved by a second person" in str(publishing.json())
    assert Alert.objects.get(pk=created["id"]).state == Alert.State.REVIEW


def test_publishing_through_the_api_needs_a_second_factor_code(admin, coordinator, cast, client):
    alert = approved(admin, coordinator)
    url = f"/api/v1/organizations/org-a/alerts/{alert.pk}/publish"
    answer = client.post(url, {"second_factor_code": "000000"}, "application/json", **bearer(cast.tokens["a_admin"]))
    assert answer.status_code == 400 and "second_factor_code" in answer.json()["error"]["fields"]
    assert Alert.objects.get(pk=alert.pk).state == Alert.State.APPROVED


# -- step-up and consent -----------------------------------------------------------------------


def test_publishing_in_the_ui_needs_a_recent_second_factor(admin, coordinator, cast, as_user):
    alert = approved(admin, coordinator)
    client = as_user(cast.a_admin)
    session = client.session
    session[STEP_UP_AT] = 0
    session.save()
    response = client.post(reverse("alerts:publish", args=["org-a", alert.pk]))
    assert response.status_code == 302 and response["Location"].startswith(reverse("accounts:confirm"))
    assert Alert.objects.get(pk=alert.pk).state == Alert.State.APPROVED
    with pytest.raises(actions.StepUpRequired):
        actions.do_publish(admin, alert, second_factor_confirmed=False)


def test_publishing_refuses_a_defender_without_consent_and_names_them(admin, coordinator):
    defender = do_create_defender(admin, public_name="Ana Quintero")
    alert = approved(admin, coordinator, defenders=[defender])
    with pytest.raises(ValidationError, match="Ana Quintero has not consented to be named publicly"):
        publish(admin, alert)
    assert Alert.objects.get(pk=alert.pk).state == Alert.State.APPROVED


# -- publishing and sending --------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_publishing_freezes_the_audience_and_mails_each_language_with_fallback(admin, coordinator, subscribe, sink):
    subscribe("Eva", "eva@example.org", languages=["en"])
    subscribe("Sara", "sara@example.org", languages=["es"])
    subscribe("Farid", "farid@example.org", languages=["ar"])  # no Arabic text: the default, English
    defender = do_create_defender(admin, public_name="Ana Quintero")
    do_record_consent(admin, defender, scope="named_publicly", given_on=date(2024, 5, 1))
    case = do_open_case(admin, title="Cauca", defenders=[defender])
    alert = approved(admin, coordinator, languages=("en", "es"), cases=[case], defenders=[defender])
    publish(coordinator, alert)
    alert.refresh_from_db()
    assert alert.state == Alert.State.PUBLISHED and alert.audience is not None and alert.message is not None
    deliver()
    received = mails(sink)
    assert set(received) == {"eva@example.org", "sara@example.org", "farid@example.org"}
    assert received["sara@example.org"]["Subject"] == f"[{alert.reference}] Title es"
    assert received["farid@example.org"]["Subject"] == f"[{alert.reference}] Title en"
    assert received["farid@example.org"]["Content-Language"] == "en"
    text = received["eva@example.org"].get_body(("plain",)).get_content()
    assert "Eva" in text and "Minister Ríos" in text and "/d/ack/" in text
    assert Delivery.objects.filter(message=alert.message, language="en").count() == 2
    kinds = set(TimelineEvent.objects.filter(case=case).values_list("kind", flat=True))
    assert {"alert.linked", "alert.submitted", "alert.approved", "alert.published"} <= kinds


@pytest.mark.django_db(transaction=True)
def test_a_follow_up_reaches_exactly_the_original_audience_and_editing_it_resends_nothing(
    admin, coordinator, subscribe, sink
):
    subscribe("Eva", "eva@example.org", languages=["en"])
    subscribe("Sara", "sara@example.org", languages=["es"])
    original = approved(admin, coordinator)
    publish(coordinator, original)
    jobs.work_once()  # the fan-out: deliveries exist, none sent yet
    subscribe("Late", "late@example.org", languages=["en"])  # joined after publication
    follow = actions.do_create_follow_up(admin, Alert.objects.get(pk=original.pk), Alert.Kind.FURTHER)
    assert follow.reference == f"{original.reference} (further information 1)"
    run_until_idle()  # the original sends while the follow-up is a draft being edited
    actions.do_save_version(admin, follow, "en", title="Update", summary="He was released")
    run_until_idle()
    assert len(sink.accepted) == 2 and not sink.duplicates
    actions.do_submit(admin, follow)
    actions.do_approve(coordinator, follow)
    publish(coordinator, follow)
    deliver()
    follow_mails = [m for m in mails(sink).values() if "Update" in str(m["Subject"])]
    assert sorted(str(m["To"]) for m in follow_mails) == ["eva@example.org", "sara@example.org"]
    stop = actions.do_create_follow_up(admin, Alert.objects.get(pk=original.pk), Alert.Kind.STOP)
    assert stop.reference == f"{original.reference} (stop action)"


# -- closing the loop --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_the_ack_link_and_the_action_form_work_without_signing_in(admin, coordinator, subscribe, sink):
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    subscribe("Eva", "eva@example.org", languages=["en"])
    alert = publish(coordinator, approved(admin, coordinator))
    deliver()
    delivery = Delivery.objects.get(message__pk=Alert.objects.get(pk=alert.pk).message_id)
    link = signed_link("ack", delivery.idempotency_key).split("/d/ack/")[1].rstrip("/")
    anonymous = Client()
    assert anonymous.get(reverse("alerts:ack", args=[link])).status_code == 200
    assert not Acknowledgement.objects.exists()  # a GET (a mail scanner) acknowledges nothing
    assert anonymous.post(reverse("alerts:ack", args=[link])).status_code == 200
    assert Acknowledgement.objects.filter(delivery=delivery).count() == 1
    target = alert.targets.get()
    answer = anonymous.post(
        reverse("alerts:ack_action", args=[link]),
        {"target": target.pk, "action_type": "letter", "taken_on": "2024-06-01", "response": "", "notes": "Sent"},
    )
    assert answer.status_code == 200
    action = ActionTaken.objects.get()
    assert (action.delivery_id, action.action_type, action.notes) == (delivery.pk, "letter", "Sent")


def test_bad_ack_links_all_get_the_same_answer_and_change_nothing(cast):
    anonymous = Client()
    pages = {
        main_of(anonymous.post(reverse("alerts:ack", args=[token])).content)
        for token in ["nonsense", signed_link("ack", "0" * 64).split("/d/ack/")[1].rstrip("/"), "x:y"]
    }
    assert len(pages) == 1 and b"Thank you" in next(iter(pages))
    assert not Acknowledgement.objects.exists()


def test_members_record_actions_on_published_alerts_only(admin, coordinator, cast):
    alert = compose(admin)
    target = alert.targets.get()
    viewer = cast.membership("a_viewer")
    with pytest.raises(ValidationError):
        actions.do_record_action(
            viewer, alert, target, action_type="call", taken_on=date(2024, 6, 1), response=None, notes=""
        )


# -- the canary --------------------------------------------------------------------------------


def test_draft_text_never_reaches_raw_rows_or_logs(admin, caplog):
    caplog.set_level(logging.DEBUG)
    alert = actions.do_create_alert(admin)
    actions.do_save_version(
        admin, alert, "en", title=CANARY, summary=CANARY, model_letter=CANARY, area_description=CANARY
    )
    actions.do_save_target(admin, alert, name=CANARY, postal_address=CANARY)
    actions.do_submit(admin, alert)
    needle = "convoy leaves"
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        for table in tables:
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608  test code, table names from the schema
            for row in cursor.fetchall():
                assert needle not in repr(row), f"draft text in {table}"
    assert needle not in caplog.text


@pytest.mark.django_db(transaction=True)
def test_the_board_shows_progress_and_refreshes_in_place(admin, coordinator, subscribe, as_user, cast, sink):
    subscribe("Eva", "eva@example.org", languages=["en"])
    alert = publish(coordinator, approved(admin, coordinator))
    client = as_user(cast.a_viewer)
    page = client.get(reverse("alerts:board", args=["org-a", alert.pk]))
    assert page.status_code == 200 and b"<progress" in page.content and b"Refresh" in page.content
    assert b"Pause" not in page.content  # viewers see the board, leads control the sending
    partial = client.get(reverse("alerts:board", args=["org-a", alert.pk]), HTTP_HX_REQUEST="true")
    assert partial.status_code == 200 and b"<html" not in partial.content
    # Before the fan-out has written any delivery the board keeps refreshing itself; once
    # everything is settled it stops.
    assert b'hx-trigger="every 3s"' in partial.content
    deliver()
    settled = client.get(reverse("alerts:board", args=["org-a", alert.pk]), HTTP_HX_REQUEST="true")
    assert b"1 of 1 deliveries settled" in settled.content and b"hx-trigger" not in settled.content

"""An urgent alert from end to end: written in two languages by one person, approved and
published by a second, watched on the board, read in the demo mailbox, acknowledged through
its link and answered with an action.

The live server runs no workers: the test runs the fan-out job and the deliveries itself, as
the embedded workers would, between steps."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from salama.audiences.tests.conftest import lead, subscribe  # noqa: F401  fixtures
from salama.core import jobs
from salama.core.testing import PASSWORD
from salama.delivery.tests.conftest import run_until_idle
from salama.delivery.tests.mailbox_fixtures import demo_mailbox  # noqa: F401  fixture

from .conftest import add_authenticator, main_heading, sign_in_through_ui, status_message, totp_now, totp_of

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("demo_mailbox")]

TEXTS = {
    "en": ("Colombia: death threats against a land defender", "She was threatened after the hearing."),
    "es": ("Colombia: amenazas contra una defensora", "Fue amenazada tras la audiencia."),
}


def sign_in(page: Any, base: str, user: Any) -> None:
    sign_in_through_ui(page, base, user.email, PASSWORD, totp_now(user))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def write_text(page: Any, language: str) -> None:
    title, summary = TEXTS[language]
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill(summary)
    page.get_by_role("button", name="Save the text").click()
    expect(status_message(page, "Text saved.")).to_be_visible()


def compose_and_submit(page: Any, base: str) -> str:
    """As the author: settings, English then Spanish text, one target, then to review."""
    page.goto(f"{base}/o/org-a/alerts/new/")
    page.get_by_role("button", name="Save").click()
    write_text(page, "en")
    page.get_by_role("link", name="Español").click()
    write_text(page, "es")
    page.get_by_role("link", name="Add a target").click()
    page.get_by_label("Name").fill("Minister Ríos")
    page.get_by_label("Email").fill("ministro@example.gov")
    page.get_by_role("button", name="Save the target").click()
    page.get_by_role("button", name="Send for review").click()
    expect(page.get_by_role("main")).to_contain_text("In review")
    return page.url


def approve_and_publish(page: Any, alert_url: str, approver: Any) -> None:
    page.goto(alert_url)
    page.get_by_role("button", name="Approve").click()
    expect(status_message(page, "Approved.")).to_be_visible()
    page.get_by_role("button", name="Publish and send").click()
    if page.get_by_role("heading", name="Confirm it is you").count():  # a stale second factor
        page.get_by_label("Code").fill(totp_of(add_authenticator(approver)))
        page.get_by_role("button", name="Confirm").click()
        page.get_by_role("button", name="Publish and send").click()
    expect(status_message(page, "Published. The alert is on its way.")).to_be_visible()


def watch_the_board(page: Any) -> None:
    jobs.work_once()  # the fan-out: one delivery per subscriber, none sent yet
    page.get_by_role("link", name="Refresh").click()
    progress = page.locator("#board-progress")
    expect(progress).to_contain_text("0 of 2 deliveries settled")
    run_until_idle()
    # No reload: the progress part refreshes itself while sending.
    expect(progress).to_contain_text("2 of 2 deliveries settled", timeout=10_000)
    expect(progress.locator("dt:text-is('Sent') + dd")).to_have_text("2")


def read_in_the_mailbox(page: Any) -> None:
    page.get_by_role("link", name="Demo mailbox").click()
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="sara@example.org")).to_contain_text(TEXTS["es"][0])
    rows.filter(has_text="eva@example.org").get_by_role("link").click()
    expect(main_heading(page)).to_contain_text(TEXTS["en"][0])
    expect(page.locator("pre.mail-text")).to_contain_text("Dear Eva")
    framed = page.frame_locator("iframe.mail-html")
    expect(framed.get_by_role("heading", name=TEXTS["en"][0])).to_be_visible()


def acknowledge_and_act(page: Any) -> None:
    page.locator("pre.mail-text a[href*='/d/ack/']").click()
    page.get_by_role("button", name="I received this alert").click()
    expect(main_heading(page)).to_have_text("Thank you")
    page.get_by_label("What you did").select_option("letter")
    page.get_by_label("Notes").fill("Letter sent by post")
    page.get_by_role("button", name="Record my action").click()
    expect(page.get_by_role("main")).to_contain_text("Your action is recorded.")


def test_compose_approve_publish_watch_receive_acknowledge_and_act(
    live_server, page, fresh_page, cast, settings, request
):
    settings.SITE_URL = live_server.url  # the links in the mail lead back to this server
    add_subscriber = request.getfixturevalue("subscribe")
    add_subscriber("Eva", "eva@example.org", languages=["en"])
    add_subscriber("Sara", "sara@example.org", languages=["es"])
    base = live_server.url

    sign_in(page, base, cast.a_caseworker_team)
    alert_url = compose_and_submit(page, base)

    approver = fresh_page()
    sign_in(approver, base, cast.a_admin)
    approve_and_publish(approver, alert_url, cast.a_admin)
    watch_the_board(approver)
    board_url = approver.url

    read_in_the_mailbox(approver)
    acknowledge_and_act(approver)

    approver.goto(board_url)
    progress = approver.locator("#board-progress")
    expect(progress.locator("dt:text-is('Acknowledged') + dd")).to_have_text("1")
    expect(approver.get_by_role("main")).to_contain_text("Letter")

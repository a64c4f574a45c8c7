"""The guided risk assessment in a browser with JavaScript off: five plain form posts, then the
level with its explanation and the matrix."""

import pytest
from playwright.sync_api import expect

from salama.core.testing import PASSWORD
from salama.defenders.actions import do_create_defender
from salama.vocab.actions import load_default_vocabularies

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser

FACTS = "Canary-Risk-Facts-Qx71"


def test_fill_the_guided_assessment_and_see_the_explained_level(live_server, page_without_js, cast):
    page = page_without_js
    load_default_vocabularies()
    # Recorded by the caseworker: need to know lets them see the defenders they recorded.
    do_create_defender(cast.membership("a_caseworker_team"), public_name="Mariela Quispe")
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_caseworker_team.email, PASSWORD, totp_now(cast.a_caseworker_team))
    page.wait_for_url(f"{base}/o/org-a/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Defenders").click()
    page.get_by_role("link", name="Mariela Quispe").click()
    page.get_by_role("link", name="Risk assessments and protection plans").click()
    page.get_by_role("link", name="Start a new risk assessment").click()

    # 1. context
    page.get_by_label("Date of the assessment").fill("2025-10-01")
    page.get_by_label("Confidence").select_option("high")
    page.get_by_role("button", name="Save and go to threats").click()

    # 2. two threats, the first with "add another"
    expect(page.get_by_role("heading", name="2. Threats")).to_be_visible()
    page.get_by_label("Source (type of perpetrator)").select_option(label="\u2003Police")
    page.get_by_label("Means of expression").select_option("phone")
    page.get_by_label("1. the facts").fill(FACTS)
    page.get_by_label("Likelihood (1 to 5)").select_option("4")
    page.get_by_label("Impact (1 to 5)").select_option("5")
    page.get_by_role("button", name="Save and add another threat").click()
    expect(page.get_by_role("table", name="Threats added")).to_contain_text("4 x 5 = 20")
    page.get_by_label("Means of expression").select_option("social_media")
    page.get_by_label("Likelihood (1 to 5)").select_option("2")
    page.get_by_label("Impact (1 to 5)").select_option("2")
    page.get_by_role("button", name="Save and go to vulnerabilities").click()

    # 3. a vulnerability, 4. a capacity that offsets it
    page.get_by_label("Domain").select_option("movement")
    page.get_by_label("Severity (1 to 5)").select_option("5")
    page.get_by_role("button", name="Save and go to capacities").click()
    page.get_by_label("Domain").select_option("communications")
    page.get_by_label("Strength (1 to 5)").select_option("2")
    page.get_by_label("Vulnerability it offsets").select_option(index=1)
    page.get_by_role("button", name="Save and go to the review").click()

    # 5. the computed level, explained, before completing
    level = page.get_by_role("region", name="Level: Critical")
    expect(level).to_contain_text("The highest scores 20 of 25 (likelihood 4, impact 5)")
    expect(level).to_contain_text("1 vulnerability, 1 offset by a capacity")
    page.get_by_label("Next review").fill("2026-01-15")
    page.get_by_label("A missed check-in").check()
    page.get_by_role("button", name="Complete the assessment").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Risk assessment of Mariela Quispe")
    expect(page.get_by_role("region", name="Level: Critical")).to_contain_text("Risk = threats x vulnerabilities")
    matrix = page.get_by_role("table", name="Risk matrix")
    expect(matrix.get_by_role("row").filter(has_text="T1")).to_contain_text("20")
    expect(page.get_by_role("main")).not_to_contain_text(FACTS)
    page.get_by_role("button", name="Hidden — reveal the threat analyses and named actors").click()
    expect(page.get_by_role("main")).to_contain_text(FACTS)

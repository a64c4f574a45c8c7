"""Exporting aggregates from the analysis page, with JavaScript off: the page says beforehand what
the file will hide, and the file hides it."""

import csv
import io

import pytest
from playwright.sync_api import expect

from salama.analytics.tests.fixture import build_network
from salama.core.testing import PASSWORD

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_export_a_count_by_year_from_the_analysis_page(live_server, page_without_js, cast):
    page = page_without_js
    build_network(cast)  # A: 1 incident in 2023, 2 in 2024; all under k = 5
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_coordinator.email, PASSWORD, totp_now(cast.a_coordinator))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/analytics/?unit=incidents&rows=year")
    page.get_by_role("link", name="Export aggregates").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Export aggregates")
    page.get_by_role("button", name="Check what the file will hold").click()
    expect(page.get_by_role("main").get_by_role("status")).to_contain_text("This export hides")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    lines = list(csv.reader(io.StringIO(download.value.path().read_text(encoding="utf-8-sig"))))
    hxl = next(line for line in lines if line and line[0].startswith("#"))
    count = hxl.index("#indicator+num+incidents")
    data = lines[lines.index(hxl) + 1 :]
    assert hxl[0] == "#date+year"
    assert {line[count] for line in data} == {""}  # every count hidden, none written
    assert any(line[:1] == ["Note"] for line in lines)

"""The map on the analysis page, with JavaScript off: a country links to its incidents, and the
chart and the map download as pictures."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from salama.analytics.tests.fixture import build_network
from salama.core.testing import PASSWORD

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_drill_down_from_the_map_to_a_countrys_incidents(live_server, page_without_js, cast):
    page = page_without_js
    build_network(cast)  # A: one incident in Colombia, one in Kenya, one with no country
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_coordinator.email, PASSWORD, totp_now(cast.a_coordinator))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/analytics/?unit=incidents&rows=country")
    chart_map = page.locator("figure.map svg[role=img]")
    expect(chart_map).to_be_visible()
    kenya = chart_map.locator('a:has(path[data-country="KE"])')
    expect(kenya.locator("title")).to_have_text("Kenya: 1")
    expect(chart_map.locator('path[data-country="BR"]')).to_have_attribute("fill", "#e6e6e6")
    kenya.click()
    page.wait_for_url(f"{base}/o/org-a/incidents/?country=KE")
    expect(page.get_by_label("Country")).to_have_value("KE")
    expect(page.get_by_role("main")).to_contain_text("I2")


def test_download_the_chart_and_the_map(live_server, page_without_js, cast):
    page = page_without_js
    build_network(cast)
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_viewer.email, PASSWORD, totp_now(cast.a_viewer))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/analytics/?unit=incidents&rows=year")
    with page.expect_download() as download:
        page.get_by_role("link", name="chart as PNG").click()
    assert download.value.suggested_filename == "incidents-by-year.png"
    assert Image.open(download.value.path()).format == "PNG"
    with page.expect_download() as download:
        page.get_by_role("link", name="map as SVG").click()
    svg = download.value.path().read_text(encoding="utf-8")
    assert svg.startswith("<svg") and 'role="img"' in svg and "Colombia: hidden" in svg  # a viewer's file hides 1s

"""The header's language form switches the interface language, with right-to-left for Arabic.

Translations are written elsewhere while this suite grows, so these tests read attributes and
find the form's controls by the name they have in the current language, whatever it is.
"""

import pytest
from django.utils import translation
from playwright.sync_api import expect

from salama.core.testing import PASSWORD

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def in_language(language, text):
    with translation.override(language):
        return translation.gettext(text)


def language_select(page, current):
    """The header's language list, found by its label as shown in the `current` language."""
    return page.get_by_role("banner").get_by_label(in_language(current, "Language"), exact=True)


def choose_language(page, current, code):
    """Use the language form as a person reading `current` would: by its label and button."""
    language_select(page, current).select_option(code)
    button = in_language(current, "Change language")
    page.get_by_role("banner").get_by_role("button", name=button, exact=True).click()
    expect(page.locator("html")).to_have_attribute("lang", code)


def test_switching_to_arabic_turns_the_page_right_to_left_and_spanish_back(live_server, page):
    html = page.locator("html")
    page.goto(f"{live_server.url}/login/")
    expect(html).to_have_attribute("lang", "en")
    expect(html).to_have_attribute("dir", "ltr")
    # The page's own script is served by Salama itself, and runs.
    assert page.evaluate("typeof window.htmx") == "object"

    choose_language(page, "en", "ar")
    page.wait_for_url(f"{live_server.url}/login/")
    expect(html).to_have_attribute("dir", "rtl")
    expect(language_select(page, "ar")).to_have_value("ar")

    choose_language(page, "ar", "es")
    page.wait_for_url(f"{live_server.url}/login/")
    expect(html).to_have_attribute("dir", "ltr")
    expect(language_select(page, "es")).to_have_value("es")

    # The choice holds on the next page.
    page.goto(f"{live_server.url}/password-reset/")
    expect(html).to_have_attribute("lang", "es")
    expect(html).to_have_attribute("dir", "ltr")


def test_arabic_holds_on_a_signed_in_page(live_server, page, cast):
    person = cast.a_admin
    sign_in_through_ui(page, live_server.url, person.email, PASSWORD, totp_now(person))
    page.wait_for_url(f"{live_server.url}/o/org-a/")
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "ltr")

    choose_language(page, "en", "ar")
    # Back on the same page, now right-to-left.
    page.wait_for_url(f"{live_server.url}/o/org-a/")
    expect(html).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", level=1)).to_have_text("Org A")  # names are never translated

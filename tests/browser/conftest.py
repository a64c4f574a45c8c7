"""Playwright driving Debian's Chromium against a live Salama; screenshots land in test-artifacts/."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls made by the tests
# themselves (building the cast) are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    path = os.environ.get("SALAMA_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("Chromium is missing: `make test` installs Debian's chromium package.")
    return path


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        yield instance
        instance.close()


def _new_page(browser: Any, request: pytest.FixtureRequest, **context_options: Any) -> Iterator[Any]:
    context = browser.new_context(**context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    context.close()


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest, transactional_db: None) -> Iterator[Any]:
    yield from _new_page(browser, request)


@pytest.fixture
def page_without_js(browser: Any, request: pytest.FixtureRequest, transactional_db: None) -> Iterator[Any]:
    yield from _new_page(browser, request, java_script_enabled=False)


@pytest.fixture
def phone_page_without_js(browser: Any, request: pytest.FixtureRequest, transactional_db: None) -> Iterator[Any]:
    yield from _new_page(
        browser, request, java_script_enabled=False, viewport={"width": 360, "height": 640}, is_mobile=True
    )


def totp_now(user: Any) -> str:
    """The current code of the user's authenticator, as their phone would show it."""
    from django_otp.oath import TOTP
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user).order_by("-confirmed", "-pk").first()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def sign_in_through_ui(page: Any, base_url: str, email: str, password: str, code: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Continue").click()
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign in").click()


# Helpers added for the browser suite ---------------------------------------------------------


@pytest.fixture
def fresh_page(browser: Any, request: pytest.FixtureRequest, transactional_db: None) -> Iterator[Any]:
    """fresh_page(**context_options) -> a page in a new browser context, with its own cookies.

    For a second person or a second device in the same test. Each one leaves a screenshot,
    named after the test with -2, -3, ... appended.
    """
    pages: list[Any] = []

    def make(**context_options: Any) -> Any:
        context = browser.new_context(**context_options)
        extra = context.new_page()
        extra.set_default_timeout(15_000)
        pages.append(extra)
        return extra

    yield make
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    for number, extra in enumerate(pages, start=2):
        extra.screenshot(path=str(ARTIFACTS / f"{name}-{number}.png"), full_page=True)
        extra.context.close()


def add_authenticator(user: Any, name: str = "second phone") -> Any:
    """A second confirmed authenticator app, for signing in twice within one 30-second step."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    return TOTPDevice.objects.create(user=user, name=name, confirmed=True)


def totp_of(device: Any) -> str:
    """The current code of one particular authenticator."""
    from django_otp.oath import TOTP

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def totp_from_shown_key(shown: str, offset: int = 0) -> str:
    """What an authenticator app shows for a key typed in from the page (base32, in groups of four).

    offset moves the clock by whole 30-second steps (-1 is the previous code).
    """
    import base64

    from django_otp.oath import TOTP

    secret = "".join(shown.split()).upper()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    totp = TOTP(key)
    totp.time = totp.time + offset * totp.step
    return f"{totp.token():06d}"


def main_heading(page: Any) -> Any:
    return page.get_by_role("heading", level=1)


NEW_PASSWORD = "lanterns drift over the quiet harbour at dawn"


def create_account_from_invitation(page: Any, url: str, name: str = "Nadia Okafor") -> None:
    """Open an invitation link signed out and create the account; the server must accept it."""
    from playwright.sync_api import expect

    page.goto(url)
    expect(main_heading(page)).to_have_text("Join Org A")
    page.get_by_label("Your name").fill(name)
    page.get_by_label(re.compile(r"^Password(?! again)")).fill(NEW_PASSWORD)
    page.get_by_label("Password again").fill(NEW_PASSWORD)
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Create account").click()
    assert answer.value.status == 302, f"creating the account answered {answer.value.status}"


def status_message(page: Any, text: str) -> Any:
    """A status message in the page's main part (role=status) that contains this text."""
    return page.get_by_role("main").get_by_role("status").filter(has_text=text)

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
    yield from _new_page(browser, request, java_script_enabled=False, viewport={"width": 360, "height": 640}, is_mobile=True)


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

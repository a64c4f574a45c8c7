"""Signing in: password, then a second factor; throttling without enumeration; session limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.accounts.actions import do_generate_backup_codes
from salama.core.jobs import work_once
from salama.core.testing import PASSWORD, make_person, sign_in

START = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)


def code_for(user, at=None) -> str:  # type: ignore[no-untyped-def]
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    return f"{totp.token():06d}"


def password_step(client: Client, email: str, password: str = PASSWORD, **extra):  # type: ignore[no-untyped-def]
    return client.post("/login/", {"username": email, "password": password}, **extra)


def is_signed_in(client: Client) -> bool:
    return client.get("/account/").status_code == 200


@pytest.fixture
def person(db):  # type: ignore[no-untyped-def]
    return make_person("defender.ally@example.org", "Ally")


@pytest.fixture
def frozen():  # type: ignore[no-untyped-def]
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def test_password_then_code_signs_in(person, frozen):
    client = Client()
    response = password_step(client, person.email.upper())
    assert response.status_code == 302 and response["Location"] == "/login/verify/"
    assert not is_signed_in(client), "a password alone must not sign anyone in"
    response = client.post("/login/verify/", {"code": code_for(person)})
    assert response.status_code == 302
    assert is_signed_in(client)


def test_a_totp_code_cannot_be_replayed(person, frozen):
    code = code_for(person)
    first = Client()
    password_step(first, person.email)
    first.post("/login/verify/", {"code": code})
    assert is_signed_in(first)
    second = Client()
    password_step(second, person.email)
    response = second.post("/login/verify/", {"code": code})
    assert response.status_code == 200
    assert "That code did not work" in response.content.decode()
    assert not is_signed_in(second)


def test_a_backup_code_works_once(person, frozen):
    codes = do_generate_backup_codes(person)
    client = Client()
    password_step(client, person.email)
    client.post("/login/verify/", {"code": codes[0].upper()})
    assert is_signed_in(client)
    again = Client()
    password_step(again, person.email)
    again.post("/login/verify/", {"code": codes[0]})
    assert not is_signed_in(again)


def test_the_second_factor_must_follow_the_password_quickly(person, frozen):
    client = Client()
    password_step(client, person.email)
    frozen.shift(timedelta(seconds=settings.SECOND_FACTOR_WINDOW_SECONDS + 1))
    response = client.post("/login/verify/", {"code": code_for(person)})
    assert response["Location"] == "/login/"
    assert not is_signed_in(client)


def test_too_many_wrong_codes_end_the_attempt(person, frozen):
    client = Client()
    password_step(client, person.email)
    for _ in range(5):
        client.post("/login/verify/", {"code": "000000"})
    assert client.session.get("_salama_pending_user") is None
    client.post("/login/verify/", {"code": code_for(person)})
    assert not is_signed_in(client)


def _failure_answer(response) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    # Everything a person or a script could compare, minus the per-response CSRF token.
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
    text = re.sub(r'value="[^"]*@[^"]*"', "", text)  # the address typed is echoed back
    return response.status_code, text


def test_unknown_account_wrong_password_and_locked_account_answer_alike(person):
    unknown = _failure_answer(password_step(Client(), "nobody@example.org", "wrong password 1"))
    wrong = _failure_answer(password_step(Client(), person.email, "wrong password 1"))
    for _ in range(settings.AXES_FAILURE_LIMIT):
        password_step(Client(), person.email, "wrong again", REMOTE_ADDR="192.0.2.7")
    locked = password_step(Client(), person.email, PASSWORD)  # the right password, but locked
    assert unknown == wrong == _failure_answer(locked)
    assert unknown[0] == 200
    assert "Try again later" in unknown[1]


def test_the_account_lock_ignores_letter_case_and_the_client_lock_other_accounts(person, db):
    other = make_person("caseworker.two@example.org", "Two")
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        password_step(Client(), f"nobody{attempt}@example.org", "guess", REMOTE_ADDR="198.51.100.9")
    # That client is now locked out, even with another account's right password...
    password_step(Client(), other.email, PASSWORD, REMOTE_ADDR="198.51.100.9")
    blocked = Client()
    password_step(blocked, other.email, PASSWORD, REMOTE_ADDR="198.51.100.9")
    assert blocked.session.get("_salama_pending_user") is None
    # ...while the same account from another client still works.
    fine = Client()
    response = password_step(fine, other.email, PASSWORD, REMOTE_ADDR="203.0.113.5")
    assert response["Location"] == "/login/verify/"
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        password_step(
            Client(),
            person.email.upper() if attempt % 2 else person.email,
            "guess",
            REMOTE_ADDR=f"203.0.113.{attempt + 10}",
        )
    locked = Client()
    password_step(locked, person.email, PASSWORD, REMOTE_ADDR="203.0.113.99")
    assert locked.session.get("_salama_pending_user") is None


def test_sessions_end_after_idle_time(cast, frozen):
    client = sign_in(Client(), cast.a_admin)
    frozen.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS - 60))
    assert is_signed_in(client)
    frozen.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS + 1))
    assert not is_signed_in(client)


def test_sessions_end_after_their_lifetime_even_when_busy(cast, frozen):
    client = sign_in(Client(), cast.a_admin)
    step = timedelta(seconds=settings.SESSION_IDLE_SECONDS // 2)
    elapsed = timedelta(0)
    while elapsed + step < timedelta(seconds=settings.SESSION_MAX_SECONDS):
        frozen.shift(step)
        elapsed += step
        assert is_signed_in(client)
    frozen.shift(step + timedelta(seconds=1))
    assert not is_signed_in(client)


def test_sign_out_is_a_post(cast):
    client = sign_in(Client(), cast.a_admin)
    assert client.get("/logout/").status_code == 405
    assert is_signed_in(client)
    assert client.post("/logout/").status_code == 302
    assert not is_signed_in(client)


def test_sign_out_of_all_other_sessions(cast):
    mine, other = sign_in(Client(), cast.a_admin), sign_in(Client(), cast.a_admin)
    stranger = sign_in(Client(), cast.b_admin)
    mine.post("/account/sessions/end-others/")
    assert is_signed_in(mine) and not is_signed_in(other)
    assert is_signed_in(stranger)


def test_ending_one_session_by_its_handle(cast):
    from salama.accounts.models import Session

    mine, other = sign_in(Client(), cast.a_admin), sign_in(Client(), cast.a_admin)
    handle = Session.objects.get(session_key=other.session.session_key).handle
    # Another person cannot end it...
    sign_in(Client(), cast.b_admin).post(f"/account/sessions/{handle}/end/")
    assert is_signed_in(other)
    mine.post(f"/account/sessions/{handle}/end/")
    assert not is_signed_in(other) and is_signed_in(mine)


def test_changing_the_password_ends_the_other_sessions(cast):
    mine, other = sign_in(Client(), cast.a_admin), sign_in(Client(), cast.a_admin)
    new = "a brand new passphrase for 2027"
    response = mine.post("/account/password/", {"old_password": PASSWORD, "new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert is_signed_in(mine) and not is_signed_in(other)
    cast.a_admin.refresh_from_db()
    assert cast.a_admin.check_password(new)


def test_a_weak_new_password_is_refused_with_reasons(cast):
    client = sign_in(Client(), cast.a_admin)
    response = client.post(
        "/account/password/",
        {"old_password": PASSWORD, "new_password1": "Password123!", "new_password2": "Password123!"},
    )
    assert response.status_code == 400
    assert "breached" in response.content.decode()


def test_password_reset_never_bypasses_the_second_factor(person, frozen):
    client = Client()
    response = client.post("/password-reset/", {"email": person.email})
    assert response.status_code == 302
    unknown = client.post("/password-reset/", {"email": "nobody@example.org"})
    assert unknown.status_code == 302 and unknown["Location"] == response["Location"]
    assert work_once() == 1  # one mail queued, for the real account only
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/password-reset/\S+/", mail.outbox[0].body).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    form_page = client.get("/" + path, follow=True)
    new = "another long passphrase 2027"
    response = client.post(form_page.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert response.status_code == 302
    assert not is_signed_in(client)
    response = password_step(client, person.email, new)
    assert response["Location"] == "/login/verify/"
    assert not is_signed_in(client)


def test_next_cannot_send_people_to_another_site(person, frozen):
    client = Client()
    client.post("/login/", {"username": person.email, "password": PASSWORD, "next": "https://evil.example/"})
    response = client.post("/login/verify/", {"code": code_for(person)})
    assert response["Location"] == "/"


def test_next_brings_people_back_where_they_were(cast, frozen):
    client = Client()
    response = client.get("/o/org-a/members/")
    assert response["Location"] == "/login/?next=/o/org-a/members/"
    client.post("/login/", {"username": cast.a_viewer.email, "password": PASSWORD, "next": "/o/org-a/members/"})
    response = client.post("/login/verify/", {"code": code_for(cast.a_viewer)})
    assert response["Location"] == "/o/org-a/members/"


def test_ending_a_session_from_the_page_in_place(cast):
    from salama.accounts.models import Session

    mine, other = sign_in(Client(), cast.a_admin), sign_in(Client(), cast.a_admin)
    handle = Session.objects.get(session_key=other.session.session_key).handle
    response = mine.post(f"/account/sessions/{handle}/end/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response.content == b""
    assert not is_signed_in(other)

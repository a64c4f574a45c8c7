"""First sign-in sets up a second factor; devices can be added, never all removed."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from salama.accounts.actions import do_create_user, do_generate_backup_codes
from salama.accounts.models import ApiToken
from salama.core.testing import PASSWORD


def code_from_page(html: str) -> str:
    secret = re.search(r'class="secret" translate="no">([A-Z2-7 ]+)<', html).group(1).replace(" ", "")
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{TOTP(key).token():06d}"


def test_a_new_account_must_enrol_before_anything_else(db):
    user = do_create_user("first.time@example.org", "First Time", PASSWORD)
    client = Client()
    assert client.post("/login/", {"username": user.email, "password": PASSWORD})["Location"] == "/login/enrol/"
    page = client.get("/login/enrol/").content.decode()
    assert 'src="data:image/svg+xml;base64,' in page
    assert client.get("/account/").status_code == 302  # still nothing else
    assert not TOTPDevice.objects.filter(user=user).exists()
    wrong = client.post("/login/enrol/", {"code": "123456"})
    assert "That code did not work" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()
    code = code_from_page(page)
    done = client.post("/login/enrol/", {"code": code, "name": "My phone"})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(codes) == 10
    assert set(codes) == set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))
    assert TOTPDevice.objects.get(user=user).name == "My phone"
    assert client.get("/account/").status_code == 200
    # The code used to enrol cannot sign in a second time.
    again = Client()
    again.post("/login/", {"username": user.email, "password": PASSWORD})
    assert again.post("/login/verify/", {"code": code}).status_code == 200
    assert again.get("/account/").status_code == 302


def test_enrolment_is_only_for_accounts_without_a_second_factor(cast):
    client = Client()
    client.post("/login/", {"username": cast.a_admin.email, "password": PASSWORD})
    assert client.get("/login/enrol/")["Location"] == "/login/"


def test_adding_an_authenticator_and_never_removing_the_last(cast, as_user):
    client = as_user(cast.a_admin)
    page = client.get("/account/authenticators/add/").content.decode()
    response = client.post("/account/authenticators/add/", {"code": code_from_page(page), "name": "Spare phone"})
    assert response["Location"] == "/account/"
    devices = list(TOTPDevice.objects.filter(user=cast.a_admin).order_by("pk"))
    assert [d.name for d in devices] == ["phone", "Spare phone"]
    response = client.post(f"/account/devices/totp/{devices[0].pk}/remove/", follow=True)
    assert "You signed in with this device" in response.content.decode()
    client.post(f"/account/devices/totp/{devices[1].pk}/remove/")
    assert list(TOTPDevice.objects.filter(user=cast.a_admin)) == [devices[0]]
    do_generate_backup_codes(cast.a_admin)
    with_backup_code = as_user(cast.a_admin)  # a session verified with another factor
    session = with_backup_code.session
    session["otp_device_id"] = StaticDevice.objects.get(user=cast.a_admin).persistent_id
    session.save()
    response = with_backup_code.post(f"/account/devices/totp/{devices[0].pk}/remove/", follow=True)
    assert "only second factor" in response.content.decode()
    assert TOTPDevice.objects.filter(user=cast.a_admin).count() == 1
    other = TOTPDevice.objects.get(user=cast.b_admin)
    assert client.post(f"/account/devices/totp/{other.pk}/remove/").status_code == 404


def test_new_backup_codes_replace_the_old(cast, as_user):
    client = as_user(cast.a_admin)
    first = re.findall(r"<code>([a-z2-7]+)</code>", client.post("/account/backup-codes/").content.decode())
    second = re.findall(r"<code>([a-z2-7]+)</code>", client.post("/account/backup-codes/").content.decode())
    assert len(first) == len(second) == 10 and not set(first) & set(second)
    stored = set(StaticToken.objects.filter(device__user=cast.a_admin).values_list("token", flat=True))
    assert stored == set(second)


def test_sensitive_changes_need_a_recent_second_factor(cast, as_user, settings):
    client = as_user(cast.a_admin)
    with time_machine.travel(timezone.now() + timedelta(seconds=settings.STEP_UP_SECONDS + 5)) as clock:
        client.get("/account/")  # the session itself is still alive
        response = client.post("/account/tokens/", {"name": "late", "organization": "org-a", "days": 30})
        assert response.status_code == 302 and response["Location"].startswith("/account/confirm/?next=")
        assert not ApiToken.objects.filter(name="late").exists()
        json_answer = client.post("/account/security-keys/begin/", HTTP_ACCEPT="application/json")
        assert json_answer.status_code == 403 and json_answer.json()["error"]["code"] == "step_up_required"
        assert client.post("/account/confirm/", {"code": "000000", "next": "/account/"}).status_code == 200
        clock.shift(timedelta(seconds=2))  # past the throttle's pause after a wrong code
        device = TOTPDevice.objects.get(user=cast.a_admin)
        code = f"{TOTP(device.bin_key).token():06d}"
        assert client.post("/account/confirm/", {"code": code, "next": "/account/"})["Location"] == "/account/"
        client.post("/account/tokens/", {"name": "late", "organization": "org-a", "days": 30})
        assert ApiToken.objects.filter(name="late").exists()

"""Security keys as a second factor: the four JSON views, without a browser.

A small software authenticator (P-256, "none" attestation) answers the ceremonies the way a
real key does, so both the refusals and the successful paths run through py_webauthn's checks.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from datetime import timedelta
from typing import Any

import cbor2
import pytest
import time_machine
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from django.contrib.auth import user_login_failed
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from webauthn.helpers import bytes_to_base64url

from salama.accounts.actions import do_add_webauthn_device, do_record_webauthn_use
from salama.accounts.models import WebAuthnDevice
from salama.accounts.views import MAX_CODE_FAILURES, PENDING_USER
from salama.accounts.webauthn import CEREMONY_SECONDS, LOGIN_CHALLENGE, REGISTER_CHALLENGE
from salama.core.testing import PASSWORD, sign_in

RP_ID = "testserver"
ORIGIN = "http://testserver"  # the test client's own origin
REGISTER_BEGIN = reverse("accounts:webauthn_register_begin")
REGISTER_FINISH = reverse("accounts:webauthn_register_finish")
LOGIN_BEGIN = reverse("accounts:webauthn_login_begin")
LOGIN_FINISH = reverse("accounts:webauthn_login_finish")


class SoftKey:
    """A security key in software: one P-256 credential with a signature counter."""

    def __init__(self, rp_id: str = RP_ID) -> None:
        self.rp_id = rp_id
        self.private_key = ec.generate_private_key(ec.SECP256R1())
        self.credential_id = secrets.token_bytes(32)
        self.sign_count = 0

    @property
    def id(self) -> str:
        return bytes_to_base64url(self.credential_id)

    def cose_public_key(self) -> bytes:
        numbers = self.private_key.public_key().public_numbers()
        x, y = numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")
        return cbor2.dumps({1: 2, 3: -7, -1: 1, -2: x, -3: y})

    def _authenticator_data(self, flags: int, attested: bytes = b"") -> bytes:
        rp_hash = hashlib.sha256(self.rp_id.encode()).digest()
        return rp_hash + bytes([flags]) + self.sign_count.to_bytes(4, "big") + attested

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps({"type": kind, "challenge": challenge, "origin": origin}).encode()

    def create(self, options: dict[str, Any], origin: str = ORIGIN) -> dict[str, Any]:
        """The answer to navigator.credentials.create(), as webauthn.js sends it."""
        client_data = self._client_data("webauthn.create", options["challenge"], origin)
        attested = bytes(16) + len(self.credential_id).to_bytes(2, "big") + self.credential_id
        authenticator_data = self._authenticator_data(0x41, attested + self.cose_public_key())
        attestation = cbor2.dumps({"fmt": "none", "attStmt": {}, "authData": authenticator_data})
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "attestationObject": bytes_to_base64url(attestation),
                "transports": ["usb"],
            },
        }

    def get(self, options: dict[str, Any], origin: str = ORIGIN) -> dict[str, Any]:
        """The answer to navigator.credentials.get(), as webauthn.js sends it."""
        self.sign_count += 1
        client_data = self._client_data("webauthn.get", options["challenge"], origin)
        authenticator_data = self._authenticator_data(0x01)
        signed = authenticator_data + hashlib.sha256(client_data).digest()
        signature = self.private_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return {
            "id": self.id,
            "rawId": self.id,
            "type": "public-key",
            "response": {
                "clientDataJSON": bytes_to_base64url(client_data),
                "authenticatorData": bytes_to_base64url(authenticator_data),
                "signature": bytes_to_base64url(signature),
            },
        }


@pytest.fixture(autouse=True)
def webauthn_site(settings: Any) -> None:
    settings.WEBAUTHN_RP_ID = RP_ID
    settings.WEBAUTHN_ORIGIN = [ORIGIN]


def post_json(client: Client, url: str, body: Any = None, **extra: Any) -> Any:
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **extra)


def finish(client: Client, url: str, credential: Any, **more: Any) -> Any:
    return post_json(client, url, {"credential": credential, **more})


def assert_error(response: Any, code: str | None = None) -> dict[str, Any]:
    """A refusal in the one JSON shape every error takes."""
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["code"] == code or code is None
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["fields"], dict)
    return error


def keep_key(user: Any, key: SoftKey, name: str = "blue key") -> WebAuthnDevice:
    public_key = bytes_to_base64url(key.cose_public_key())
    return do_add_webauthn_device(user, name, key.id, public_key, key.sign_count)


def pending_sign_in(user: Any, next_url: str = "") -> Client:
    """A client that gave the right password and still owes the second factor."""
    client = Client()
    form = {"username": user.email, "password": PASSWORD, "next": next_url}
    response = client.post("/login/", form)
    assert response["Location"] == "/login/verify/"
    return client


def is_signed_in(client: Client) -> bool:
    return client.get("/account/").status_code == 200


# Adding a key --------------------------------------------------------------------------------


def test_register_begin_gives_options_for_this_site_and_keeps_the_challenge(cast, as_user):
    client = as_user(cast.a_admin)
    response = post_json(client, REGISTER_BEGIN)
    assert response.status_code == 200
    options = response.json()
    assert options["rp"]["id"] == RP_ID
    assert options["user"]["name"] == cast.a_admin.email
    assert options["authenticatorSelection"]["residentKey"] == "discouraged"
    assert options["excludeCredentials"] == []
    assert client.session[REGISTER_CHALLENGE]["challenge"] == options["challenge"]
    # The user handle is stable for the account but reveals neither its address nor its ID.
    again = post_json(client, REGISTER_BEGIN).json()
    assert again["user"]["id"] == options["user"]["id"]
    assert again["challenge"] != options["challenge"]
    assert str(cast.a_admin.pk) != options["user"]["id"] and "@" not in options["user"]["id"]


def test_register_begin_excludes_keys_already_registered(cast, as_user):
    key = SoftKey()
    keep_key(cast.a_admin, key)
    options = post_json(as_user(cast.a_admin), REGISTER_BEGIN).json()
    assert [item["id"] for item in options["excludeCredentials"]] == [key.id]


def test_a_verified_key_becomes_a_confirmed_device(cast, as_user):
    client = as_user(cast.a_admin)
    key = SoftKey()
    options = post_json(client, REGISTER_BEGIN).json()
    response = finish(client, REGISTER_FINISH, key.create(options), name=" blue key ")
    assert response.status_code == 200
    assert response.json() == {"redirect": "/account/"}
    device = WebAuthnDevice.objects.get(user=cast.a_admin)
    assert (device.name, device.confirmed, device.credential_id) == ("blue key", True, key.id)
    assert device.public_key == bytes_to_base64url(key.cose_public_key())
    assert REGISTER_CHALLENGE not in client.session
    page = client.get("/account/").content.decode()
    assert "Security key added." in page and "blue key" in page


def test_a_key_without_a_name_gets_a_default_one(cast, as_user):
    client = as_user(cast.a_admin)
    options = post_json(client, REGISTER_BEGIN).json()
    finish(client, REGISTER_FINISH, SoftKey().create(options))
    assert WebAuthnDevice.objects.get(user=cast.a_admin).name == "Security key"


def _tamper_origin(key: SoftKey, options: dict[str, Any]) -> dict[str, Any]:
    return key.create(options, origin="https://elsewhere.example")


def _tamper_challenge(key: SoftKey, options: dict[str, Any]) -> dict[str, Any]:
    return key.create({**options, "challenge": bytes_to_base64url(secrets.token_bytes(64))})


def _tamper_rp_id(key: SoftKey, options: dict[str, Any]) -> dict[str, Any]:
    key.rp_id = "elsewhere.example"
    return key.create(options)


def _tamper_client_data(key: SoftKey, options: dict[str, Any]) -> dict[str, Any]:
    credential = key.create(options)
    credential["response"]["clientDataJSON"] = bytes_to_base64url(b'{"type": "webauthn.create"}')
    return credential


TAMPERINGS = [_tamper_origin, _tamper_challenge, _tamper_rp_id, _tamper_client_data]


@pytest.mark.parametrize("tamper", TAMPERINGS)
def test_a_tampered_registration_is_refused_and_creates_nothing(cast, as_user, tamper):
    client = as_user(cast.a_admin)
    options = post_json(client, REGISTER_BEGIN).json()
    response = finish(client, REGISTER_FINISH, tamper(SoftKey(), options))
    assert_error(response, "not_verified")
    assert not WebAuthnDevice.objects.exists()


def test_a_challenge_given_to_another_session_is_refused(cast, as_user):
    mine, theirs = as_user(cast.a_admin), as_user(cast.a_admin)
    post_json(mine, REGISTER_BEGIN)
    foreign = post_json(theirs, REGISTER_BEGIN).json()
    response = finish(mine, REGISTER_FINISH, SoftKey().create(foreign))
    assert_error(response, "not_verified")
    assert not WebAuthnDevice.objects.exists()


def test_finish_without_begin_is_refused(cast, as_user):
    client = as_user(cast.a_admin)
    options = {"challenge": bytes_to_base64url(secrets.token_bytes(64))}
    assert_error(finish(client, REGISTER_FINISH, SoftKey().create(options)), "no_challenge")
    assert not WebAuthnDevice.objects.exists()


def test_a_challenge_is_spent_by_its_first_use(cast, as_user):
    client = as_user(cast.a_admin)
    options = post_json(client, REGISTER_BEGIN).json()
    assert_error(finish(client, REGISTER_FINISH, "garbage"), "invalid")
    response = finish(client, REGISTER_FINISH, SoftKey().create(options))
    assert_error(response, "no_challenge")
    assert not WebAuthnDevice.objects.exists()


def test_a_challenge_expires_with_the_ceremony(cast, as_user):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = as_user(cast.a_admin)
        options = post_json(client, REGISTER_BEGIN).json()
        clock.shift(timedelta(seconds=CEREMONY_SECONDS + 1))
        response = finish(client, REGISTER_FINISH, SoftKey().create(options))
    assert_error(response, "challenge_expired")
    assert not WebAuthnDevice.objects.exists()


BAD_BODIES = [
    b"not json",
    b"[]",
    b'{"credential": "x"}',
    b'{"credential": {}}',
    b'{"credential": {"id": 1, "rawId": [], "response": null}}',
    b'{"name": "x"}',
]


@pytest.mark.parametrize("body", BAD_BODIES)
def test_a_bad_payload_is_refused_and_creates_nothing(cast, as_user, body):
    client = as_user(cast.a_admin)
    post_json(client, REGISTER_BEGIN)
    response = client.post(REGISTER_FINISH, data=body, content_type="application/json")
    assert assert_error(response)["code"] in {"invalid", "not_verified"}
    assert not WebAuthnDevice.objects.exists()


def test_a_form_post_instead_of_json_is_refused(cast, as_user):
    client = as_user(cast.a_admin)
    post_json(client, REGISTER_BEGIN)
    assert_error(client.post(REGISTER_FINISH, {"name": "x", "credential": "y"}), "invalid")


def test_a_name_that_is_too_long_is_a_field_error(cast, as_user):
    client = as_user(cast.a_admin)
    options = post_json(client, REGISTER_BEGIN).json()
    response = finish(client, REGISTER_FINISH, SoftKey().create(options), name="k" * 65)
    assert "name" in assert_error(response, "invalid")["fields"]
    assert not WebAuthnDevice.objects.exists()


def test_a_key_registered_twice_is_refused(cast, as_user):
    key = SoftKey()
    keep_key(cast.b_admin, key)
    client = as_user(cast.a_admin)
    options = post_json(client, REGISTER_BEGIN).json()
    assert_error(finish(client, REGISTER_FINISH, key.create(options)), "invalid")
    assert WebAuthnDevice.objects.get().user == cast.b_admin


def test_an_address_not_configured_for_security_keys_is_refused(cast, as_user):
    client = as_user(cast.a_admin, HTTP_HOST="localhost")
    assert_error(post_json(client, REGISTER_BEGIN), "origin_not_allowed")
    assert REGISTER_CHALLENGE not in client.session


class BrokenKey(SoftKey):
    """Its public key lacks the curve point: the parser fails with a bare KeyError."""

    def cose_public_key(self) -> bytes:
        return cbor2.dumps({1: 2, 3: -7})


def test_a_malformed_public_key_is_refused_not_a_server_error(cast, as_user):
    client = as_user(cast.a_admin)
    options = post_json(client, REGISTER_BEGIN).json()
    assert_error(finish(client, REGISTER_FINISH, BrokenKey().create(options)), "not_verified")
    assert not WebAuthnDevice.objects.exists()


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
RP_HASH = hashlib.sha256(RP_ID.encode()).digest()
AUTHENTICATOR_DATA = st.one_of(
    st.binary(max_size=120),
    # Past the checks on site and flags, into the credential data and its public key.
    st.binary(max_size=160).map(lambda tail: RP_HASH + b"\x41" + bytes(4) + tail),
)
ATTESTATIONS = st.one_of(
    st.binary(max_size=120),
    st.fixed_dictionaries(
        {
            "fmt": st.sampled_from(["none", "packed", "fido-u2f", "tpm"]) | JSON_VALUES,
            "attStmt": JSON_VALUES,
            "authData": AUTHENTICATOR_DATA | JSON_VALUES,
        }
    ).map(cbor2.dumps),
)


@given(attestation=ATTESTATIONS, transports=JSON_VALUES)
@hypothesis_settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_answer_from_a_browser_is_a_server_error(cast, as_user, attestation, transports):
    client = as_user(cast.a_admin)
    credential = SoftKey().create(post_json(client, REGISTER_BEGIN).json())
    credential["response"]["attestationObject"] = bytes_to_base64url(attestation)
    credential["response"]["transports"] = transports
    assert_error(finish(client, REGISTER_FINISH, credential), "not_verified")
    assert not WebAuthnDevice.objects.exists()


# Signing in with a key -----------------------------------------------------------------------


def test_login_begin_needs_a_pending_sign_in(cast, as_user):
    keep_key(cast.a_admin, SoftKey())
    assert_error(post_json(Client(), LOGIN_BEGIN), "sign_in_expired")
    # A finished sign-in is not a pending one either.
    assert_error(post_json(as_user(cast.a_admin), LOGIN_BEGIN), "sign_in_expired")


def test_login_finish_needs_a_pending_sign_in(cast):
    key = SoftKey()
    keep_key(cast.a_admin, key)
    options = {"challenge": bytes_to_base64url(secrets.token_bytes(64))}
    client = Client()
    assert_error(finish(client, LOGIN_FINISH, key.get(options)), "sign_in_expired")
    assert not is_signed_in(client)


def test_login_begin_offers_the_persons_keys(cast):
    key = SoftKey()
    keep_key(cast.a_admin, key)
    keep_key(cast.b_admin, SoftKey())
    client = pending_sign_in(cast.a_admin)
    response = post_json(client, LOGIN_BEGIN)
    assert response.status_code == 200
    options = response.json()
    assert options["rpId"] == RP_ID
    assert [item["id"] for item in options["allowCredentials"]] == [key.id]
    kept = client.session[LOGIN_CHALLENGE]
    assert (kept["challenge"], kept["user"]) == (options["challenge"], cast.a_admin.pk)


def test_login_begin_for_an_account_without_a_key_is_refused(cast):
    assert_error(post_json(pending_sign_in(cast.a_admin), LOGIN_BEGIN), "no_security_key")


def test_a_key_signs_in_and_goes_where_the_person_was_going(cast):
    key = SoftKey()
    device = keep_key(cast.a_admin, key)
    client = pending_sign_in(cast.a_admin, next_url="/account/")
    options = post_json(client, LOGIN_BEGIN).json()
    response = finish(client, LOGIN_FINISH, key.get(options))
    assert response.status_code == 200
    assert response.json() == {"redirect": "/account/"}
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert PENDING_USER not in client.session and LOGIN_CHALLENGE not in client.session
    assert is_signed_in(client)
    device.refresh_from_db()
    assert device.sign_count == 1 and device.last_used_at is not None


def test_without_a_next_page_a_key_sign_in_goes_to_the_dashboard(cast):
    key = SoftKey()
    keep_key(cast.a_admin, key)
    client = pending_sign_in(cast.a_admin)
    options = post_json(client, LOGIN_BEGIN).json()
    response = finish(client, LOGIN_FINISH, key.get(options))
    assert response.json() == {"redirect": reverse("core:dashboard")}


def test_a_wrong_signature_counts_as_a_failed_sign_in(cast):
    genuine = SoftKey()
    keep_key(cast.a_admin, genuine)
    impostor = SoftKey()  # claims the genuine key's ID, signs with its own private key
    impostor.credential_id = genuine.credential_id
    failures: list[dict[str, Any]] = []

    def note(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
        failures.append(credentials)

    user_login_failed.connect(note)
    try:
        client = pending_sign_in(cast.a_admin)
        options = post_json(client, LOGIN_BEGIN).json()
        response = finish(client, LOGIN_FINISH, impostor.get(options))
        assert_error(response, "not_verified")
    finally:
        user_login_failed.disconnect(note)
    assert failures == [{"username": cast.a_admin.email}]
    assert client.session["_salama_pending_failures"] == 1
    assert not is_signed_in(client)


def test_too_many_refused_keys_end_the_attempt(cast):
    key = SoftKey()
    keep_key(cast.a_admin, key)
    client = pending_sign_in(cast.a_admin)
    for attempt in range(MAX_CODE_FAILURES):
        options = post_json(client, LOGIN_BEGIN).json()
        response = finish(client, LOGIN_FINISH, key.get(options, origin="https://elsewhere.example"))
        last = attempt == MAX_CODE_FAILURES - 1
        assert_error(response, "sign_in_expired" if last else "not_verified")
    assert PENDING_USER not in client.session
    assert_error(post_json(client, LOGIN_BEGIN), "sign_in_expired")
    assert not is_signed_in(client)
    # Like wrong codes, refused keys count towards the account's sign-in lock.
    again = Client()
    again.post("/login/", {"username": cast.a_admin.email, "password": PASSWORD})
    assert PENDING_USER not in again.session


def test_another_persons_key_is_refused(cast):
    keep_key(cast.a_admin, SoftKey())
    theirs = SoftKey()
    keep_key(cast.b_admin, theirs)
    client = pending_sign_in(cast.a_admin)
    options = post_json(client, LOGIN_BEGIN).json()
    assert_error(finish(client, LOGIN_FINISH, theirs.get(options)), "unknown_key")
    assert not is_signed_in(client)


def test_a_replayed_or_cloned_counter_is_refused(cast):
    key = SoftKey()
    device = keep_key(cast.a_admin, key)
    WebAuthnDevice.objects.filter(pk=device.pk).update(sign_count=5)
    client = pending_sign_in(cast.a_admin)
    options = post_json(client, LOGIN_BEGIN).json()
    assert_error(finish(client, LOGIN_FINISH, key.get(options)), "not_verified")
    assert not is_signed_in(client)


def test_a_key_without_a_counter_can_be_used_again(cast):
    key = SoftKey()
    device = keep_key(cast.a_admin, key)
    assert do_record_webauthn_use(cast.a_admin, device, 0)
    assert do_record_webauthn_use(cast.a_admin, device, 0)
    assert do_record_webauthn_use(cast.a_admin, device, 3)
    assert not do_record_webauthn_use(cast.a_admin, device, 3)


# HTTP: methods, CSRF, pages ------------------------------------------------------------------


@pytest.mark.parametrize("url", [REGISTER_BEGIN, REGISTER_FINISH])
def test_get_is_not_allowed_on_the_account_page_steps(cast, as_user, url):
    assert as_user(cast.a_admin).get(url).status_code == 405


@pytest.mark.parametrize("url", [LOGIN_BEGIN, LOGIN_FINISH])
def test_get_is_not_allowed_on_the_sign_in_steps(cast, url):
    keep_key(cast.a_admin, SoftKey())
    assert pending_sign_in(cast.a_admin).get(url).status_code == 405
    assert Client().get(url).status_code == 405


def test_signed_out_people_cannot_register_a_key(cast):
    response = post_json(Client(), REGISTER_BEGIN)
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def _csrf_token(html: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_posts_need_the_csrf_token_from_the_page(cast):
    client = sign_in(Client(enforce_csrf_checks=True), cast.a_admin)
    assert post_json(client, REGISTER_BEGIN).status_code == 403
    token = _csrf_token(client.get("/account/").content.decode())
    assert post_json(client, REGISTER_BEGIN, HTTP_X_CSRFTOKEN=token).status_code == 200


def test_the_second_factor_page_offers_a_key_only_to_people_who_have_one(cast):
    page = pending_sign_in(cast.a_admin).get("/login/verify/").content.decode()
    assert "webauthn.js" not in page and "Use a security key" not in page
    keep_key(cast.a_admin, SoftKey())
    page = pending_sign_in(cast.a_admin).get("/login/verify/").content.decode()
    assert "Use a security key" in page and "salama/webauthn" in page
    assert 'name="code"' in page, "the code form keeps working without JavaScript"
    assert "Security keys need JavaScript." in page


def test_the_script_is_only_on_the_pages_that_use_it(cast, as_user):
    client = as_user(cast.a_admin)
    assert "salama/webauthn" in client.get("/account/").content.decode()
    assert "salama/webauthn" not in Client().get("/login/").content.decode()

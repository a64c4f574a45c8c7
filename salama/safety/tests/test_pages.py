"""The defender's pages: signed links, codes, duress, SOS, and the neutral page for anything bad."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from salama.audit.models import AuditEntry
from salama.safety import actions, codes
from salama.safety.models import CheckIn, Emergency

pytestmark = pytest.mark.django_db


def path_of(link: str) -> str:
    return "/" + link.split("/", 3)[3]


def without_csrf(html: bytes) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html.decode())


def test_the_check_in_page_is_minimal_and_neutral(scheduled: Any) -> None:
    _schedule, credentials = scheduled
    page = Client().get(path_of(credentials.link))
    html = page.content.decode()
    assert page.status_code == 200
    assert "<script" not in html and "Salama" not in html and "http" not in html.split("<body>")[1]
    assert 'name="viewport"' in html and "I am fine" in html
    assert "no-store" in page["Cache-Control"]


def test_checking_in_by_link_and_by_code(scheduled: Any, clock: Any) -> None:
    _schedule, credentials = scheduled
    client = Client()
    client.post(path_of(credentials.link))
    clock.shift(timedelta(hours=1))
    client.post("/c/", {"code": credentials.code.lower()[:4] + " " + credentials.code[4:]})
    assert list(CheckIn.objects.values_list("via", flat=True)) == ["code", "link"]
    assert not Emergency.objects.exists()


def test_duress_looks_exactly_like_a_check_in(scheduled: Any) -> None:
    _schedule, credentials = scheduled
    normal = Client().post("/c/", {"code": credentials.code})
    duress = Client().post("/c/", {"code": credentials.duress_code})
    assert normal.status_code == duress.status_code == 200
    assert without_csrf(normal.content) == without_csrf(duress.content)
    by_link_normal = Client().post(path_of(credentials.link), {"code": credentials.code})
    by_link_duress = Client().post(path_of(credentials.link), {"code": credentials.duress_code})
    assert without_csrf(by_link_normal.content) == without_csrf(by_link_duress.content) == without_csrf(normal.content)
    emergency = Emergency.objects.get()
    assert emergency.kind == "duress" and emergency.silent
    assert CheckIn.objects.filter(duress=True).count() == 2


def test_forged_expired_and_wrong_answers_are_neutral_and_recorded(scheduled: Any, caseworker: Any) -> None:
    schedule, credentials = scheduled
    token = path_of(credentials.link).split("/")[2]
    forged = Client().get(f"/c/{token[:-3]}abc/")
    wrong = Client().post("/c/", {"code": "ABCDEFGH"})
    actions.do_issue_credentials(caseworker, schedule)
    rotated = Client().post(path_of(credentials.link))
    old_code = Client().post("/c/", {"code": credentials.code})
    pages = {without_csrf(r.content) for r in (forged, wrong, rotated, old_code)}
    assert len(pages) == 1 and "not available" in pages.pop()
    assert not CheckIn.objects.exists()
    reasons = [str(e.changes) for e in AuditEntry.objects.filter(action="safety.checkin_refused")]
    assert len(reasons) == 4 and sum("bad_link" in r for r in reasons) == 2


def test_a_link_works_for_its_own_defender_only(scheduled: Any, caseworker: Any, admin: Any, case: Any) -> None:
    from salama.defenders.actions import do_create_defender

    schedule, credentials = scheduled
    other_person = do_create_defender(admin, public_name="Other", email="other@example.org")
    case.defenders.add(other_person)
    other, _other_credentials = actions.do_create_schedule(caseworker, defender=other_person, case=case)
    # The same signed text with the other defender's schedule id or defender id does not verify.
    token = codes.link_token(schedule)
    for swapped in (
        token.replace(str(schedule.pk), str(other.pk)),
        token.replace(str(schedule.defender_id), str(other_person.pk)),
    ):
        assert codes.schedule_for_token(swapped) is None
    Client().post(path_of(credentials.link))
    assert list(CheckIn.objects.values_list("schedule_id", flat=True)) == [schedule.pk]


def test_guessing_is_slowed(scheduled: Any, settings: Any) -> None:
    _schedule, credentials = scheduled
    settings.SAFETY_GUESS_LIMIT = 3
    client = Client()
    for guess in ("AAAAAAAA", "BBBBBBBB", "CCCCCCCC"):
        client.post("/c/", {"code": guess})
    blocked = client.post("/c/", {"code": credentials.code})
    assert "not available" in blocked.content.decode()
    assert not CheckIn.objects.exists()


def test_the_codes_are_not_in_the_database(scheduled: Any) -> None:
    schedule, credentials = scheduled
    schedule.refresh_from_db()
    stored = f"{schedule.code_digest}{schedule.duress_digest}"
    assert credentials.code not in stored and credentials.duress_code not in stored
    assert schedule.code_digest == codes.code_digest(credentials.code)


def test_sos_from_the_link_with_confirmation_and_cancel(scheduled: Any, clock: Any) -> None:
    _schedule, credentials = scheduled
    client = Client()
    sos = path_of(credentials.link) + "sos/"
    confirm = client.get(sos)
    assert "Ask for help now?" in confirm.content.decode() and not Emergency.objects.exists()
    sent = client.post(sos, {"location": "At the market"})
    assert "Help has been asked for" in sent.content.decode()
    emergency = Emergency.objects.get()
    assert emergency.kind == "sos" and emergency.location == "At the market" and emergency.raised_by is None
    assert emergency.alert is not None and emergency.alert.state == "draft"  # drafted as the schedule's author
    clock.shift(timedelta(seconds=60))
    cancelled = client.post(sos + "cancel/")
    assert "Cancelled" in cancelled.content.decode()
    emergency.refresh_from_db()
    assert emergency.state == "cancelled"


def test_the_page_speaks_the_defenders_language(scheduled: Any, caseworker: Any) -> None:
    schedule, credentials = scheduled
    actions.do_update_schedule(caseworker, schedule, language="es")
    html = Client().get(path_of(credentials.link)).content.decode()
    assert 'lang="es"' in html

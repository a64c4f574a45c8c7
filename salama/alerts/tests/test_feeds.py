"""The public Atom and CAP feeds: only published public alerts, only their public text, valid
Atom and CAP 1.2 (validated against the vendored OASIS schema), the same empty feed for an
unknown organisation and one without public alerts."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest

# xmlschema, not lxml: pure Python (no libxml2 to build or keep patched), maintained, and it
# validates an ElementTree element directly, so a CAP alert embedded in Atom is checked as is.
import xmlschema
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from salama.alerts import actions, cap
from salama.alerts.models import Alert
from salama.audit.models import AuditEntry
from salama.core.testing import bearer
from salama.defenders.actions import do_create_defender, do_record_consent, do_withdraw_consent

from .test_alerts import approved, publish

SCHEMA = xmlschema.XMLSchema(Path(cap.__file__).parent / "schemas" / "CAP-v1.2.xsd")
ATOM = "{http://www.w3.org/2005/Atom}"
CAP = "{" + cap.CAP_NAMESPACE + "}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def fetch(slug: str, name: str = "alerts:feed_atom") -> tuple[Any, ET.Element]:
    response = Client().get(reverse(name, kwargs={"org_slug": slug}))
    assert response.status_code == 200
    return response, ET.fromstring(response.content)  # noqa: S314  our own output


def published(admin: Any, coordinator: Any, **options: Any) -> Alert:
    alert = approved(admin, coordinator, **options)
    publish(coordinator, alert)
    alert.refresh_from_db()
    return alert


def assert_atom_feed(feed: ET.Element) -> None:
    """RFC 4287's required elements of a feed and of each entry."""
    assert feed.tag == ATOM + "feed"
    for name in ("id", "title", "updated"):
        assert feed.find(ATOM + name) is not None and feed.find(ATOM + name).text
    assert feed.find(f"{ATOM}link[@rel='self']") is not None
    assert feed.find(f"{ATOM}author/{ATOM}name").text
    for entry in feed.iter(ATOM + "entry"):
        for name in ("id", "title", "updated"):
            assert entry.find(ATOM + name).text
        assert entry.find(ATOM + "id").text.startswith("urn:uuid:")
        assert entry.find(ATOM + "content") is not None or entry.find(f"{ATOM}link[@rel='alternate']") is not None
        datetime.fromisoformat(entry.find(ATOM + "updated").text)


def test_only_published_public_alerts_appear_one_atom_entry_per_language(admin, coordinator, cast):
    public = published(admin, coordinator, scope=Alert.Scope.PUBLIC, languages=("en", "es"))
    published(admin, coordinator, scope=Alert.Scope.NETWORK)  # network scope: never in a feed
    approved(admin, coordinator, scope=Alert.Scope.PUBLIC)  # approved, not published
    response, feed = fetch(cast.org_a.slug)
    assert response["Content-Type"].startswith("application/atom+xml")
    assert_atom_feed(feed)
    entries = feed.findall(ATOM + "entry")
    assert sorted(entry.get(XML_LANG) for entry in entries) == ["en", "es"]
    assert {entry.find(ATOM + "title").text for entry in entries} == {
        f"[{public.reference}] Title en",
        f"[{public.reference}] Title es",
    }
    body = response.content.decode()
    # Only the alert's own public text: never its targets or model letter.
    assert "Minister Ríos" not in body and "ministro@example.gov" not in body and "Dear Sir" not in body


def test_cap_feed_validates_against_the_cap_1_2_schema(admin, coordinator, cast):
    deadline = datetime(2031, 1, 2, 3, 4, 5, tzinfo=UTC)
    original = published(admin, coordinator, scope=Alert.Scope.PUBLIC, languages=("en", "fr"), deadline=deadline)
    further = actions.do_create_follow_up(admin, original, Alert.Kind.FURTHER)
    actions.do_save_version(admin, further, "en", title="Released <b>&", summary="Ana is free & safe")
    actions.do_submit(admin, further)
    actions.do_approve(coordinator, further)
    publish(coordinator, further)
    _response, feed = fetch(cast.org_a.slug, "alerts:feed_cap")
    assert_atom_feed(feed)
    documents = [entry.find(f"{ATOM}content/{CAP}alert") for entry in feed.iter(ATOM + "entry")]
    assert len(documents) == 2 and all(document is not None for document in documents)
    for document in documents:
        SCHEMA.validate(document)
        assert document.find(CAP + "status").text == "Actual" and document.find(CAP + "scope").text == "Public"
        assert " " not in document.find(CAP + "identifier").text and "," not in document.find(CAP + "sender").text
    update, first = documents  # newest first
    assert first.find(CAP + "msgType").text == "Alert"
    assert [info.find(CAP + "language").text for info in first.findall(CAP + "info")] == ["en", "fr"]
    assert first.find(f"{CAP}info/{CAP}expires").text == "2031-01-02T03:04:05-00:00"
    assert first.find(f"{CAP}info/{CAP}urgency").text == "Immediate"
    assert update.find(CAP + "msgType").text == "Update"
    _sender, identifier, sent = update.find(CAP + "references").text.split(",")
    assert identifier == first.find(CAP + "identifier").text and sent == first.find(CAP + "sent").text
    assert update.find(f"{CAP}info/{CAP}headline").text == "Released <b>&"  # escaped, and read back whole


def test_a_stop_action_is_a_cap_cancel(admin, coordinator, cast):
    original = published(admin, coordinator, scope=Alert.Scope.PUBLIC)
    stop = actions.do_create_follow_up(admin, original, Alert.Kind.STOP)
    actions.do_save_version(admin, stop, "en", title="Stop", summary="Action is over")
    actions.do_submit(admin, stop)
    actions.do_approve(coordinator, stop)
    publish(coordinator, stop)
    _response, feed = fetch(cast.org_a.slug, "alerts:feed_cap")
    cancel = feed.find(f"{ATOM}entry/{ATOM}content/{CAP}alert")
    SCHEMA.validate(cancel)
    assert cancel.find(CAP + "msgType").text == "Cancel" and cancel.find(f"{CAP}info/{CAP}urgency").text == "Past"


@pytest.mark.parametrize("name", ["alerts:feed_atom", "alerts:feed_cap"])
def test_an_unknown_organisation_and_one_without_public_alerts_get_the_same_empty_feed(name, admin, coordinator, cast):
    published(admin, coordinator, scope=Alert.Scope.NETWORK)
    known, _feed = fetch(cast.org_a.slug, name)
    unknown, _feed = fetch("no-such-organisation", name)
    assert b"<entry" not in known.content

    def shape(content: bytes, slug: str) -> bytes:  # the feed's id is derived from its address
        return re.sub(rb"<id>urn:uuid:[0-9a-f-]+</id>", b"<id/>", content.replace(slug.encode(), b"SLUG"), count=1)

    assert shape(known.content, cast.org_a.slug) == shape(unknown.content, "no-such-organisation")
    assert cast.org_a.name.encode() not in known.content


def test_feeds_may_be_cached_briefly_and_keep_the_security_headers(cast):
    response, _feed = fetch(cast.org_a.slug)
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "no-store" not in response["Cache-Control"] and "Cookie" in response["Vary"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert Client().post(reverse("alerts:feed_atom", kwargs={"org_slug": cast.org_a.slug})).status_code in {403, 405}


def test_a_withdrawn_consent_takes_the_alert_out_of_the_feeds(admin, coordinator, cast):
    defender = do_create_defender(admin, public_name="Ana Quintero")
    consent = do_record_consent(admin, defender, scope="named_publicly", given_on=date(2024, 5, 1))
    published(admin, coordinator, scope=Alert.Scope.PUBLIC, defenders=[defender])
    assert fetch(cast.org_a.slug)[1].find(ATOM + "entry") is not None
    do_withdraw_consent(admin, consent)
    assert fetch(cast.org_a.slug)[1].find(ATOM + "entry") is None


def test_control_characters_in_the_text_do_not_break_the_feed(admin, coordinator, cast):
    alert = approved(admin, coordinator, scope=Alert.Scope.PUBLIC)
    actions.do_save_version(admin, alert, "en", summary="Pasted\x0b text\x00")
    actions.do_approve(coordinator, alert)
    publish(coordinator, alert)
    _response, feed = fetch(cast.org_a.slug)
    assert feed.find(f"{ATOM}entry/{ATOM}summary").text == "Pasted text"


def test_cap_area_has_the_description_and_one_iso_geocode_per_country(admin, coordinator, cast):
    alert = approved(admin, coordinator, scope=Alert.Scope.PUBLIC, languages=("en", "es"), countries=["co", "GT", "CO"])
    actions.do_save_version(admin, alert, "en", area_description="Cauca department")
    actions.do_approve(coordinator, alert)
    publish(coordinator, alert)
    _response, feed = fetch(cast.org_a.slug, "alerts:feed_cap")
    document = feed.find(f"{ATOM}entry/{ATOM}content/{CAP}alert")
    SCHEMA.validate(document)
    english, spanish = document.findall(CAP + "info")
    for info in (english, spanish):
        area = info.find(CAP + "area")
        assert [geocode.find(CAP + "valueName").text for geocode in area.findall(CAP + "geocode")] == ["ISO3166-1"] * 2
        assert [geocode.find(CAP + "value").text for geocode in area.findall(CAP + "geocode")] == ["CO", "GT"]
    assert english.find(f"{CAP}area/{CAP}areaDesc").text == "Cauca department"
    # No description in Spanish: the countries' names in Spanish stand in (areaDesc is required).
    assert spanish.find(f"{CAP}area/{CAP}areaDesc").text == "Colombia, Guatemala"


def test_an_alert_without_countries_or_area_has_no_cap_area(admin, coordinator, cast):
    published(admin, coordinator, scope=Alert.Scope.PUBLIC)
    _response, feed = fetch(cast.org_a.slug, "alerts:feed_cap")
    document = feed.find(f"{ATOM}entry/{ATOM}content/{CAP}alert")
    SCHEMA.validate(document)
    assert document.find(f"{CAP}info/{CAP}area") is None


def test_countries_are_checked_audited_and_editable_through_the_api(admin, cast, client):
    with pytest.raises(ValidationError):
        actions.do_create_alert(admin, countries=["XX"])
    headers = bearer(cast.tokens["a_admin"])
    base = f"/api/v1/organizations/{cast.org_a.slug}/alerts"
    created = client.post(base, {"countries": ["ni"]}, content_type="application/json", **headers)
    assert created.status_code == 201 and created.json()["countries"] == ["NI"]
    url = f"{base}/{created.json()['id']}"
    refused = client.patch(url, {"countries": ["ZZ"]}, content_type="application/json", **headers)
    assert refused.status_code == 400 and "countries" in refused.json()["error"]["fields"]
    changed = client.patch(url, {"countries": ["HN", "NI"]}, content_type="application/json", **headers)
    assert changed.json()["countries"] == ["HN", "NI"]
    version = client.put(
        f"{url}/versions/en",
        {"title": "T", "area_description": "North coast"},
        content_type="application/json",
        **headers,
    )
    assert version.status_code == 200 and version.json()["area_description"] == "North coast"
    entry = AuditEntry.objects.filter(action="alert.updated").latest("id")
    assert entry.changes["countries"] == {"old": ["NI"], "new": ["HN", "NI"]}


def test_the_settings_form_and_the_text_form_take_the_countries_and_the_area(admin, cast, as_user):
    alert = actions.do_create_alert(admin)
    client = as_user(cast.a_admin)
    settings_form = {"urgency": "urgent", "scope": "network", "default_language": "en", "countries": ["PE", "BO"]}
    assert client.post(reverse("alerts:edit", args=[cast.org_a.slug, alert.pk]), settings_form).status_code == 302
    alert.refresh_from_db()
    assert [country.code for country in alert.countries] == ["BO", "PE"]
    text = {"title": "T", "summary": "S", "area_description": "Altiplano"}
    client.post(reverse("alerts:version", args=[cast.org_a.slug, alert.pk, "en"]), text)
    page = client.get(reverse("alerts:detail", args=[cast.org_a.slug, alert.pk])).content.decode()
    assert "Altiplano" in page and "Bolivia" in page and "Peru" in page

"""A case reference keeps its own order inside right-to-left sentences."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.urls import reverse

from salama.cases.actions import do_open_case
from salama.core.templatetags.bidi import bdi
from salama.defenders.actions import do_create_defender


def test_the_value_is_escaped_and_isolated() -> None:
    assert bdi("2026-0001") == "<bdi>2026-0001</bdi>"
    assert bdi("<b>") == "<bdi>&lt;b&gt;</bdi>"


def test_an_arabic_page_isolates_the_reference_in_its_sentences(cast: Any, as_user: Any) -> None:
    admin = cast.membership("a_admin")
    defender = do_create_defender(admin, public_name="Lucía P.", country="CO")
    case = do_open_case(admin, title="Threats", defenders=[defender], opened_on=date(2026, 3, 1))
    cast.a_admin.language = "ar"
    cast.a_admin.save(update_fields=["language"])
    client = as_user(cast.a_admin)
    page = client.get(reverse("cases:edit", args=[cast.org_a.slug, case.pk])).content.decode()
    assert 'lang="ar"' in page
    assert f"<bdi>{case.reference}</bdi>" in page
    # The window title is text only: no element there, the reference as it is.
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert "<bdi>" not in title and "&lt;bdi" not in title


def test_timeline_lines_isolate_the_reference_in_arabic_only(cast: Any) -> None:
    from django.utils import translation

    from salama.cases.access import timeline_of
    from salama.cases.timeline import describe

    admin = cast.membership("a_admin")
    case = do_open_case(admin, title="Threats", defenders=[do_create_defender(admin, public_name="Lucía P.")])
    opened = timeline_of(case).get(kind="case.opened")
    with translation.override("ar"):
        assert f"\u2066{case.reference}\u2069" in describe(opened)
    with translation.override("en"):
        line = describe(opened)
        assert case.reference in line and "\u2066" not in line


def test_an_arabic_alert_email_keeps_its_reference_in_order(db: Any) -> None:
    from django.utils import translation

    from salama.alerts.models import Alert, AlertVersion
    from salama.alerts.rendering import _email

    alert = Alert(reference="UA 012/26", kind=Alert.Kind.INITIAL)
    text = {name: "نص" for name in AlertVersion.TEXT_FIELDS}
    with translation.override("ar"):
        arabic = _email(alert, text, [])
    with translation.override("en"):
        english = _email(alert, text, [])
    assert arabic["subject"] == "[UA \u2066012/26\u2069] نص" and english["subject"] == "[UA 012/26] نص"
    assert "UA \u2066012/26\u2069" in arabic["text"] and "\u2066" not in english["text"]
    assert '<html lang="ar" dir="rtl">' in arabic["html"] and "<bdi>UA 012/26</bdi>" in arabic["html"]
    assert '<html lang="en" dir="ltr">' in english["html"]

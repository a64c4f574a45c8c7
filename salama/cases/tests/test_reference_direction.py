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

"""The vocabulary pages and API: any signed-in person reads them, in their language."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client

from salama.core.testing import bearer
from salama.vocab.actions import do_import_huridocs, do_retire_term, load_default_vocabularies
from salama.vocab.models import Term


@pytest.fixture
def loaded(cast, small_csv):
    load_default_vocabularies()
    do_import_huridocs(small_csv)
    return cast


class TreeParser(HTMLParser):
    """The term tree as {label: [narrower labels]}, read from the nested lists."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str | None] = []
        self.children: dict[str | None, list[str]] = {}
        self.in_tree = 0
        self.in_label = False

    def handle_starttag(self, tag, attrs):  # type: ignore[no-untyped-def]
        if tag == "ul" and (self.in_tree or ("class", "term-tree") in attrs):
            self.in_tree += 1
            self.children.setdefault(self.stack[-1] if self.stack else None, [])
        elif tag == "li" and self.in_tree:
            self.stack.append(None)
        elif tag == "span" and self.in_tree:
            self.in_label = True

    def handle_endtag(self, tag):  # type: ignore[no-untyped-def]
        if tag == "ul" and self.in_tree:
            self.in_tree -= 1
        elif tag == "li" and self.in_tree:
            self.stack.pop()
        elif tag == "span":
            self.in_label = False

    def handle_data(self, data):  # type: ignore[no-untyped-def]
        if self.in_label:
            parent = self.stack[-2] if len(self.stack) > 1 else None
            self.stack[-1] = data
            self.children.setdefault(parent, []).append(data)


def tree_of(html: str) -> dict[str | None, list[str]]:
    parser = TreeParser()
    parser.feed(html)
    assert parser.in_tree == 0 and parser.stack == [], "unbalanced lists"
    return parser.children


def test_the_list_page_shows_every_vocabulary_to_any_signed_in_person(loaded, as_user):
    page = as_user(loaded.outsider).get("/vocabularies/").content.decode()
    assert 'href="/vocabularies/violation-types/"' in page
    assert page.index("Violation types") < page.index("Types of perpetrators")  # Salama's own first
    assert "(list 24)" in page
    assert Client().get("/vocabularies/")["Location"].startswith("/login/")


def test_the_detail_page_shows_the_tree_in_the_readers_language(loaded, as_user):
    client = as_user(loaded.a_viewer)
    tree = tree_of(client.get("/vocabularies/violation-types/").content.decode())
    assert tree["Legal action and judicial harassment"] == [
        "Criminal charges",
        "Conviction and sentencing",
        "Abusive lawsuits (SLAPPs)",
        "Fines",
    ]
    assert tree[None][0] == "Killing"

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    tree = tree_of(client.get("/vocabularies/huridocs-24/").content.decode())
    assert tree["Entidades gubernamentales"] == ["Poder ejecutivo", "Poder judicial"]
    assert tree["Poder ejecutivo"] == ["Fuerzas armadas", "Policía"]
    assert "Otros" not in tree[None]  # hidden in the source

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ar"
    page = client.get("/vocabularies/huridocs-15/").content.decode()
    assert '<span lang="en" dir="auto">Kenya</span>' in page  # no Arabic label: English, marked as such
    assert '<html lang="ar" dir="rtl">' in page


def test_retired_terms_show_only_when_asked(loaded, as_user):
    legal = Term.objects.get(vocabulary__code="violation-types", code="legal-action")
    do_retire_term(loaded.operator, legal)
    client = as_user(loaded.a_admin)
    tree = tree_of(client.get("/vocabularies/violation-types/").content.decode())
    assert "Legal action and judicial harassment" not in tree[None] and "Fines" not in str(tree)
    page = client.get("/vocabularies/violation-types/?retired=1").content.decode()
    assert tree_of(page)["Legal action and judicial harassment"][-1] == "Fines"
    assert "retired" in page
    assert client.get("/vocabularies/no-such-thing/").status_code == 404


def api(token: str, path: str, **headers: str):  # type: ignore[no-untyped-def]
    return Client().get(f"/api/v1{path}", **bearer(token), **headers)


def test_the_api_lists_vocabularies_page_by_page(loaded):
    body = api(loaded.tokens["b_viewer"], "/vocabularies?page_size=5").json()
    assert body["count"] == 14 and len(body["items"]) == 5 and "page=2" in body["next"]
    first = body["items"][0]
    assert first["code"] == "consent-scopes" and first["source"] == "salama" and first["version"] == 1
    assert set(first["name"]) == {"en", "es", "fr", "ar"} and first["term_count"] == 4
    assert Client().get("/api/v1/vocabularies").status_code == 401


def test_the_api_lists_terms_in_reading_order_with_retired_on_request(loaded):
    token = loaded.tokens["a_caseworker_team"]
    body = api(token, "/vocabularies/huridocs-24/terms", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert body["count"] == 8  # "Others" is hidden in the source
    police = body["items"][3]
    assert police == {
        "code": "010104000000",
        "parent": "010100000000",
        "labels": {"en": "Police", "fr": "Police", "es": "Policía"},
        "label": "Police",
        "order": 4,
        "depth": 2,
        "path": "/010000000000/010100000000/010104000000/",
        "source_ref": "01010400000024",
        "retired_at": None,
    }
    assert body["items"][1]["label"] == "Pouvoir exécutif"
    everything = api(token, "/vocabularies/huridocs-24/terms?include_retired=true&page_size=200").json()
    assert everything["count"] == 9 and everything["next"] is None
    assert [item["code"] for item in everything["items"] if item["retired_at"]] == ["900000000000"]
    missing = api(token, "/vocabularies/nothing/terms")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"

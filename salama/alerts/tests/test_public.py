"""The public alert pages: exactly what the feeds show, only for published public alerts, in
every published language, cacheable, and linked from the Atom and CAP feeds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from salama.alerts import actions
from salama.alerts.feeds import page_url
from salama.alerts.models import Alert

from .test_alerts import approved, compose, publish
from .test_feeds import ATOM, CAP, fetch, published


def page(slug: str, alert: Alert, **query: str) -> Any:
    url = reverse("alerts:public_detail", kwargs={"org_slug": slug, "public_alert_id": alert.pk})
    return Client().get(url, query)


def index(slug: str) -> Any:
    return Client().get(reverse("alerts:public_index", kwargs={"org_slug": slug}))


def test_a_public_alert_has_a_page_with_only_its_public_text_in_each_language(admin, coordinator, cast):
    deadline = datetime(2031, 1, 2, 3, 4, tzinfo=UTC)
    alert = approved(
        admin, coordinator, scope=Alert.Scope.PUBLIC, languages=("en", "es"), deadline=deadline, countries=["CO"]
    )
    actions.do_save_version(
        admin, alert, "es", background="Contexto", recommended_actions="Escriba al ministro", area_description="Cauca"
    )
    actions.do_approve(coordinator, alert)
    publish(coordinator, alert)
    english = page(cast.org_a.slug, alert)
    assert english.status_code == 200
    body = english.content.decode()
    assert "Title en" in body and "Summary en" in body and alert.reference in body and "2031" in body
    assert 'href="?language=es"' in body  # the switch, a plain link
    # Never the targets, the model letter, or anything from the signed-in shell.
    assert "Minister Ríos" not in body and "ministro@example.gov" not in body and "Dear Sir" not in body
    assert "<form" not in body and "<script" not in body and "csrf" not in body.lower()
    spanish = page(cast.org_a.slug, alert, language="es").content.decode()
    assert "Title es" in spanish and "Contexto" in spanish and "Escriba al ministro" in spanish
    assert "Cauca (Colombia)" in spanish and 'lang="es"' in spanish and "Title en" not in spanish


def test_the_reader_language_is_chosen_when_the_alert_has_it(admin, coordinator, cast):
    alert = published(admin, coordinator, scope=Alert.Scope.PUBLIC, languages=("en", "fr"))
    url = reverse("alerts:public_detail", kwargs={"org_slug": cast.org_a.slug, "public_alert_id": alert.pk})
    french = Client().get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Title fr" in french
    unknown = Client().get(url, {"language": "de"}, HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert "Title en" in unknown  # neither offered: the default language


def test_unpublished_non_public_and_other_organisation_alerts_are_the_plain_404(admin, coordinator, cast):
    network = published(admin, coordinator, scope=Alert.Scope.NETWORK)
    draft = compose(admin, scope=Alert.Scope.PUBLIC)
    in_review = approved(admin, coordinator, scope=Alert.Scope.PUBLIC)
    public = published(admin, coordinator, scope=Alert.Scope.PUBLIC)
    for alert in (network, draft, in_review):
        assert page(cast.org_a.slug, alert).status_code == 404
    assert page(cast.org_b.slug, public).status_code == 404  # under another organisation's address
    assert page(cast.org_a.slug, public).status_code == 200


def test_follow_ups_are_listed_in_order_on_each_page(admin, coordinator, cast):
    original = published(admin, coordinator, scope=Alert.Scope.PUBLIC)
    follow_ups = []
    for kind in (Alert.Kind.FURTHER, Alert.Kind.STOP):
        follow_up = actions.do_create_follow_up(admin, original, kind)
        actions.do_save_version(admin, follow_up, "en", title=f"Follow {kind}", summary="More")
        actions.do_submit(admin, follow_up)
        actions.do_approve(coordinator, follow_up)
        publish(coordinator, follow_up)
        follow_ups.append(follow_up)
    body = page(cast.org_a.slug, follow_ups[0]).content.decode()
    thread = body[body.index('id="thread-h"') :]
    positions = [thread.index(f">{alert.reference}<") for alert in [original, *follow_ups]]
    assert positions == sorted(positions)


def test_the_index_lists_public_alerts_newest_first_with_the_feeds(admin, coordinator, cast):
    older = published(admin, coordinator, scope=Alert.Scope.PUBLIC)
    newer = published(admin, coordinator, scope=Alert.Scope.PUBLIC, languages=("es",), default_language="es")
    published(admin, coordinator, scope=Alert.Scope.NETWORK)
    response = index(cast.org_a.slug)
    body = response.content.decode()
    assert body.index(newer.reference) < body.index(older.reference)
    assert body.count("<li>") == 2
    assert reverse("alerts:feed_atom", kwargs={"org_slug": cast.org_a.slug}) in body
    assert reverse("alerts:feed_cap", kwargs={"org_slug": cast.org_a.slug}) in body


def test_an_unknown_organisation_and_one_without_public_alerts_get_the_same_index(admin, coordinator, cast):
    published(admin, coordinator, scope=Alert.Scope.NETWORK)
    known, unknown = index(cast.org_a.slug), index("no-such-organisation")
    assert known.status_code == unknown.status_code == 200
    assert known.content.replace(cast.org_a.slug.encode(), b"S") == unknown.content.replace(
        b"no-such-organisation", b"S"
    )


@pytest.mark.parametrize("name", ["alerts:public_index", "alerts:public_detail"])
def test_the_public_pages_are_cacheable_and_set_no_cookie(name, admin, coordinator, cast):
    alert = published(admin, coordinator, scope=Alert.Scope.PUBLIC)
    kwargs: dict[str, Any] = {"org_slug": cast.org_a.slug}
    if name == "alerts:public_detail":
        kwargs["public_alert_id"] = alert.pk
    response = Client().get(reverse(name, kwargs=kwargs))
    assert response.status_code == 200 and not response.cookies
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    assert "Cookie" in response["Vary"] and "Accept-Language" in response["Vary"]
    assert page(cast.org_a.slug, compose(admin, scope=Alert.Scope.PUBLIC))["Cache-Control"].startswith("no-store")


def test_feed_entries_and_cap_web_link_to_the_public_page(admin, coordinator, cast):
    alert = published(admin, coordinator, scope=Alert.Scope.PUBLIC, languages=("en", "es"))
    _response, feed = fetch(cast.org_a.slug)
    links = sorted(entry.find(f"{ATOM}link[@rel='alternate']").get("href") for entry in feed.iter(ATOM + "entry"))
    assert links == [page_url(alert, "en"), page_url(alert, "es")]
    _response, cap_feed = fetch(cast.org_a.slug, "alerts:feed_cap")
    assert {web.text for web in cap_feed.iter(CAP + "web")} == {page_url(alert)}
    path = page_url(alert).split("://", 1)[1].split("/", 1)[1]
    assert Client().get("/" + path).status_code == 200

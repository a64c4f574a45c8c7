"""The demo mailbox: the demo network's alert, approved and published, arrives there; outside
demo mode the pages do not exist; production never runs it."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import Client
from django.urls import reverse

from salama.alerts import actions
from salama.alerts.models import Alert
from salama.core.demo import DEMO_SUBSCRIBERS, load_demo_network
from salama.core.testing import sign_in
from salama.delivery import mailbox
from salama.delivery.tests.mailbox_fixtures import demo_mailbox, send_sample_mail  # noqa: F401  fixture
from salama.orgs.models import Membership

from .test_alerts import deliver

MAILBOX = "/demo/mailbox/"


def _publish_the_demo_alert() -> Alert:
    alert = Alert.objects.get(organization__slug="tierra-digna")
    admin = Membership.objects.get(organization=alert.organization, role="admin")
    actions.do_approve(admin, alert)
    return actions.do_publish(admin, Alert.objects.get(pk=alert.pk), second_factor_confirmed=True)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("demo_mailbox")
def test_the_demo_alert_approved_and_published_arrives_in_the_demo_mailbox(settings: Any) -> None:
    settings.SITE_URL = "http://127.0.0.1:8123"
    load_demo_network()
    alert = _publish_the_demo_alert()
    deliver()
    reader = sign_in(Client(), Membership.objects.filter(role="viewer").first().user)
    listing = reader.get(MAILBOX)
    assert listing.status_code == 200
    page = listing.content.decode()
    assert "Demo mailbox</a>" in page  # the nav links to it in demo mode
    for *_rest, local in DEMO_SUBSCRIBERS:
        assert f"{local}@demo.salama.example.org" in page
    assert alert.reference in page
    first = mailbox.messages()[0]
    shown = reader.get(reverse("delivery:demo_mail", args=[first.number])).content.decode()
    assert 'href="http://127.0.0.1:8123/d/ack/' in shown  # the ack link, clickable, to SITE_URL
    assert 'href="http://127.0.0.1:8123/d/unsubscribe/' in shown
    assert 'sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="&lt;base target=' in shown


def test_outside_demo_mode_the_mailbox_does_not_exist_for_anyone(cast: Any, as_user: Any) -> None:
    assert Client().get(MAILBOX).status_code == 404
    assert as_user(cast.a_admin).get(MAILBOX).status_code == 404
    assert b"Demo mailbox" not in as_user(cast.a_admin).get("/").content


@pytest.mark.usefixtures("demo_mailbox")
def test_a_signed_out_visitor_is_asked_to_sign_in_in_demo_mode(cast: Any) -> None:
    send_sample_mail()
    assert Client().get(MAILBOX)["Location"].startswith("/login/?next=")
    assert Client().get(reverse("delivery:demo_mail", args=[0]))["Location"].startswith("/login/?next=")


@pytest.mark.usefixtures("demo_mailbox")
def test_a_message_that_is_not_there_is_404(cast: Any, as_user: Any) -> None:
    assert as_user(cast.a_admin).get(reverse("delivery:demo_mail", args=[7])).status_code == 404


def test_production_never_runs_the_mailbox(cast: Any, as_user: Any, settings: Any) -> None:
    settings.DEMO_MODE, settings.PRODUCTION = True, True  # as if someone flipped it at run time
    with pytest.raises(ImproperlyConfigured):
        mailbox.start()
    assert as_user(cast.a_admin).get(MAILBOX).status_code == 404

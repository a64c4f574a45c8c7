import pytest
from playwright.sync_api import expect

from salama.audit.models import AuditEntry
from salama.core.testing import PASSWORD
from salama.defenders.models import Defender

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_create_a_defender_then_reveal_a_protected_field(live_server, page, cast):
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_caseworker_team.email, PASSWORD, totp_now(cast.a_caseworker_team))
    page.wait_for_url(f"{base}/o/org-a/")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Defenders").click()
    page.get_by_role("link", name="Add a defender").click()
    page.get_by_label("Public name or pseudonym").fill("La Maestra")
    page.get_by_label("Legal name").fill("Rosa Elvira Cuesta")
    page.get_by_label("Phone").fill("+57 300 555 0101")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("La Maestra")
    expect(page.get_by_role("main")).not_to_contain_text("Rosa Elvira Cuesta")

    page.get_by_role("button", name="Hidden — reveal Legal name").click()
    expect(page.get_by_role("main")).to_contain_text("Rosa Elvira Cuesta")
    defender = Defender.objects.get(public_name="La Maestra")
    reveal = AuditEntry.objects.get(action="defender.revealed", target_id=str(defender.pk))
    assert "Rosa" not in str(reveal.changes)
    page.goto(f"{base}/o/org-a/defenders/{defender.pk}/")  # shown in that one answer only
    expect(page.get_by_role("main")).not_to_contain_text("Rosa Elvira Cuesta")

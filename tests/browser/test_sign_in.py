import pytest

from salama.core.testing import PASSWORD

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser


def test_sign_in_with_a_totp_code(live_server, page, cast):
    sign_in_through_ui(page, live_server.url, cast.a_admin.email, PASSWORD, totp_now(cast.a_admin))
    page.wait_for_url(f"{live_server.url}/o/org-a/")
    assert page.get_by_role("heading", level=1).inner_text() == "Org A"

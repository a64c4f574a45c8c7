import json

import pytest
from playwright.sync_api import expect

from salama.core.testing import PASSWORD
from salama.defenders.models import Defender

from .conftest import sign_in_through_ui, totp_now

pytestmark = pytest.mark.browser

CSV = (
    "external_id,public_name,legal_name,country\n"
    "ext-1,Defensora del río,Ana Lucía Mosquera,CO\n"
    "ext-2,,Nadie,CO\n"  # no public name: refused in the preview
    "ext-3,El Profe,Jorge Ibargüen,CO\n"
)


def test_import_a_small_csv_then_export_the_list_de_identified(live_server, page, cast):
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_admin.email, PASSWORD, totp_now(cast.a_admin))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/defenders/")
    page.get_by_role("link", name="Import from a spreadsheet").click()
    page.get_by_label("File", exact=False).and_(page.locator("input[type=file]")).set_input_files(
        {"name": "defenders.csv", "mimeType": "text/csv", "buffer": CSV.encode()}
    )
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="Next").click()  # columns are recognised by their names
    if page.get_by_role("button", name="Next").count():
        page.get_by_role("button", name="Next").click()  # no unknown values to match
    expect(page.get_by_role("main")).to_contain_text("With errors, left out: 1")
    page.get_by_role("button", name="Import the 2 valid rows").click()
    expect(page.get_by_role("main")).to_contain_text("2")
    assert sorted(Defender.objects.filter(organization=cast.org_a).values_list("public_name", flat=True)) == [
        "Defensora del río",
        "El Profe",
    ]

    page.goto(f"{base}/o/org-a/defenders/")
    page.get_by_role("link", name="Export this list").click()
    page.get_by_label("Format").select_option("json")
    expect(page.get_by_label("De-identified")).to_be_checked()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export").click()
    exported = json.loads(download.value.path().read_text())
    text = json.dumps(exported, ensure_ascii=False)
    assert "Mosquera" not in text and "Defensora del río" not in text
    assert len(exported if isinstance(exported, list) else exported["defenders"]) == 2

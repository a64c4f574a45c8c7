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


def test_import_incidents_from_the_incident_list(live_server, page, cast):
    from salama.cases.actions import do_open_case
    from salama.defenders.actions import do_create_defender
    from salama.incidents.models import Incident
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()
    admin = cast.membership("a_admin")
    case = do_open_case(admin, title="Río", defenders=[do_create_defender(admin, public_name="A", external_id="d-1")])
    incidents = (
        "external_id,case,title,date_start,violation_types,victims,narrative\n"
        f"i-1,{case.reference},Amenaza,2024-03,Death threats,d-1,Llamada anónima\n"
        "i-2,1999-0001,Otro caso,2024-04-02,killing,,\n"  # no such case: refused in the preview
    )
    base = live_server.url
    sign_in_through_ui(page, base, cast.a_admin.email, PASSWORD, totp_now(cast.a_admin))
    page.wait_for_url(f"{base}/o/org-a/")
    page.goto(f"{base}/o/org-a/incidents/")
    page.get_by_role("link", name="Import from a spreadsheet").click()
    expect(page.get_by_label("What the file holds")).to_have_value("incidents")
    page.locator("input[type=file]").set_input_files(
        {"name": "incidents.csv", "mimeType": "text/csv", "buffer": incidents.encode()}
    )
    page.get_by_role("button", name="Upload").click()
    page.get_by_role("button", name="Next").click()  # columns are recognised by their names
    expect(page.get_by_role("main")).to_contain_text("With errors, left out: 1")
    expect(page.get_by_role("main")).to_contain_text("no case with the reference “1999-0001”")
    page.get_by_role("button", name="Import the 1 valid row").click()
    expect(page.get_by_role("main")).to_contain_text("1 new, 0 updated, 1 left out with errors.")
    incident = Incident.objects.get(organization=cast.org_a)
    assert (incident.external_id, incident.case_id, incident.date_precision) == ("i-1", case.pk, "month")
    assert incident.narrative == "Llamada anónima" and incident.victims.get().defender.external_id == "d-1"

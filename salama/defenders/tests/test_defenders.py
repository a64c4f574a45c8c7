"""Defenders through the UI and the API: need to know, audited reveals, nothing sensitive at rest
or in the logs, consent, crypto-shredding and field errors."""

from __future__ import annotations

import json
import logging
from datetime import date

import pytest
from django.db import connection
from django.test import Client

from salama.audit.models import AuditEntry
from salama.core.encryption import DecryptionError
from salama.core.testing import bearer
from salama.defenders.actions import do_add_trusted_contact, do_create_defender, do_record_consent
from salama.defenders.models import Consent, Defender, TrustedContact

LEGAL = "Canary-Legal-Xq81"
PHONE_DIGITS = "3009917733"
API_CANARY = "Canary-Api-Zr52"
CONTACT_CANARY = "Canary-Contact-Lm07"


@pytest.fixture
def sectors(db):  # type: ignore[no-untyped-def]
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()


def url(name: str, cast, *args) -> str:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    return reverse(f"defenders:{name}", args=[cast.org_a.slug, *args])


def make(cast, **fields) -> Defender:  # type: ignore[no-untyped-def]
    values = {"public_name": "La Profe", "legal_name": LEGAL, "phone": f"+57 {PHONE_DIGITS}", **fields}
    return do_create_defender(cast.membership("a_caseworker_team"), **values)


def on_case_team(cast, defender: Defender, *people) -> None:  # type: ignore[no-untyped-def]
    """Open a case for the defender with these people on its team: need to know then lets them in."""
    from salama.cases.actions import do_add_team_member, do_open_case

    admin = cast.membership("a_admin")
    case = do_open_case(admin, title="Case", defenders=[defender])
    for person in people:
        do_add_team_member(admin, case, person)


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("sequence"))


def every_table() -> str:
    """Every row of every table, read raw: what a seized copy of the database holds."""
    dump = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608
            dump.append(repr(cursor.fetchall()))
    return "\n".join(dump)


UI_FORM = {
    "kind": "individual",
    "public_name": "Defender Uno",
    "gender": "woman",
    "country": "CO",
    "region": "Cauca",
    "legal_name": LEGAL,
    "aliases": "Mari\nLa Seño",
    "phone": "+57 (300) 991-7733",
    "email": "canary.ui@example.org",
    "addresses": "Vereda Canary-Address-9f",
    "document_number": "CC-Canary-55",
    "private_notes": "Canary-Notes-Ht4",
}
UI_SECRETS = [
    LEGAL,
    "La Seño",
    "991-7733",
    PHONE_DIGITS,
    "canary.ui",
    "Canary-Address-9f",
    "Canary-55",
    "Canary-Notes-Ht4",
]


def test_create_edit_and_view_through_the_ui(cast, as_user, sectors):
    client = as_user(cast.a_caseworker_team)
    response = client.post(url("create", cast), {**UI_FORM, "sectors": []})
    assert response.status_code == 302
    defender = Defender.objects.get(public_name="Defender Uno")
    assert defender.legal_name == LEGAL and defender.aliases == ["Mari", "La Seño"]
    assert defender.organization == cast.org_a and defender.created_by == cast.a_caseworker_team
    page = client.get(url("detail", cast, defender.pk))
    assert page.status_code == 200 and b"Defender Uno" in page.content
    assert LEGAL.encode() not in page.content and b"Hidden" in page.content
    listing = client.get(url("list", cast), {"country": "CO", "gender": "woman", "text": "uno"})
    assert b"Defender Uno" in listing.content
    assert b"Defender Uno" not in client.get(url("list", cast), {"gender": "man"}).content
    edited = client.post(
        url("edit", cast, defender.pk),
        {**UI_FORM, "public_name": "Defender Dos", "legal_name": "", "erase": ["private_notes"]},
    )
    assert edited.status_code == 302
    defender = Defender.objects.get(pk=defender.pk)
    assert defender.public_name == "Defender Dos" and defender.legal_name == LEGAL and defender.private_notes == ""
    [entry] = entries("defender.updated")
    assert entry.changes["public_name"] == {"old": "Defender Uno", "new": "Defender Dos"}
    assert entry.changes["private_notes"] == {}
    assert "legal_name" not in entry.changes


def test_list_filters_by_sector_and_paginates(cast, as_user, sectors):
    from salama.defenders.access import sector_terms

    land = sector_terms().get(code="land-environment")
    make(cast, public_name="Land defender", sectors=[land])
    for number in range(30):
        make(cast, public_name=f"Person {number:02}")
    client = as_user(cast.a_coordinator)
    assert b"Land defender" in client.get(url("list", cast), {"sector": land.pk}).content
    assert b"Person 00" not in client.get(url("list", cast), {"sector": land.pk}).content
    second = client.get(url("list", cast), {"page": 2})
    assert second.status_code == 200 and b"Page 2 of 2" in second.content


def test_reveal_writes_one_audit_entry_with_names_only(cast, as_user):
    defender = make(cast)
    on_case_team(cast, defender, cast.a_caseworker_other)
    client = as_user(cast.a_caseworker_other)
    before = AuditEntry.objects.count()
    response = client.post(url("reveal", cast, defender.pk), {"field": ["legal_name", "phone"]})
    assert response.status_code == 200
    assert LEGAL.encode() in response.content and PHONE_DIGITS.encode() in response.content
    assert AuditEntry.objects.count() == before + 1
    [entry] = entries("defender.revealed")
    assert entry.actor == cast.a_caseworker_other and entry.target_id == str(defender.pk)
    assert entry.changes == {"legal_name": {}, "phone": {}}
    # Shown for that response only.
    assert LEGAL.encode() not in client.get(url("detail", cast, defender.pk)).content
    assert LEGAL not in json.dumps(dict(client.session))


def test_viewers_cannot_reveal_in_the_ui_or_the_api(cast, as_user):
    defender = make(cast)
    on_case_team(cast, defender, cast.a_viewer)
    client = as_user(cast.a_viewer)
    page = client.get(url("detail", cast, defender.pk))
    assert page.status_code == 200 and b"Hidden" in page.content
    assert url("reveal", cast, defender.pk).encode() not in page.content
    refused = client.post(url("reveal", cast, defender.pk), {"field": ["legal_name"]})
    assert refused.status_code == 403 and b"Viewers cannot reveal" in refused.content
    assert LEGAL.encode() not in refused.content
    api = Client().post(
        f"/api/v1/organizations/{cast.org_a.slug}/defenders/{defender.pk}/reveal",
        "{}",
        content_type="application/json",
        **bearer(cast.tokens["a_viewer"]),
    )
    assert api.status_code == 403 and LEGAL not in api.content.decode()
    listing = Client().get(f"/api/v1/organizations/{cast.org_a.slug}/defenders", **bearer(cast.tokens["a_viewer"]))
    assert LEGAL not in listing.content.decode() and PHONE_DIGITS not in listing.content.decode()
    assert listing.json()["items"][0]["protected_set"]["legal_name"] is True
    assert entries("defender.revealed") == []


def test_api_crud_and_reveal(cast):
    client = Client()
    headers = bearer(cast.tokens["a_coordinator"])
    base = f"/api/v1/organizations/{cast.org_a.slug}/defenders"
    body = {"public_name": "Api Defender", "legal_name": API_CANARY, "aliases": ["Canary-Alias-Api"], "country": "ke"}
    created = client.post(base, json.dumps(body), content_type="application/json", **headers)
    assert created.status_code == 201, created.content
    data = created.json()
    assert data["country"] == "KE" and data["protected_set"]["legal_name"] and not data["protected_set"]["phone"]
    assert API_CANARY not in created.content.decode()
    item = f"{base}/{data['id']}"
    got = client.get(item, **headers)
    assert got.json()["public_name"] == "Api Defender" and API_CANARY not in got.content.decode()
    patched = client.patch(item, json.dumps({"region": "Nairobi"}), content_type="application/json", **headers)
    assert patched.json()["region"] == "Nairobi" and Defender.objects.get(pk=data["id"]).legal_name == API_CANARY
    revealed = client.post(
        f"{item}/reveal", json.dumps({"fields": ["legal_name"]}), content_type="application/json", **headers
    )
    assert revealed.json() == {"legal_name": API_CANARY}
    assert entries("defender.revealed")[0].changes == {"legal_name": {}}
    assert client.delete(item, **headers).status_code == 403  # coordinators cannot delete
    assert client.delete(item, **bearer(cast.tokens["a_admin"])).status_code == 204
    assert not Defender.objects.filter(pk=data["id"]).exists()


def test_canary_never_at_rest_in_the_audit_log_or_the_logs(cast, as_user, caplog):
    with caplog.at_level(logging.DEBUG):
        client = as_user(cast.a_caseworker_team)
        client.post(url("create", cast), UI_FORM)
        defender = Defender.objects.get(public_name="Defender Uno")
        client.post(
            url("contact_add", cast, defender.pk), {"contact-name": CONTACT_CANARY, "contact-phone": "+1 555 0100"}
        )
        client.post(url("reveal", cast, defender.pk), {"field": ["legal_name", "trusted_contacts"]})
        client.post(url("edit", cast, defender.pk), {**UI_FORM, "legal_name": LEGAL + "-2"})
        api = Client()
        api.post(
            f"/api/v1/organizations/{cast.org_a.slug}/defenders",
            json.dumps({"public_name": "Api One", "legal_name": API_CANARY, "relatives": ["Canary-Relative-Ap"]}),
            content_type="application/json",
            **bearer(cast.tokens["a_admin"]),
        )
    assert TrustedContact.objects.get().name == CONTACT_CANARY
    stored = every_table()
    audit = json.dumps(list(AuditEntry.objects.values()), default=str)
    for secret in [*UI_SECRETS, API_CANARY, "Canary-Relative-Ap", CONTACT_CANARY, "555 0100"]:
        assert secret not in stored, secret
        assert secret not in audit, secret
        assert secret not in caplog.text, secret


def test_another_organisation_gets_404_everywhere(cast, as_user):
    defender = make(cast)
    consent = do_record_consent(cast.membership("a_admin"), defender, scope="publish", given_on=date(2024, 1, 1))
    contact = do_add_trusted_contact(cast.membership("a_admin"), defender, name="Someone")
    client = as_user(cast.b_admin)
    # B's admin reaches their own organisation's pages with A's ids.
    routes = [
        ("detail", "get", ()),
        ("edit", "get", ()),
        ("edit", "post", ()),
        ("reveal", "post", ()),
        ("delete", "get", ()),
        ("delete", "post", ()),
        ("consent_add", "post", ()),
        ("consent_withdraw", "post", (consent.pk,)),
        ("contact_add", "post", ()),
        ("contact_remove", "post", (contact.pk,)),
    ]
    from django.urls import reverse

    for name, method, extra in routes:
        target = reverse(f"defenders:{name}", args=[cast.org_b.slug, defender.pk, *extra])
        assert getattr(client, method)(target, {"field": "legal_name"}).status_code == 404, name
        # and A's own URLs are not theirs at all
        assert getattr(client, method)(url(name, cast, defender.pk, *extra)).status_code == 404, name
    api = f"/api/v1/organizations/{cast.org_b.slug}/defenders/{defender.pk}"
    assert Client().get(api, **bearer(cast.tokens["b_admin"])).status_code == 404
    assert (
        Client()
        .post(api + "/reveal", "{}", content_type="application/json", **bearer(cast.tokens["b_admin"]))
        .status_code
        == 404
    )
    assert (
        Defender.objects.filter(pk=defender.pk).exists()
        and AuditEntry.objects.filter(action="defender.revealed").count() == 0
    )


def test_exact_search_finds_a_phone_written_differently_only_in_its_organisation(cast, as_user):
    mine = make(cast)
    do_create_defender(cast.membership("b_admin"), public_name="In B", phone=f"+57 {PHONE_DIGITS}")
    response = as_user(cast.a_coordinator).post(url("list", cast), {"field": "phone", "value": "+57 (300) 991 77 33"})
    assert response.status_code == 200
    assert [d.pk for d in response.context["page"].object_list] == [mine.pk]
    assert b"In B" not in response.content
    none = as_user(cast.b_viewer).post(reverse_list(cast.org_b), {"field": "phone", "value": "+57 300 000 0001"})
    assert list(none.context["page"].object_list) == []


def reverse_list(org) -> str:  # type: ignore[no-untyped-def]
    from django.urls import reverse

    return reverse("defenders:list", args=[org.slug])


def test_consent_record_and_withdraw_with_who_and_when(cast, as_user):
    defender = make(cast)
    client = as_user(cast.a_caseworker_team)
    response = client.post(
        url("consent_add", cast, defender.pk),
        {"consent-scope": "named_publicly", "consent-given_on": "2024-03-01", "consent-how": "In person"},
    )
    assert response.status_code == 302
    consent = Consent.objects.get()
    assert consent.recorded_by == cast.a_caseworker_team and consent.recorded_at and consent.in_force
    early = client.post(url("consent_withdraw", cast, defender.pk, consent.pk), {"withdrawn_on": "2024-01-01"})
    assert early.status_code == 400
    done = as_user(cast.a_coordinator).post(
        url("consent_withdraw", cast, defender.pk, consent.pk), {"withdrawn_on": "2024-04-02"}
    )
    assert done.status_code == 302
    consent.refresh_from_db()
    assert consent.withdrawn_on == date(2024, 4, 2) and consent.withdrawn_by == cast.a_coordinator
    assert entries("consent.withdrawn")[0].changes == {"withdrawn_on": {"old": None, "new": "2024-04-02"}}
    assert entries("consent.recorded")[0].changes["how"] == {}
    api = Client().get(
        f"/api/v1/organizations/{cast.org_a.slug}/defenders/{defender.pk}/consents",
        **bearer(cast.tokens["a_coordinator"]),
    )
    assert api.json()["items"][0]["withdrawn_by"] == cast.a_coordinator.email


def test_delete_shreds_the_record(cast, as_user, django_capture_on_commit_callbacks):
    defender = make(cast)
    backup = Defender.objects.values().get(pk=defender.pk)
    copy = Defender(
        **{k: v for k, v in backup.items() if k in {"id", "organization_id", "data_key_id", "record_version"}}
    )
    assert copy.open_value("legal_name", backup["legal_name"]).decode() == LEGAL
    assert as_user(cast.a_coordinator).post(url("delete", cast, defender.pk)).status_code == 403
    client = as_user(cast.a_admin)
    assert b"cannot be undone" in client.get(url("delete", cast, defender.pk)).content
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url("delete", cast, defender.pk)).status_code == 302
    assert not Defender.objects.filter(pk=defender.pk).exists()
    with pytest.raises(DecryptionError):
        copy.open_value("legal_name", backup["legal_name"])
    assert len(entries("defender.deleted")) == 1


def test_a_record_that_does_not_decrypt_shows_a_message_and_is_audited(cast, as_user):
    first, second = make(cast), make(cast, legal_name="Other Name")
    moved = Defender.objects.filter(pk=first.pk).values_list("legal_name", flat=True).get()
    Defender.objects.filter(pk=second.pk).update(legal_name=moved)
    client = as_user(cast.a_admin)
    response = client.post(url("reveal", cast, second.pk), {"field": ["legal_name"]})
    assert response.status_code == 200
    assert b"cannot be decrypted" in response.content
    assert moved.encode() not in response.content and LEGAL.encode() not in response.content
    assert entries("defender.decryption_failed")[0].changes == {"legal_name": {}}
    edit = client.post(url("edit", cast, second.pk), {**UI_FORM})
    assert edit.status_code == 200 and b"cannot be decrypted" in edit.content
    api = Client().post(
        f"/api/v1/organizations/{cast.org_a.slug}/defenders/{second.pk}/reveal",
        "{}",
        content_type="application/json",
        **bearer(cast.tokens["a_admin"]),
    )
    assert api.status_code == 409 and moved not in api.content.decode()


def test_bad_input_gets_field_errors(cast, as_user):
    client = as_user(cast.a_caseworker_team)
    response = client.post(
        url("create", cast),
        {
            "public_name": "x" * 201,
            "kind": "robot",
            "gender": "woman",
            "email": "not an email",
            "aliases": "a\n" * 60,
            "legal_name": "y" * 400,
        },
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert {"public_name", "kind", "email", "aliases", "legal_name"} <= errors.keys()
    assert not Defender.objects.exists()
    defender = make(cast)
    bad_consent = client.post(
        url("consent_add", cast, defender.pk), {"consent-scope": "nope", "consent-given_on": "yesterday"}
    )
    assert bad_consent.status_code == 400
    assert client.post(url("contact_add", cast, defender.pk), {"contact-email": "x"}).status_code == 400
    assert client.post(url("reveal", cast, defender.pk), {"field": ["password"]}).status_code == 400
    assert client.post(url("list", cast), {"field": "private_notes", "value": "x"}).status_code == 400
    api = Client().post(
        f"/api/v1/organizations/{cast.org_a.slug}/defenders",
        json.dumps({"public_name": "", "aliases": ["z" * 400], "country": "ZZ", "email": "nope"}),
        content_type="application/json",
        **bearer(cast.tokens["a_admin"]),
    )
    assert api.status_code == 400 and api.json()["error"]["fields"]
    country = Client().post(
        f"/api/v1/organizations/{cast.org_a.slug}/defenders",
        json.dumps({"public_name": "Ok", "country": "ZZ"}),
        content_type="application/json",
        **bearer(cast.tokens["a_admin"]),
    )
    assert country.status_code == 400 and "country" in country.json()["error"]["fields"]


def test_trusted_contacts_are_revealed_on_request_and_removed(cast, as_user):
    defender = make(cast)
    client = as_user(cast.a_caseworker_team)
    client.post(
        url("contact_add", cast, defender.pk), {"contact-name": CONTACT_CANARY, "contact-relationship": "Sister"}
    )
    contact = TrustedContact.objects.get()
    assert CONTACT_CANARY.encode() not in client.get(url("detail", cast, defender.pk)).content
    shown = client.post(url("reveal", cast, defender.pk), {"field": "trusted_contacts"})
    assert CONTACT_CANARY.encode() in shown.content
    assert entries("defender.revealed")[0].changes == {"trusted_contacts": {}}
    assert client.post(url("contact_remove", cast, defender.pk, contact.pk)).status_code == 302
    assert not TrustedContact.objects.exists()
    assert entries("trusted_contact.added")[0].changes["name"] == {}


def test_need_to_know_follows_the_cases(cast, as_user):
    """Caseworkers and viewers see the defenders of their cases and those they recorded; a
    defender outside that is the same 404 as a missing one, in lists, search, pages and the API."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    from salama.cases.actions import do_open_case
    from salama.defenders.actions import do_update_defender

    theirs = make(cast, public_name="Recorded by the team caseworker")
    own = do_create_defender(cast.membership("a_caseworker_other"), public_name="Recorded by the other")
    other = as_user(cast.a_caseworker_other)
    listed = other.get(url("list", cast)).content
    assert b"Recorded by the other" in listed and b"Recorded by the team caseworker" not in listed
    assert b"the defenders of the cases you work on" in listed
    assert other.get(url("detail", cast, theirs.pk)).status_code == 404
    assert other.post(url("reveal", cast, theirs.pk), {"field": ["legal_name"]}).status_code == 404
    searched = other.post(url("list", cast), {"field": "phone", "value": f"+57 {PHONE_DIGITS}"})
    assert list(searched.context["page"].object_list) == []
    api = f"/api/v1/organizations/{cast.org_a.slug}/defenders"
    token = bearer(cast.tokens["a_caseworker_other"])
    assert [item["id"] for item in Client().get(api, **token).json()["items"]] == [str(own.pk)]
    assert Client().get(f"{api}/{theirs.pk}", **token).status_code == 404
    with pytest.raises(Http404):
        do_update_defender(cast.membership("a_caseworker_other"), theirs, region="Cauca")
    with pytest.raises(ValidationError):
        do_open_case(cast.membership("a_caseworker_other"), title="Reach", defenders=[theirs])
    assert AuditEntry.objects.filter(action="defender.revealed").count() == 0

    # A victim named in an incident of one of their cases is known to them through it.
    from datetime import date as day

    from salama.incidents.actions import do_record_incident
    from salama.vocab.actions import load_default_vocabularies
    from salama.vocab.models import Term

    load_default_vocabularies()
    coordinator = cast.membership("a_coordinator")
    case = do_open_case(coordinator, title="Their case", defenders=[own])
    do_record_incident(
        coordinator,
        case,
        title="Threat",
        date_start=day(2024, 5, 1),
        acts=[{"violation": Term.objects.get(vocabulary__code="violation-types", code="death-threats")}],
        victims=[{"defender": theirs}],
    )
    assert other.get(url("detail", cast, theirs.pk)).status_code == 404  # not on that case's team yet
    from salama.cases.actions import do_add_team_member

    do_add_team_member(coordinator, case, cast.a_caseworker_other)
    assert other.get(url("detail", cast, theirs.pk)).status_code == 200
    assert as_user(cast.a_coordinator).get(url("detail", cast, own.pk)).status_code == 200


def test_a_country_is_recorded_by_its_code_on_creation_as_on_change(cast):
    """Revision 1 reads the country as stored, later revisions through the field: both say CO."""
    from salama.defenders.actions import do_create_defenders, do_update_defender
    from salama.revisions.models import Revision

    actor = cast.membership("a_coordinator")
    ids = do_create_defenders(actor, [{"public_name": "Placed", "country": "CO"}, {"public_name": "Nowhere"}])
    placed, unplaced = (Defender.objects.get(pk=pk) for pk in ids)
    do_update_defender(actor, placed, country="KE")
    changes = {r.number: r.public_changes.get("country") for r in Revision.objects.filter(target_id=str(placed.pk))}
    assert changes == {1: {"old": None, "new": "CO"}, 2: {"old": "CO", "new": "KE"}}
    assert "country" not in Revision.objects.get(target_id=str(unplaced.pk)).public_changes


def test_a_field_defenders_do_not_have_is_refused_and_nothing_written(cast):
    from salama.defenders.actions import do_create_defenders

    with pytest.raises(TypeError):
        do_create_defenders(cast.membership("a_coordinator"), [{"public_name": "P"}, {"public_name": "Q", "nmae": "x"}])
    assert not Defender.objects.filter(public_name__in=["P", "Q"]).exists()


def test_a_contact_with_nothing_to_index_is_stored_without_an_index(cast):
    from salama.defenders.actions import do_create_defenders

    made = do_create_defenders(cast.membership("a_coordinator"), [{"public_name": "P", "phone": "n/a"}])
    stored = Defender.objects.get(pk=made[0])
    assert stored.phone == "n/a" and stored.phone_bidx is None


def test_creating_many_at_once_keeps_what_one_at_a_time_keeps(cast, sectors):
    """The batch path of imports: each defender sealed under its own key, found by exact search,
    with its sectors, revision 1 and its own entry in an audit chain that still verifies."""
    from salama.audit.verify import verify_chain
    from salama.defenders.access import find_exactly, sector_terms
    from salama.defenders.actions import do_create_defenders
    from salama.revisions.models import Revision

    land = sector_terms().get(code="land-environment")
    rows = [
        {"public_name": f"Batch {n}", "legal_name": f"{LEGAL}-{n}", "phone": f"+57 300 000 00{n:02}", "sectors": [land]}
        for n in range(12)
    ]
    ids = do_create_defenders(cast.membership("a_coordinator"), rows)
    made = sorted(Defender.objects.filter(pk__in=ids), key=lambda defender: ids.index(defender.pk))
    assert [defender.public_name for defender in made] == [f"Batch {n}" for n in range(12)]
    assert len({defender.data_key_id for defender in made}) == 12
    assert {defender.record_version for defender in made} == {1}
    reloaded = Defender.objects.get(pk=made[7].pk)
    assert reloaded.legal_name == f"{LEGAL}-7" and list(reloaded.sectors.all()) == [land]
    assert [d.pk for d in find_exactly(cast.membership("a_admin"), "phone", "+57 (300) 000-0007")] == [made[7].pk]
    revisions = Revision.objects.filter(target_id__in=[str(d.pk) for d in made])
    assert revisions.count() == 12 and {r.number for r in revisions} == {1}
    first = revisions.get(target_id=str(made[0].pk))
    assert first.public_changes["sectors"] == {"old": None, "new": ["land-environment"]}
    assert first.sealed_changes["legal_name"] == {"old": None, "new": f"{LEGAL}-0"}
    created = entries("defender.created")
    assert [entry.target_id for entry in created] == [str(d.pk) for d in made]
    assert created[0].changes["legal_name"] == {} and created[0].changes["public_name"]["new"] == "Batch 0"
    assert verify_chain().ok
    assert LEGAL not in every_table()

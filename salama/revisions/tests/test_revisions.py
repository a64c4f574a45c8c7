"""Revisions of defenders: numbering and authors, readable diffs, sealed values that stay sealed
at rest and in the UI until an audited reveal, need to know, and crypto-shredding on delete."""

from __future__ import annotations

import pytest
from django.db import connection
from django.urls import reverse

from salama.audit.models import AuditEntry
from salama.core.encryption import DecryptionError
from salama.defenders.actions import do_create_defender, do_delete_defender, do_update_defender
from salama.defenders.models import Defender
from salama.revisions.access import revisions_of
from salama.revisions.diff import word_diff
from salama.revisions.models import Revision

OLD_LEGAL = "Canary-OldLegal-Rv11"
NEW_LEGAL = "Canary-NewLegal-Rv22"
COMMENT = "Canary-Comment-Rv33"


def history(cast, defender, org=None) -> str:  # type: ignore[no-untyped-def]
    return reverse("defenders:history", args=[(org or cast.org_a).slug, defender.pk])


@pytest.fixture
def edited(cast):  # type: ignore[no-untyped-def]
    """Created by a caseworker, then changed twice: public fields by the coordinator, a
    protected one (with a comment) by the admin. Its case's team lets the other caseworker and
    the viewer see it too."""
    from salama.cases.actions import do_add_team_member, do_open_case

    defender = do_create_defender(
        cast.membership("a_caseworker_team"), public_name="La Profe del río", legal_name=OLD_LEGAL
    )
    case = do_open_case(cast.membership("a_admin"), title="Case", defenders=[defender])
    for person in (cast.a_caseworker_other, cast.a_viewer):
        do_add_team_member(cast.membership("a_admin"), case, person)
    do_update_defender(cast.membership("a_coordinator"), defender, public_name="La Profe del valle", gender="woman")
    do_update_defender(cast.membership("a_admin"), defender, legal_name=NEW_LEGAL, comment=COMMENT)
    return Defender.objects.get(pk=defender.pk)


def raw_rows() -> str:
    with connection.cursor() as cursor:
        cursor.execute('SELECT * FROM "revisions_revision"')
        return repr(cursor.fetchall())


def test_create_and_two_updates_make_revisions_one_to_three(cast, edited):
    third, second, first = revisions_of(edited)
    assert [first.number, second.number, third.number] == [1, 2, 3]
    assert first.author == cast.a_caseworker_team and second.author == cast.a_coordinator
    assert third.author == cast.a_admin
    assert {"public_name", "legal_name", "kind", "gender"} <= set(first.fields)
    assert "phone" not in first.fields  # only what was set
    assert second.fields == ["public_name", "gender"]
    assert second.public_changes["public_name"] == {"old": "La Profe del río", "new": "La Profe del valle"}
    assert second.public_changes["gender"] == {"old": "unknown", "new": "woman"}
    assert third.fields == ["legal_name"] and third.public_changes == {}
    assert third.sealed_changes == {"legal_name": {"old": OLD_LEGAL, "new": NEW_LEGAL}}
    assert third.comment == COMMENT and third.organization == cast.org_a


def test_an_update_that_changes_nothing_keeps_no_revision(cast, edited):
    do_update_defender(cast.membership("a_admin"), edited, public_name="La Profe del valle", comment="nothing")
    assert revisions_of(edited).count() == 3


def test_word_diff_is_readable_and_escaped():
    html = word_diff("La Profe del río", "La <b>Profe</b> del valle")
    assert html == "La <del>Profe</del><ins>&lt;b&gt;Profe&lt;/b&gt;</ins> del <del>río</del><ins>valle</ins>"


def test_sealed_values_and_comments_are_never_in_raw_rows(cast, edited):
    dump = raw_rows()
    for canary in (OLD_LEGAL, NEW_LEGAL, COMMENT):
        assert canary not in dump
    assert "La Profe del valle" in dump  # public diffs are public


def test_history_page_shows_public_diffs_and_hides_sealed_ones(cast, as_user, edited):
    page = as_user(cast.a_caseworker_other).get(history(cast, edited))
    assert page.status_code == 200
    content = page.content.decode()
    assert "<del>río</del><ins>valle</ins>" in content
    assert "changed (hidden)" in content and "Reveal protected changes" in content
    for canary in (OLD_LEGAL, NEW_LEGAL, COMMENT):
        assert canary not in content
    detail = as_user(cast.a_viewer).get(reverse("defenders:detail", args=[cast.org_a.slug, edited.pk]))
    assert history(cast, edited) in detail.content.decode()


def test_reveal_is_audited_then_shows_old_and_new_values(cast, as_user, edited):
    client = as_user(cast.a_caseworker_other)
    before = AuditEntry.objects.count()
    page = client.post(history(cast, edited))
    assert page.status_code == 200
    content = page.content.decode()
    assert OLD_LEGAL in content and NEW_LEGAL in content and COMMENT in content
    assert AuditEntry.objects.count() == before + 1
    entry = AuditEntry.objects.get(action="defender.revealed")
    assert entry.actor == cast.a_caseworker_other and entry.target_id == str(edited.pk)
    assert entry.changes == {"history": {}, "legal_name": {}}
    # For that response only.
    assert OLD_LEGAL not in client.get(history(cast, edited)).content.decode()


def test_viewer_sees_field_names_only_and_cannot_reveal(cast, as_user, edited):
    client = as_user(cast.a_viewer)
    content = client.get(history(cast, edited)).content.decode()
    assert "Legal name" in content and "changed (hidden)" in content
    assert "Reveal protected changes" not in content
    assert client.post(history(cast, edited)).status_code == 403
    assert not AuditEntry.objects.filter(action="defender.revealed").exists()


def test_another_organisation_gets_404(cast, as_user, edited):
    client = as_user(cast.b_admin)
    assert client.get(history(cast, edited)).status_code == 404
    assert client.get(history(cast, edited, org=cast.org_b)).status_code == 404
    assert client.post(history(cast, edited, org=cast.org_b)).status_code == 404


def test_comment_from_the_edit_form_lands_on_the_revision(cast, as_user):
    defender = do_create_defender(cast.membership("a_admin"), public_name="Uno")
    client = as_user(cast.a_coordinator)
    form = {"kind": "individual", "public_name": "Dos", "gender": "unknown", "comment": COMMENT}
    response = client.post(reverse("defenders:edit", args=[cast.org_a.slug, defender.pk]), form)
    assert response.status_code == 302
    latest = revisions_of(defender).first()
    assert latest is not None and latest.number == 2 and latest.comment == COMMENT
    assert latest.fields == ["public_name"]


def test_deleting_the_defender_shreds_its_revisions(cast, edited, django_capture_on_commit_callbacks):
    saved = Revision.objects.filter(target_id=str(edited.pk)).values()
    backups = [row for row in saved if row["sealed_changes"]]
    assert backups
    copies = [
        (
            Revision(
                id=r["id"],
                organization_id=r["organization_id"],
                data_key_id=r["data_key_id"],
                record_version=r["record_version"],
            ),
            r["sealed_changes"],
        )
        for r in backups
    ]
    for copy, sealed in copies:
        copy.open_value("sealed_changes", sealed)  # opens while the record exists
    with django_capture_on_commit_callbacks(execute=True):
        do_delete_defender(cast.membership("a_admin"), edited)
    assert not Revision.objects.filter(target_id=str(edited.pk)).exists()
    for copy, sealed in copies:
        with pytest.raises(DecryptionError):
            copy.open_value("sealed_changes", sealed)

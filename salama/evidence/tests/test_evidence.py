"""Evidence: encrypted at rest, cleaned copies of photos, refusals with reasons, duplicates,
audited downloads served as attachments, need to know through the case, and shredding."""

from __future__ import annotations

import io
import sqlite3
from pathlib import Path

import pytest
from django.db import connection
from django.urls import reverse
from PIL import Image

from salama.audit.models import AuditEntry
from salama.cases.actions import do_add_team_member
from salama.core.encryption import key_store
from salama.crypto import DecryptionError, KeyDestroyed
from salama.evidence import storage
from salama.evidence.actions import do_upload
from salama.evidence.models import EvidenceFile

CANARY_NAME = "canary-name-Zq7x.png"
CANARY_TEXT = "canary-description-Wk4p"


def png(colour: tuple[int, int, int] = (10, 200, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(out, "PNG")
    return out.getvalue()


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90 degrees to display
    exif[0x010F] = "CanaryCam"  # make
    exif[0x8825] = {1: "N", 2: (4.0, 35.0, 59.0), 3: "W", 4: (74.0, 4.0, 33.0)}  # GPSInfo
    out = io.BytesIO()
    Image.new("RGB", (40, 20), (120, 60, 30)).save(out, "JPEG", exif=exif, comment=b"canary comment")
    return out.getvalue()


def upload(client, org, case, content: bytes, name: str, title: str = "Photo", description: str = ""):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("evidence:upload", args=[org.slug, case.pk]),
        {"title": title, "description": description, "file": _file(content, name)},
    )


def _file(content: bytes, name: str):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content, content_type="image/png")


def download(client, org, evidence, copy: str):  # type: ignore[no-untyped-def]
    return client.get(reverse("evidence:download", args=[org.slug, evidence.pk]) + f"?copy={copy}")


def test_round_trip_and_nothing_in_clear_at_rest(cast, case, as_user, media):
    client = as_user(cast.a_caseworker_team)
    content = png() + b"PLAINTEXT-MARKER-" + CANARY_TEXT.encode()  # trailing bytes survive in the original
    response = upload(client, cast.org_a, case, content, CANARY_NAME, description=CANARY_TEXT)
    assert response.status_code == 302
    evidence = EvidenceFile.objects.get()
    assert evidence.media_type == "image/png" and evidence.size == len(content) and evidence.has_derived

    got = download(client, cast.org_a, evidence, "original")
    assert got.status_code == 200 and got.content == content

    files = list((Path(media) / "evidence").iterdir())
    assert len(files) == 2
    assert oct((Path(media) / "evidence").stat().st_mode & 0o777) == "0o700"
    for path in files:
        assert oct(path.stat().st_mode & 0o777) == "0o600"
        assert path.name.endswith(".bin") and "canary" not in path.name
        stored = path.read_bytes()
        for secret in (b"PLAINTEXT-MARKER", CANARY_TEXT.encode(), CANARY_NAME.encode(), content[:32]):
            assert secret not in stored

    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM evidence_evidencefile")
        row = repr(cursor.fetchall())
        cursor.execute("SELECT changes FROM audit_auditentry")
        audit = repr(cursor.fetchall())
    for secret in (CANARY_NAME, CANARY_TEXT, "PLAINTEXT-MARKER", evidence.sha256):
        assert secret not in row and secret not in audit
    db_file = connection.settings_dict["NAME"]
    if isinstance(db_file, str) and Path(db_file).exists():
        assert CANARY_TEXT.encode() not in Path(db_file).read_bytes()


def test_jpeg_with_gps_gets_a_clean_upright_copy(cast, case, as_user):
    client = as_user(cast.a_caseworker_team)
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)  # the sample really has GPS
    assert upload(client, cast.org_a, case, original, "p.jpg").status_code == 302
    evidence = EvidenceFile.objects.get()
    cleaned = download(client, cast.org_a, evidence, "derived")
    assert cleaned.status_code == 200
    assert cleaned["Content-Type"] == "image/jpeg"
    image = Image.open(io.BytesIO(cleaned.content))
    assert len(image.getexif()) == 0
    assert "exif" not in image.info and "comment" not in image.info and "icc_profile" not in image.info
    assert b"CanaryCam" not in cleaned.content and b"canary comment" not in cleaned.content
    assert image.size == (20, 40)  # orientation applied, then dropped
    assert download(client, cast.org_a, evidence, "original").content == original


@pytest.mark.parametrize(
    ("content", "name", "reason"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64, "photo.jpg", "not an accepted type"),
        (b"<!DOCTYPE html><html><script>alert(1)</script></html>", "photo.png", "web page"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "photo.jpg", "may be disguised"),
        (b"just some words\n", "photo.png", "may be disguised"),
        (b"\x00\x01\x02\x03binary junk\xff\xfe", "data.bin", "cannot be recognised"),
        (b"", "empty.txt", "empty"),
    ],
)
def test_bad_files_are_refused_with_the_reason(cast, case, as_user, content, name, reason):
    response = upload(as_user(cast.a_caseworker_team), cast.org_a, case, content, name)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not EvidenceFile.objects.exists()


def test_oversized_file_is_refused_with_the_reason(cast, case, as_user, settings):
    settings.EVIDENCE_MAX_BYTES = 100
    response = upload(as_user(cast.a_caseworker_team), cast.org_a, case, png() + b" " * 200, "big.png")
    assert response.status_code == 400
    assert "too large" in response.content.decode()
    assert not EvidenceFile.objects.exists()


def test_text_and_pdf_are_accepted_without_a_cleaned_copy(cast, case, as_user):
    client = as_user(cast.a_caseworker_team)
    assert (
        upload(client, cast.org_a, case, "Amenaza recibida: «te vamos a encontrar»\n".encode(), "msg.txt").status_code
        == 302
    )
    evidence = EvidenceFile.objects.get()
    assert evidence.media_type == "text/plain" and not evidence.has_derived
    assert download(client, cast.org_a, evidence, "derived").status_code == 400


def test_duplicates_within_the_org_are_reported_not_stored(cast, case, as_user):
    client = as_user(cast.a_caseworker_team)
    assert upload(client, cast.org_a, case, png(), "a.png", title="First").status_code == 302
    first = EvidenceFile.objects.get()
    response = upload(client, cast.org_a, case, png(), "renamed.png", title="Second")
    assert response.status_code == 409
    assert reverse("evidence:detail", args=[cast.org_a.slug, first.pk]) in response.content.decode()
    assert EvidenceFile.objects.count() == 1
    assert len(first.content_hmac) == 64 and first.content_hmac != first.sha256


def test_same_file_in_two_orgs_gives_unrelated_hmacs(cast):
    assert storage.content_hmac(str(cast.org_a.pk), b"x") != storage.content_hmac(str(cast.org_b.pk), b"x")


def test_download_is_audited_and_served_as_an_attachment(cast, case, as_user):
    client = as_user(cast.a_caseworker_team)
    upload(client, cast.org_a, case, png(), CANARY_NAME)
    evidence = EvidenceFile.objects.get()
    response = download(client, cast.org_a, evidence, "derived")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and f"evidence-{evidence.short_id}" in disposition
    assert "canary" not in disposition
    entry = AuditEntry.objects.filter(action="evidence.downloaded").get()
    assert entry.target_id == str(evidence.pk)
    assert entry.changes == {"copy": {"old": None, "new": "derived"}}


def test_viewer_on_the_team_gets_the_cleaned_copy_but_not_the_original(cast, case, as_user):
    do_add_team_member(cast.membership("a_admin"), case, cast.a_viewer)
    upload(as_user(cast.a_caseworker_team), cast.org_a, case, png(), "a.png")
    evidence = EvidenceFile.objects.get()
    viewer = as_user(cast.a_viewer)
    assert download(viewer, cast.org_a, evidence, "derived").status_code == 200
    assert download(viewer, cast.org_a, evidence, "original").status_code == 403
    assert b"copy=original" not in viewer.get(reverse("evidence:detail", args=[cast.org_a.slug, evidence.pk])).content


def test_reveal_is_audited_and_shows_the_details(cast, case, as_user):
    client = as_user(cast.a_caseworker_team)
    upload(client, cast.org_a, case, png(), CANARY_NAME, description=CANARY_TEXT)
    evidence = EvidenceFile.objects.get()
    page = client.get(reverse("evidence:detail", args=[cast.org_a.slug, evidence.pk])).content.decode()
    assert CANARY_TEXT not in page and CANARY_NAME not in page
    response = client.post(
        reverse("evidence:reveal", args=[cast.org_a.slug, evidence.pk]),
        {"field": ["description", "original_name", "sha256"]},
    )
    text = response.content.decode()
    assert CANARY_TEXT in text and CANARY_NAME in text and evidence.sha256 in text
    entry = AuditEntry.objects.get(action="evidence.revealed")
    assert CANARY_TEXT not in repr(entry.changes) and CANARY_NAME not in repr(entry.changes)


def test_need_to_know_through_the_case(cast, case, as_user):
    upload(as_user(cast.a_caseworker_team), cast.org_a, case, png(), "a.png")
    evidence = EvidenceFile.objects.get()
    detail = reverse("evidence:detail", args=[cast.org_a.slug, evidence.pk])
    listing = reverse("evidence:list", args=[cast.org_a.slug, case.pk])
    other = as_user(cast.a_caseworker_other)  # same org, not on the team
    assert other.get(detail).status_code == 404
    assert other.get(listing).status_code == 404
    assert download(other, cast.org_a, evidence, "derived").status_code == 404
    assert upload(other, cast.org_a, case, png((1, 2, 3)), "b.png").status_code == 404
    stranger = as_user(cast.b_admin)  # another organisation, through its own slug and through A's
    assert stranger.get(reverse("evidence:detail", args=[cast.org_b.slug, evidence.pk])).status_code == 404
    assert stranger.get(detail).status_code == 404
    assert download(stranger, cast.org_b, evidence, "original").status_code == 404
    assert as_user(cast.a_coordinator).get(detail).status_code == 200  # sees every case of the org
    assert not AuditEntry.objects.filter(action="evidence.downloaded").exists()


def test_deleting_shreds_the_key_and_removes_the_files(cast, case, as_user, media, django_capture_on_commit_callbacks):
    upload(as_user(cast.a_caseworker_team), cast.org_a, case, png(), "a.png")
    evidence = EvidenceFile.objects.get()
    saved = (Path(media) / "evidence" / f"{evidence.storage_name}.bin").read_text()
    org_id, record_id, key_id = str(evidence.organization_id), str(evidence.pk), evidence.data_key_id
    context = storage._context(org_id, record_id, storage.CONTENT)
    from salama.crypto import unseal

    assert unseal(lambda kid: key_store().data_key(org_id, kid), saved, context) == png()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(cast.a_admin).post(reverse("evidence:delete", args=[cast.org_a.slug, evidence.pk]))
    assert response.status_code == 302
    assert not EvidenceFile.objects.exists()
    assert list((Path(media) / "evidence").iterdir()) == []
    with pytest.raises(KeyDestroyed):
        key_store().data_key(org_id, key_id)
    with pytest.raises(DecryptionError):
        unseal(lambda kid: key_store().data_key(org_id, kid), saved, context)
    assert AuditEntry.objects.filter(action="evidence.deleted", target_id=record_id).exists()


def test_caseworker_cannot_delete(cast, case, as_user):
    upload(as_user(cast.a_caseworker_team), cast.org_a, case, png(), "a.png")
    evidence = EvidenceFile.objects.get()
    response = as_user(cast.a_caseworker_team).post(reverse("evidence:delete", args=[cast.org_a.slug, evidence.pk]))
    assert response.status_code == 403
    assert EvidenceFile.objects.exists()


def test_a_failed_save_leaves_no_file_and_no_key(cast, case, media, monkeypatch):
    def broken(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("database down")

    monkeypatch.setattr(EvidenceFile, "save", broken)
    with pytest.raises(RuntimeError):
        do_upload(cast.membership("a_caseworker_team"), case, title="x", content=png(), name="a.png")
    assert list((Path(media) / "evidence").iterdir()) == []


def test_keystore_file_never_holds_plaintext(cast, case, as_user, settings):
    upload(as_user(cast.a_caseworker_team), cast.org_a, case, png(), CANARY_NAME, description=CANARY_TEXT)
    with sqlite3.connect(settings.KEYSTORE_PATH) as db:
        dump = "\n".join(db.iterdump())
    assert CANARY_TEXT not in dump and CANARY_NAME not in dump

"""Evidence through the API: multipart upload, metadata, audited download, refusals, delete."""

from __future__ import annotations

import pytest
from django.test import Client

from salama.audit.models import AuditEntry
from salama.core.testing import bearer
from salama.evidence.models import EvidenceFile

from .test_evidence import png


def _upload(cast, case, content: bytes, name: str, actor: str = "a_caseworker_team"):  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    return Client().post(
        f"/api/v1/organizations/{cast.org_a.slug}/cases/{case.pk}/evidence",
        {"title": "From the API", "description": "secret", "file": SimpleUploadedFile(name, content)},
        **bearer(cast.tokens[actor]),
    )


@pytest.mark.usefixtures("media")
def test_api_round_trip(cast, case):
    response = _upload(cast, case, png(), "p.png")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["media_type"] == "image/png" and body["has_cleaned_copy"] is True
    assert "description" not in body and "original_name" not in body
    headers = bearer(cast.tokens["a_caseworker_team"])
    base = f"/api/v1/organizations/{cast.org_a.slug}/evidence/{body['id']}"
    original = Client().get(base + "/download?copy=original", **headers)
    assert original.status_code == 200 and original.content == png()
    assert original["Content-Disposition"].startswith("attachment;")
    assert AuditEntry.objects.filter(action="evidence.downloaded", target_id=body["id"]).exists()
    listing = Client().get(f"/api/v1/organizations/{cast.org_a.slug}/cases/{case.pk}/evidence", **headers)
    assert listing.json()["count"] == 1
    assert Client().get(base, **bearer(cast.tokens["a_caseworker_other"])).status_code == 404
    assert Client().delete(base, **bearer(cast.tokens["a_admin"])).status_code == 204
    assert not EvidenceFile.objects.exists()


@pytest.mark.usefixtures("media")
def test_api_refusals_and_duplicates(cast, case):
    refused = _upload(cast, case, b"<html><script>x</script></html>", "a.png")
    assert refused.status_code == 400 and "web page" in refused.json()["error"]["message"]
    assert _upload(cast, case, png(), "a.png").status_code == 201
    again = _upload(cast, case, png(), "b.png")
    assert again.status_code == 409
    assert again.json()["error"]["fields"]["existing"] == str(EvidenceFile.objects.get().pk)
    assert _upload(cast, case, png((9, 9, 9)), "c.png", actor="a_viewer").status_code in {403, 404}

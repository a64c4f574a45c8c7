"""Canaries: unique values typed through the UI and the API never appear at rest in clear: not
in the database (the SQLite file, or a PostgreSQL dump), not in the logs, not in the evidence
store or the key store, and not in a temporary file, whether the web server, an upload, an
import or an export would have made it.

Every file the standard `tempfile` module makes (TemporaryFile, NamedTemporaryFile, mkstemp,
mkdtemp, a SpooledTemporaryFile that rolls over) asks `tempfile.gettempdir()` where to go unless
its caller names a directory, so watching that one function sees them all, including files
unlinked the moment they are made.
"""

from __future__ import annotations

import glob
import http.client
import io
import json
import logging
import os
import shutil
import subprocess
import tempfile
import threading
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from salama.core.management.commands.serve import waitress_options
from salama.core.testing import bearer

CANARIES = {
    "ui_legal_name": "Canary-UiLegal-Hq41",
    "ui_notes": "Canary-UiNotes-Pz07",
    "api_legal_name": "Canary-ApiLegal-Mw58",
    "case_summary": "Canary-Summary-Xe22",
    "case_note": "Canary-Note-Jd36",
    "narrative": "Canary-Narrative-Ku19",
    "named_actor": "Canary-Actor-Ro84",
    "victim_name": "Canary-Victim-Lb63",
    "evidence_text": "Canary-Evidence-Vn90",
    "evidence_description": "Canary-EvDescr-Gt75",
    "imported_legal_name": "Canary-Imported-Sy12",
}


@pytest.fixture
def temp_files(monkeypatch, tmp_path) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """The places in the code that asked for a temporary file; the files go to a fresh folder."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    asked: list[str] = []

    def where(text: bool) -> Any:
        asked.append("".join(traceback.format_stack(limit=8)))
        return str(folder) if text else bytes(folder)

    monkeypatch.setattr(tempfile, "gettempdir", lambda: where(True))
    monkeypatch.setattr(tempfile, "gettempdirb", lambda: where(False))
    yield asked


def _echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [body * 3]


def _round_trip(options: dict[str, Any], body: bytes) -> bytes:
    from waitress.server import create_server

    server = create_server(_echo, host="127.0.0.1", port=0, **options)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        connection = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=30)
        connection.request("POST", "/", body=body)
        answer = connection.getresponse().read()
        connection.close()
        return answer
    finally:
        # Closed from the server's own thread: closing its socket from here, while that thread
        # waits on it in select(), made the wait fail there (EBADF) now and then.
        server.trigger.pull_trigger(server.close)
        thread.join(timeout=10)


def test_the_web_server_keeps_request_and_response_bodies_in_memory(temp_files, settings):
    settings.MAX_REQUEST_BYTES = 4 * 1024 * 1024
    body = b"Canary-Evidence-Tq93 " * 100_000  # 2.1 MB in, 6.3 MB out: both past waitress's defaults
    assert _round_trip(waitress_options(), body) == body * 3
    assert temp_files == []
    # The same exchange with waitress's defaults does spool to disk: the watch sees it.
    assert _round_trip({"max_request_body_size": settings.MAX_REQUEST_BYTES}, body) == body * 3
    assert temp_files != []


def test_files_left_in_the_folder_are_found(temp_files):  # type: ignore[no-untyped-def]
    """The watch itself: a file made through tempfile is seen and lands in the test's folder."""
    with tempfile.NamedTemporaryFile(delete=False) as handle:
        handle.write(b"x")
    assert len(temp_files) == 1 and Path(handle.name).parent.name == "tmp"


def _at_rest_in_the_database(tmp_path: Path) -> bytes:
    """The whole database as a seized copy would hold it."""
    if connection.vendor == "sqlite":
        copy = tmp_path / "copy.sqlite3"
        with connection.cursor() as cursor:
            cursor.execute("VACUUM INTO %s", [str(copy)])
        return copy.read_bytes()
    dump = shutil.which("pg_dump") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_dump"))), None)
    assert dump, "pg_dump is needed to check a PostgreSQL dump"
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = [dump, "-h", db["HOST"] or "localhost", "-p", str(db["PORT"] or 5432), "-U", db["USER"], db["NAME"]]
    return subprocess.run(command, env=env, check=True, capture_output=True).stdout  # noqa: S603


def _files_under(*folders: Path) -> bytes:
    found = []
    for folder in folders:
        for path in Path(folder).rglob("*"):
            if path.is_file():
                found.append(path.read_bytes())
    return b"\n".join(found)


def _type_everything(cast, as_user) -> None:  # type: ignore[no-untyped-def]
    """Every way a protected value gets in: forms, the API, an upload, an import; and back out:
    reveals, a download and exports."""
    from salama.cases.models import Case
    from salama.defenders.models import Defender
    from salama.evidence.models import EvidenceFile
    from salama.transfer.models import ImportBatch

    coordinator = as_user(cast.a_coordinator)
    api, token = Client(), bearer(cast.tokens["a_coordinator"])

    def post_json(path: str, body: dict[str, Any]) -> Any:
        response = api.post(path, json.dumps(body), content_type="application/json", **token)
        assert response.status_code in (200, 201), response.content[:300]
        return response.json()

    created = coordinator.post(
        reverse("defenders:create", args=["org-a"]),
        {
            "kind": "individual",
            "public_name": "Uno",
            "gender": "woman",
            "legal_name": CANARIES["ui_legal_name"],
            "private_notes": CANARIES["ui_notes"],
        },
    )
    assert created.status_code == 302
    defender = Defender.objects.get(public_name="Uno")
    coordinator.post(reverse("defenders:reveal", args=["org-a", defender.pk]), {"field": ["legal_name"]})
    post_json("/api/v1/organizations/org-a/defenders", {"public_name": "Dos", "legal_name": CANARIES["api_legal_name"]})

    case = post_json(
        "/api/v1/organizations/org-a/cases",
        {"title": "Case", "defenders": [str(defender.pk)], "summary": CANARIES["case_summary"]},
    )
    post_json(f"/api/v1/organizations/org-a/cases/{case['id']}/notes", {"text": CANARIES["case_note"]})
    post_json(
        f"/api/v1/organizations/org-a/cases/{case['id']}/incidents",
        {
            "title": "Threat",
            "date_start": "2024-05-01",
            "narrative": CANARIES["narrative"],
            "acts": [{"violation": "death-threats", "victim": 0}],
            "victims": [{"other_name": CANARIES["victim_name"]}],
            "perpetrators": [{"type": "unknown", "named_actor": CANARIES["named_actor"]}],
        },
    )

    upload = io.BytesIO(((CANARIES["evidence_text"] + " ") * 50_000).encode())  # 1 MB of text
    upload.name = "statement.txt"
    evidence_url = reverse("evidence:upload", args=["org-a", case["id"]])
    answer = coordinator.post(
        evidence_url, {"title": "Statement", "description": CANARIES["evidence_description"], "file": upload}
    )
    assert answer.status_code == 302, answer.content[:300]
    evidence = EvidenceFile.objects.get(case=Case.objects.get(pk=case["id"]))
    download = coordinator.get(reverse("evidence:download", args=["org-a", evidence.pk]) + "?copy=original")
    assert CANARIES["evidence_text"].encode() in b"".join(
        download.streaming_content if download.streaming else [download.content]
    )

    sheet = f"external_id,public_name,legal_name\nimp-1,Tres,{CANARIES['imported_legal_name']}\n".encode()
    file = io.BytesIO(sheet)
    file.name = "defenders.csv"
    admin = as_user(cast.a_admin)
    assert (
        admin.post(reverse("transfer:import_start", args=["org-a"]), {"kind": "defenders", "file": file}).status_code
        == 302
    )
    batch = ImportBatch.objects.get()
    steps = {"org_slug": "org-a", "batch_id": batch.pk}
    mapping = {"field_external_id": "external_id", "field_public_name": "public_name", "field_legal_name": "legal_name"}
    assert admin.post(reverse("transfer:import_mapping", kwargs=steps), mapping).status_code == 302
    admin.get(reverse("transfer:import_preview", kwargs=steps))
    admin.post(reverse("transfer:import_run", kwargs=steps))
    assert Defender.objects.filter(external_id="imp-1").exists()

    for name in ("export", "export_cases", "export_incidents"):
        for fmt in ("csv", "xlsx", "json"):
            exported = admin.post(reverse(f"transfer:{name}", args=["org-a"]), {"format": fmt})
            assert exported.status_code == 200, (name, fmt, exported.status_code)


@pytest.mark.django_db(transaction=True)
def test_canaries_are_never_at_rest_in_clear(cast, as_user, temp_files, tmp_path, settings, caplog, capfd):
    from salama.vocab.actions import load_default_vocabularies

    settings.MEDIA_ROOT = tmp_path / "media"
    load_default_vocabularies()
    temp_files.clear()  # capfd keeps the captured output in temporary files of its own
    with caplog.at_level(logging.DEBUG):
        _type_everything(cast, as_user)
    assert temp_files == [], "a temporary file was made:\n" + "\n---\n".join(temp_files)
    places = {
        "database": _at_rest_in_the_database(tmp_path),
        "evidence store": _files_under(settings.MEDIA_ROOT),
        "key store": Path(django_settings.KEYSTORE_PATH).read_bytes(),
        "temporary files": _files_under(tmp_path / "tmp"),
        "logs": (caplog.text + "".join(capfd.readouterr())).encode(),
    }
    assert len(places["database"]) > 100_000 and b"Uno" in places["database"]  # the copy is real
    for canary in CANARIES.values():
        for place, content in places.items():
            assert canary.encode() not in content, f"{canary} found in {place}"

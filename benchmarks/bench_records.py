"""List latency over a realistic volume of cases and incidents; decryptions through the model
layer; import throughput.

Scale (environment variables):

    SALAMA_BENCH_CASES        cases to generate (default 100000)
    SALAMA_BENCH_INCIDENTS    incidents to generate (default 1000000)
    SALAMA_BENCH_REQUESTS     timed requests per list scenario (default 10: with today's incident
                              list, 3-14 s a request at full scale, more would blow the budget)
    SALAMA_BENCH_IMPORT_ROWS  rows of the generated import CSV (default 100000, see below)

Bulk data, and why it is a fair test of list latency
----------------------------------------------------
Cases, defenders and incidents are written with `bulk_create` in batches of 5,000, one
transaction per batch, with their encrypted fields left empty and a placeholder `data_key_id`.
Saving them one by one through the model would create (and fsync) one data key per record,
hours at this scale. The lists measured here only ever read public columns: the case list shows
reference, title, status, priority, dates, defenders' public names and the team; the incident
list shows dates, title, violations, country and case reference, and the "has_<field>" flags are
computed in SQL from the column (`<> ''`) without opening anything. No list decrypts, so the
ciphertext only matters through row width: an incident row with three short envelopes is a few
hundred bytes wider, which shifts SQLite page counts slightly on full scans but not the plans.
Decryption cost is measured separately, on 1,000 genuinely encrypted cases
(`model_decryptions_*`).

Distribution: 2 organisations (70 % / 30 % of cases); ~60 countries with a Zipf-like skew (the
first country about 1/5 of records); statuses and priorities with realistic weights; opening
and incident dates spread over 10 years; each case with 1-2 defenders, a team of 1-2 members
and, for half, a violation-type tag; each incident with 1-3 acts whose violations come from the
default "violation-types" vocabulary (skewed as well).

Requests go through the Django test client, signed in as org A's coordinator (who sees every
case of org A), for page 1 and a deep page (80 % of the way through the result pages), with no
filter and with each filter. When a scenario's p95 exceeds `TARGET_MS`, the slowest SQL query of
one such request is EXPLAINed and the plan is written to results/records_plans.txt.

Database: whatever settings are active. With the default settings that is SQLite, and since
they give no TEST NAME, Django's test database is SQLite *in memory* (shared cache): no file
I/O, so the figures are those of a fully cached database file. With DATABASE_URL set to a
PostgreSQL server, the harness creates the test database there and the same code runs on it.

Import throughput
-----------------
Timed through salama.transfer's own steps (do_upload, do_set_mapping, then run_import called
directly instead of through the job queue), on a generated defenders CSV (eight columns, about
150 bytes a row: 15 MB at 100,000 rows). New rows are written 2,000 at a time through
do_create_defenders: one key-store write for their data keys, and one statement per table
(salama.core.bulk.insert_values, rows of values rather than model instances: a prepared INSERT
with many parameter sets, or a COPY on PostgreSQL) for the defenders, their revisions and their
chained audit entries. The figure is
rows/s including the upload, mapping and both validations; SALAMA_BENCH_IMPORT_ROWS sets the
file's size (100,000 by default, the importer's limit, which a file of exactly 100,000 rows
meets). When a step fails, the figure says "not available" with the reason rather than failing
the run.

`python -m benchmarks.bench_records import` times the import alone, without generating the
lists' volume, into a database holding only the test cast. Its figures are written as
import_alone_* in results/records.json (or records_postgresql.json with DATABASE_URL set),
beside the full run's, which they never replace, with when and under what load they were
measured (machine.import_alone_measured).

What the import cost, and what changed: see docs/import-export.md, "Size and speed". In short,
764 rows/s at 2,000 rows on SQLite before: bulk_create compiled its INSERT per few dozen rows and
walked every value through the SQL compiler; per-row lookups that are now made once per batch;
SQLite rewriting the batch row (the sealed file) on every progress update; the cycle collector
walking the file's table again and again; and on PostgreSQL, one parsed and planned statement
per row, where one COPY per table and run now carries them.

Lists page by keys with a capped count (salama.core.paging): "deep" is 80 % of the pages the
list offers, which end at the count cap.

Results are written to results/records.json, or to results/records_postgresql.json when
DATABASE_URL names a PostgreSQL server; the plans likewise (records_plans_postgresql.txt).
"""

from __future__ import annotations

import csv
import gc
import io
import os
import random
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

# Shared with the analysis generator: weighted picking and the placeholder data key of bulk rows.
from salama.analytics.generator import PLACEHOLDER_KEY, Picker, skewed

BATCH = 5_000
TARGET_MS = 150.0
RESULT_PER_DATABASE = True
SEED = 20261125

RESULTS = Path(__file__).resolve().parent / "results"


def log(message: str) -> None:
    print(f"[records {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


# The cast ----------------------------------------------------------------------------------------


def cast_members() -> Any:
    """The test cast; reused when another benchmark of this run already made it."""
    from salama.accounts.models import User
    from salama.core.testing import ROLES, Cast, make_cast
    from salama.orgs.models import Organization

    if not Organization.objects.filter(slug="org-a").exists():
        return make_cast()
    cast = Cast(Organization.objects.get(slug="org-a"), Organization.objects.get(slug="org-b"))
    for prefix in ("a", "b"):
        for key in ROLES:
            cast.people[f"{prefix}_{key}"] = User.objects.get(email=f"{prefix}-{key}@example.org")
    return cast


# Generation --------------------------------------------------------------------------------------


def generate(cast: Any, n_cases: int, n_incidents: int) -> dict[str, Any]:
    from django.db import transaction
    from django_countries import countries

    from salama.cases.models import Case
    from salama.defenders.models import Defender
    from salama.incidents.models import Act, Incident
    from salama.vocab.models import Term

    rng = random.Random(SEED)
    today = datetime.now(tz=UTC).date()
    codes = [code for code, _name in countries]
    rng_c = random.Random(SEED + 1)
    country_list = rng_c.sample(codes, 60)
    country = Picker(rng, country_list, skewed(country_list))
    violations = list(Term.objects.filter(vocabulary__code="violation-types", retired_at=None).order_by("position"))
    if not violations:
        raise RuntimeError("the violation-types vocabulary is empty")
    shuffled = violations[:]
    random.Random(SEED + 2).shuffle(shuffled)
    violation = Picker(rng, shuffled, skewed(shuffled, 0.9))
    status = Picker(rng, ["new", "assessing", "active", "monitoring", "closed"], [10, 10, 35, 15, 30])
    priority = Picker(rng, ["urgent", "high", "normal", "low"], [5, 20, 55, 20])
    precision = Picker(rng, ["exact", "month", "year", "estimated"], [70, 15, 10, 5])
    orgs = [cast.org_a, cast.org_b]
    teams = {
        cast.org_a.pk: [cast.a_coordinator.pk, cast.a_caseworker_team.pk, cast.a_caseworker_other.pk],
        cast.org_b.pk: [cast.b_coordinator.pk, cast.b_caseworker_team.pk, cast.b_caseworker_other.pk],
    }

    # Defenders: about 0.6 per case, each in one organisation.
    n_defenders = max(10, int(n_cases * 0.6))
    defenders: dict[int, list[uuid.UUID]] = {orgs[0].pk: [], orgs[1].pk: []}
    started = time.perf_counter()
    for first in range(0, n_defenders, BATCH):
        rows = []
        for n in range(first, min(first + BATCH, n_defenders)):
            org = orgs[0] if rng.random() < 0.7 else orgs[1]
            defender = Defender(
                id=uuid.uuid4(),
                organization=org,
                data_key_id=PLACEHOLDER_KEY,
                record_version=1,
                public_name=f"Defender {n:07d}",
                country=country(),
                gender=rng.choice(["woman", "man", "non_binary", "unknown"]),
            )
            defenders[org.pk].append(defender.pk)
            rows.append(defender)
        with transaction.atomic():
            Defender.objects.bulk_create(rows, batch_size=BATCH)
    log(f"{n_defenders} defenders in {time.perf_counter() - started:.1f}s")

    # Cases, their defenders, teams and tags.
    case_ids: list[uuid.UUID] = []
    case_org: list[int] = []
    case_opened: list[date] = []
    references = {orgs[0].pk: 0, orgs[1].pk: 0}
    through_def, through_team, through_tag = Case.defenders.through, Case.team.through, Case.tags.through
    started = time.perf_counter()
    for first in range(0, n_cases, BATCH):
        cases, links, team, tags = [], [], [], []
        for _n in range(first, min(first + BATCH, n_cases)):
            org = orgs[0] if rng.random() < 0.7 else orgs[1]
            references[org.pk] += 1
            opened = today - timedelta(days=rng.randrange(3650))
            state = status()
            case = Case(
                id=uuid.uuid4(),
                organization=org,
                data_key_id=PLACEHOLDER_KEY,
                record_version=1,
                reference=f"C-{references[org.pk]:06d}",
                title=f"Case {references[org.pk]}",
                status=state,
                closed_reason="other" if state == "closed" else "",
                priority=priority(),
                opened_on=opened,
                closed_on=opened + timedelta(days=rng.randrange(400)) if state == "closed" else None,
                created_at=datetime(opened.year, opened.month, opened.day, 12, tzinfo=UTC),
            )
            cases.append(case)
            case_ids.append(case.pk)
            case_org.append(org.pk)
            case_opened.append(opened)
            for defender_id in rng.sample(defenders[org.pk], 1 if rng.random() < 0.8 else 2):
                links.append(through_def(case_id=case.pk, defender_id=defender_id))
            for user_id in rng.sample(teams[org.pk], rng.choice((1, 2))):
                team.append(through_team(case_id=case.pk, user_id=user_id))
            if rng.random() < 0.5:
                tags.append(through_tag(case_id=case.pk, term_id=violation().pk))
        with transaction.atomic():
            Case.objects.bulk_create(cases, batch_size=BATCH)
            through_def.objects.bulk_create(links, batch_size=BATCH)
            through_team.objects.bulk_create(team, batch_size=BATCH)
            through_tag.objects.bulk_create(tags, batch_size=BATCH)
        if (first // BATCH) % 5 == 4:
            log(f"  cases {first + len(cases)}/{n_cases}")
    log(f"{n_cases} cases in {time.perf_counter() - started:.1f}s")

    # Incidents and their acts.
    started = time.perf_counter()
    created = datetime.now(tz=UTC)
    for first in range(0, n_incidents, BATCH):
        incidents, acts = [], []
        for n in range(first, min(first + BATCH, n_incidents)):
            i = rng.randrange(len(case_ids))
            start = case_opened[i] - timedelta(days=rng.randrange(60))
            incident = Incident(
                id=uuid.uuid4(),
                organization_id=case_org[i],
                case_id=case_ids[i],
                data_key_id=PLACEHOLDER_KEY,
                record_version=1,
                title=f"Incident {n}",
                date_start=start,
                date_end=start + timedelta(days=rng.randrange(1, 90)) if rng.random() < 0.2 else None,
                date_precision=precision(),
                country=country(),
                place=f"Town {rng.randrange(500)}",
                created_at=created,
            )
            incidents.append(incident)
            r = rng.random()
            for _k in range(1 if r < 0.6 else 2 if r < 0.9 else 3):
                acts.append(Act(incident_id=incident.pk, violation_id=violation().pk))
        with transaction.atomic():
            Incident.objects.bulk_create(incidents, batch_size=BATCH)
            Act.objects.bulk_create(acts, batch_size=BATCH)
        if (first // BATCH) % 20 == 19:
            done = first + len(incidents)
            rate = done / (time.perf_counter() - started)
            log(f"  incidents {done}/{n_incidents} ({rate:.0f}/s)")
    log(f"{n_incidents} incidents in {time.perf_counter() - started:.1f}s")
    return {"countries": country_list, "violations": violations}


def analyse() -> None:
    from django.db import connection

    if connection.vendor == "sqlite" or connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


# Latency -----------------------------------------------------------------------------------------


def timed(client: Any, url: str, requests: int) -> tuple[list[float], int]:
    response = client.get(url)  # warm-up
    if response.status_code != 200:
        raise RuntimeError(f"{url}: HTTP {response.status_code}")
    samples = []
    for _ in range(requests):
        start = time.perf_counter()
        client.get(url)
        samples.append((time.perf_counter() - start) * 1000)
    return samples, len(response.content)


def plans_file() -> str:
    from django.db import connection

    return "records_plans.txt" if connection.vendor == "sqlite" else f"records_plans_{connection.vendor}.txt"


def explain_slowest(client: Any, url: str) -> str:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    queries = sorted(captured.captured_queries, key=lambda q: float(q["time"]), reverse=True)
    lines = [f"GET {url}: {len(queries)} queries"]
    for query in queries[:2]:
        lines.append(f"-- {float(query['time']) * 1000:.1f} ms: {query['sql']}")
        prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
        try:
            with connection.cursor() as cursor:
                cursor.execute(prefix + query["sql"])
                lines += ["   " + " | ".join(str(c) for c in row) for row in cursor.fetchall()]
        except Exception as error:
            lines.append(f"   (no plan: {error})")
    return "\n".join(lines)


def scenarios(cast: Any, data: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    """(name, url, query string, count function) for each list and filter."""
    from salama.cases.access import CaseFilters, cases_for
    from salama.incidents.access import IncidentFilters, incidents_for
    from salama.vocab.models import Term

    me = cast.membership("a_coordinator")
    busy = data["countries"][0]  # the most frequent country
    middle = data["countries"][10]
    today = datetime.now(tz=UTC).date()
    since, until = today - timedelta(days=3 * 365), today - timedelta(days=2 * 365)
    # Violation roll-up: a top-level term that has narrower ones, if the vocabulary has any.
    tops = [t for t in data["violations"] if t.depth == 0]
    parent = next(
        (t for t in tops if Term.objects.filter(vocabulary_id=t.vocabulary_id, path__startswith=t.path).count() > 1),
        tops[0] if tops else data["violations"][0],
    )
    cases_url, incidents_url = "/o/org-a/cases/", "/o/org-a/incidents/"
    return [
        ("cases", cases_url, "", lambda: cases_for(me).count()),
        (
            "cases_status_priority",
            cases_url,
            "status=active&priority=high",
            lambda: cases_for(me, CaseFilters(status="active", priority="high")).count(),
        ),
        ("cases_country", cases_url, f"country={busy}", lambda: cases_for(me, CaseFilters(country=busy)).count()),
        (
            "cases_country_rare",
            cases_url,
            f"country={middle}",
            lambda: cases_for(me, CaseFilters(country=middle)).count(),
        ),
        ("cases_tag", cases_url, f"tag={parent.pk}", lambda: cases_for(me, CaseFilters(tag=parent)).count()),
        (
            "cases_dates",
            cases_url,
            f"opened_from={since}&opened_to={until}",
            lambda: cases_for(me, CaseFilters(opened_from=since, opened_to=until)).count(),
        ),
        ("incidents", incidents_url, "", lambda: incidents_for(me).count()),
        (
            "incidents_country",
            incidents_url,
            f"country={busy}",
            lambda: incidents_for(me, IncidentFilters(country=busy)).count(),
        ),
        (
            "incidents_violation",
            incidents_url,
            f"violation={parent.pk}",
            lambda: incidents_for(me, IncidentFilters(violation=parent)).count(),
        ),
        (
            "incidents_dates",
            incidents_url,
            f"date_from={since}&date_to={until}",
            lambda: incidents_for(me, IncidentFilters(date_from=since, date_to=until)).count(),
        ),
    ]


def bench_lists(cast: Any, data: dict[str, Any], figures: dict[str, Any]) -> None:
    from django.test import Client

    from salama.core.paging import COUNT_CAP
    from salama.core.testing import sign_in

    requests = env_int("SALAMA_BENCH_REQUESTS", 10)
    client = sign_in(Client(), cast.a_coordinator)
    plans = []
    for name, url, query, count in scenarios(cast, data):
        rows = count()
        # The lists offer pages up to the count cap (salama.core.paging): "deep" is 80% of those.
        pages = max(1, -(-min(rows, COUNT_CAP + 1) // 25))
        deep = max(1, int(pages * 0.8))
        figures[f"{name}_rows"] = rows
        for label, page in (("p1", 1), ("deep", deep)):
            full = f"{url}?{query}&page={page}" if query else f"{url}?page={page}"
            samples, size = timed(client, full, requests)
            p50, p95 = round(statistics.median(samples), 1), round(percentile(samples, 0.95), 1)
            figures[f"{name}_{label}_p50_ms"] = p50
            figures[f"{name}_{label}_p95_ms"] = p95
            log(f"{name} page {page}/{pages} ({rows} rows): p50 {p50} ms, p95 {p95} ms, {size} bytes")
            if p95 > TARGET_MS:
                plan = explain_slowest(client, full)
                plans.append(plan)
                log(f"  over target: plan of its slowest queries in results/{plans_file()}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / plans_file()).write_text(
        ("\n\n".join(plans) if plans else f"Every list scenario had p95 <= {TARGET_MS} ms.") + "\n"
    )


# Decryption through the model layer --------------------------------------------------------------


def bench_model_decryption(cast: Any, figures: dict[str, Any], count: int = 1_000) -> None:
    from django.db import transaction

    from salama.cases.models import Case
    from salama.core.encryption import reset_key_store

    started = time.perf_counter()
    ids = []
    with transaction.atomic():
        for n in range(count):
            case = Case(
                organization=cast.org_a,
                reference=f"ENC-{n:05d}",
                title=f"Encrypted {n}",
                summary="A summary of about two hundred bytes: " + "x" * 160,
            )
            case.save()  # a data key each, fsynced by the key store
            ids.append(case.pk)
    log(f"{count} encrypted cases saved in {time.perf_counter() - started:.1f}s")
    figures["model_encrypted_saves_per_s"] = round(count / (time.perf_counter() - started), 1)

    def read_all() -> float:
        start = time.perf_counter()
        cases = list(Case.objects.filter(pk__in=ids))
        total = sum(len(case.summary) for case in cases)
        assert total > 0 and len(cases) == count
        return time.perf_counter() - start

    reset_key_store()  # cold: every data key is read from the key store and unwrapped
    figures["model_decryptions_cold_per_s"] = round(count / read_all(), 1)
    figures["model_decryptions_warm_per_s"] = round(count / min(read_all() for _ in range(3)), 1)
    with transaction.atomic():
        Case.objects.filter(pk__in=ids).delete()  # shreds their keys on commit


# Import ------------------------------------------------------------------------------------------


def import_csv(rows: int) -> bytes:
    rng = random.Random(SEED + 3)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["external_id", "public_name", "country", "gender", "legal_name", "phone", "email", "private_notes"]
    )
    for n in range(rows):
        writer.writerow(
            [
                f"X{n:07d}",
                f"Imported {n}",
                rng.choice(["CO", "KE", "MX", "PH", "HN", "GT", "BR", "IN"]),
                rng.choice(["woman", "man", "unknown"]),
                f"Legal Name {n}",
                f"+57 300 {n:07d}",
                f"person{n}@example.org",
                "Notes " * rng.randrange(1, 20),
            ]
        )
    return out.getvalue().encode()


def bench_import(cast: Any, figures: dict[str, Any]) -> None:
    rows = env_int("SALAMA_BENCH_IMPORT_ROWS", 100_000)
    figures["import_rows"] = rows
    from salama.transfer import actions
    from salama.transfer.kinds import KINDS
    from salama.transfer.models import ImportBatch
    from salama.transfer.rows import auto_mapping

    try:
        actor = cast.membership("a_admin")
        content = import_csv(rows)
        started = time.perf_counter()
        batch = actions.do_upload(actor, "defenders", "bench.csv", content)
        batch = actions.do_set_mapping(actor, batch, auto_mapping(KINDS["defenders"], batch.table["headers"]))
        valid = sum(1 for result in actions.preview(batch) if not result.errors)
        ImportBatch.objects.filter(pk=batch.pk).update(state=ImportBatch.State.QUEUED, total=valid, done=0)
        prepared = time.perf_counter()
        log(f"import: {rows} rows uploaded, mapped and checked in {prepared - started:.1f}s ({valid} valid)")
        actions.run_import(str(batch.pk))
        finished = time.perf_counter()
        batch.refresh_from_db()
        if batch.state != ImportBatch.State.DONE or batch.created_count != rows:
            raise RuntimeError(f"import ended {batch.state} with {batch.created_count} of {rows} rows created")
        figures["import_rows_per_s"] = round(rows / (finished - started), 1)
        figures["import_write_rows_per_s"] = round(rows / (finished - prepared), 1)
        log(f"import: {rows} rows in {finished - started:.1f}s")
    except Exception as error:
        figures["import_rows_per_s"] = f"not available ({type(error).__name__}: {error})"
        log(f"import not available: {error!r}")


def import_only() -> dict[str, Any]:
    """The import figures alone, without generating the lists' volume: `python -m
    benchmarks.bench_records import`. They are written as import_alone_* into the database's
    result file, whose other figures stay as they are."""
    import json

    from django.db import connection

    from benchmarks.__main__ import machine, setup_django

    setup_django()
    from salama.vocab.actions import load_default_vocabularies

    cast = cast_members()
    load_default_vocabularies()
    figures: dict[str, Any] = {}
    bench_import(cast, figures)
    # Kept apart from the full run's figures (import_rows_per_s is the import into the loaded
    # database, after the lists): a figure of one kind never replaces one of the other.
    alone = {key.replace("import_", "import_alone_", 1): value for key, value in figures.items()}
    path = RESULTS / ("records.json" if connection.vendor == "sqlite" else f"records_{connection.vendor}.json")
    result = json.loads(path.read_text()) if path.exists() else {"machine": machine(), "figures": {}}
    result["figures"].update(alone)
    result["machine"]["import_alone_measured"] = f"{machine()['date']}, load average {os.getloadavg()[0]:.1f}"
    path.write_text(json.dumps(result, indent=2) + "\n")
    return figures


if __name__ == "__main__" and sys.argv[1:] == ["import"]:
    print(import_only())


# -------------------------------------------------------------------------------------------------


def run() -> dict[str, Any]:
    from django.db import connection

    from salama.core.startup import load_and_set_aside
    from salama.vocab.actions import load_default_vocabularies

    n_cases = env_int("SALAMA_BENCH_CASES", 100_000)
    n_incidents = env_int("SALAMA_BENCH_INCIDENTS", 1_000_000)
    figures: dict[str, Any] = {"database": connection.vendor, "cases": n_cases, "incidents": n_incidents}
    cast = cast_members()
    load_default_vocabularies()
    started = time.perf_counter()
    data = generate(cast, n_cases, n_incidents)
    analyse()
    figures["generation_s"] = round(time.perf_counter() - started, 1)
    log(f"generation and ANALYZE: {figures['generation_s']}s")
    # As `salama serve` does before its first request (salama.core.startup): the loaded code is
    # set aside from the cycle collector, and so are the generator's millions of objects, which
    # a server process does not hold. The collector's full passes during the timed requests then
    # walk what requests leave behind, as in a server. It stays so for the import: its upload
    # and checks run in the server process, and its writing sets aside what exists by itself
    # wherever it runs (salama.transfer.actions).
    load_and_set_aside()
    bench_lists(cast, data, figures)
    bench_model_decryption(cast, figures)
    bench_import(cast, figures)
    gc.unfreeze()
    return figures

"""The main aggregations of the analysis over a realistic volume of incidents, and the same
aggregations in DuckDB over a Parquet export of the same rows, as the practical ceiling.

Scale (environment variables):

    SALAMA_BENCH_ANALYTICS_INCIDENTS  incidents to generate (default 1000000)
    SALAMA_BENCH_ANALYTICS_REPEATS    timed runs of each aggregation (default 20)
    SALAMA_BENCH_ANALYTICS_LIVE_REPEATS  timed runs of each on the live path (default 3)

Data: `salama.analytics.generator.generate_incidents` for one organisation (the realistic
shapes the analysis must cope with: unconfirmed sectors, unknown perpetrators, multi-victim
events, late recording), written with executemany inserts (`salama.core.bulk.insert_rows`), then
ANALYZE.

Aggregations, each timed end to end through `salama.analytics.query.aggregate` on the active
database. They are answered from the monthly summary (salama.analytics.summary); the first read
builds it, timed apart as `summary_build_s`, and `summary_refresh_ms` is a read right after one
incident moved to another month and country (two months recomputed). The same aggregations on
the live path (straight from the incident tables, as without the summary) are timed too, fewer
times (`*_live_p95_ms`):

    year_country        incidents by year x country
    violation_rollup    incidents by violation type rolled up to the broadest terms
    violation_country   the cross-tab: incidents by rolled-up violation x country

The ceiling: the incidents, their acts and the violation roll-up are exported to Parquet
(pyarrow) and the same counts, with the same distinct totals (GROUPING SETS), run in DuckDB
in process. Both answers are compared cell by cell (`*_counts_agree`), so the ceiling is for
the same result. Ratios are p95(database) / p95(DuckDB).

Database: whatever settings are active, as in bench_records: SQLite by default (Django's test
database, in memory), PostgreSQL with DATABASE_URL. A PostgreSQL run is written to
results/analytics_postgresql.json, a SQLite run to results/analytics.json.

Targets (docs/analytics.md): p95 under 300 ms on PostgreSQL and under 1 s on SQLite.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# benchmarks/__main__.py names the result file after the database when this is set.
RESULT_PER_DATABASE = True
TARGET_MS = {"sqlite": 1000.0, "postgresql": 300.0}
CHUNK = 50_000


def log(message: str) -> None:
    print(f"[analytics] {message}", file=sys.stderr, flush=True)


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def timed(work: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    result = work()  # warm the caches once, untimed
    samples = []
    for _n in range(repeats):
        started = time.perf_counter()
        result = work()
        samples.append((time.perf_counter() - started) * 1000)
    return samples, result


# The database --------------------------------------------------------------------------------


AGGREGATIONS = {
    "year_country": ("year", "country"),
    "violation_rollup": ("violation", None),
    "violation_country": ("violation", "country"),
}


def database_aggregations(scope: Any) -> dict[str, Callable[[], Any]]:
    from salama.analytics.query import aggregate
    from salama.analytics.tables import INCIDENTS

    def one(rows: str, columns: str | None) -> Callable[[], Any]:
        return lambda: aggregate(scope, unit=INCIDENTS, rows=rows, columns=columns)

    return {name: one(rows, columns) for name, (rows, columns) in AGGREGATIONS.items()}


def live(work: Callable[[], Any]) -> Callable[[], Any]:
    """The same aggregation with the summary out of the way: counted from the incident tables."""
    from unittest.mock import patch

    def counted() -> Any:
        with patch("salama.analytics.summary.answer_from_summary", return_value=None):
            return work()

    return counted


def summary_figures(organization_id: Any, scope: Any) -> dict[str, float]:
    """The first build of the summary, then one read after a write that moves an incident."""
    from django.utils import timezone

    from salama.analytics.query import aggregate
    from salama.analytics.summary import refresh
    from salama.analytics.tables import INCIDENTS
    from salama.incidents.models import Incident

    started = time.perf_counter()
    refresh([organization_id])
    build_s = time.perf_counter() - started
    aggregate(scope, unit=INCIDENTS, rows="year", columns="country")  # warm, as the timed reads are
    moved = Incident.objects.filter(organization_id=organization_id).order_by("pk").values_list("pk", flat=True)[:1]
    # To a month and country of their own: two months of the summary to recompute.
    Incident.objects.filter(pk__in=list(moved)).update(date_start=timezone.now().date().replace(day=1), country="UY")
    started = time.perf_counter()
    aggregate(scope, unit=INCIDENTS, rows="year", columns="country")
    refresh_ms = (time.perf_counter() - started) * 1000
    return {"summary_build_s": round(build_s, 1), "summary_refresh_ms": round(refresh_ms, 1)}


def cells_of(table: Any) -> dict[tuple[str, str], int]:
    return {
        (row, column): table.counts[r][c]
        for r, row in enumerate(table.rows.keys)
        for c, column in enumerate(table.columns.keys)
        if table.counts[r][c]
    }


# The ceiling: Parquet and DuckDB -------------------------------------------------------------


def export_parquet(organization_id: Any, folder: Path) -> dict[str, int]:
    """The incidents, their acts and the violation roll-up as three Parquet files."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from salama.analytics.dimensions import dimension, term_level
    from salama.incidents.models import Act, Incident

    incidents = Incident.objects.filter(organization_id=organization_id).values_list("id", "date_start", "country")
    acts = Act.objects.filter(incident__organization_id=organization_id).values_list("incident_id", "violation_id")
    schemas = {
        "incidents": pa.schema([("id", pa.string()), ("date_start", pa.date32()), ("country", pa.string())]),
        "acts": pa.schema([("incident_id", pa.string()), ("violation_id", pa.int64())]),
    }
    written = {}
    for name, rows in (("incidents", incidents), ("acts", acts)):
        schema = schemas[name]
        count = 0
        with pq.ParquetWriter(folder / f"{name}.parquet", schema) as writer:
            batch: list[tuple[Any, ...]] = []
            for row in rows.iterator(chunk_size=CHUNK):
                batch.append(row)
                if len(batch) == CHUNK:
                    writer.write_table(_arrow(batch, schema))
                    count += len(batch)
                    batch = []
            if batch:
                writer.write_table(_arrow(batch, schema))
                count += len(batch)
        written[name] = count
    level = term_level("violation-types", dimension("violation").default_depth)
    rollup = pa.table(
        {
            "term_id": pa.array([int(pk) for pk in level.ancestor_of], pa.int64()),
            "code": pa.array(list(level.ancestor_of.values()), pa.string()),
        }
    )
    pq.write_table(rollup, folder / "rollup.parquet")
    return written


def _arrow(batch: list[tuple[Any, ...]], schema: Any) -> Any:
    import pyarrow as pa

    columns = list(zip(*batch, strict=True))
    arrays = []
    for values, column in zip(columns, schema, strict=True):
        if pa.types.is_string(column.type):
            values = [None if v is None else str(v) for v in values]
        arrays.append(pa.array(values, column.type))
    return pa.Table.from_arrays(arrays, schema=schema)


# The same counts as aggregate(): a missing country is "-", and each dimension's totals are the
# distinct incidents (an incident with two violations rolled up to one is counted once).
DUCKDB_QUERIES = {
    "year_country": """
        SELECT CAST(year(date_start) AS VARCHAR) AS r, coalesce(nullif(country, ''), '-') AS c, count(*) AS n
        FROM incidents GROUP BY GROUPING SETS ((r, c), (r), (c), ())
    """,
    "violation_rollup": """
        SELECT coalesce(rollup.code, '-') AS r, 'total' AS c, count(DISTINCT incidents.id) AS n
        FROM incidents LEFT JOIN acts ON acts.incident_id = incidents.id
        LEFT JOIN rollup ON rollup.term_id = acts.violation_id
        GROUP BY GROUPING SETS ((r, c), ())
    """,
    "violation_country": """
        SELECT coalesce(rollup.code, '-') AS r, coalesce(nullif(incidents.country, ''), '-') AS c,
               count(DISTINCT incidents.id) AS n
        FROM incidents LEFT JOIN acts ON acts.incident_id = incidents.id
        LEFT JOIN rollup ON rollup.term_id = acts.violation_id
        GROUP BY GROUPING SETS ((r, c), (r), (c), ())
    """,
}


def duckdb_aggregations(folder: Path) -> tuple[Any, dict[str, Callable[[], Any]]]:
    import duckdb

    connection = duckdb.connect()
    for name in ("incidents", "acts", "rollup"):
        # Views over the files: each run reads Parquet, as a columnar export would be read. DDL
        # takes no parameters; the names are ours and the path is our temporary folder, quoted.
        path = (folder / f"{name}.parquet").as_posix().replace("'", "''")
        connection.execute(f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{path}')")  # noqa: S608

    def one(sql: str) -> Callable[[], Any]:
        return lambda: connection.execute(sql).fetchall()

    return connection, {name: one(sql) for name, sql in DUCKDB_QUERIES.items()}


def duckdb_cells(rows: list[tuple[Any, Any, int]]) -> dict[tuple[str, str], int]:
    return {(str(r), str(c)): n for r, c, n in rows if r is not None and c is not None and n}


# The run -------------------------------------------------------------------------------------


def run() -> dict[str, Any]:
    from django.db import connection

    from salama.analytics.generator import generate_incidents
    from salama.analytics.scope import Scope
    from salama.orgs.models import Organization
    from salama.vocab.actions import load_default_vocabularies

    n_incidents = env_int("SALAMA_BENCH_ANALYTICS_INCIDENTS", 1_000_000)
    repeats = env_int("SALAMA_BENCH_ANALYTICS_REPEATS", 20)
    live_repeats = env_int("SALAMA_BENCH_ANALYTICS_LIVE_REPEATS", 3)
    vendor = connection.vendor
    figures: dict[str, Any] = {"database": vendor, "incidents": n_incidents, "repeats": repeats}
    run_started = time.perf_counter()
    load_default_vocabularies()
    organization, _created = Organization.objects.get_or_create(
        slug="bench-analytics", defaults={"name": "Analytics benchmark", "kind": "network", "country": "KE"}
    )
    started = time.perf_counter()
    generated = generate_incidents(organization, n_incidents)
    if vendor in {"sqlite", "postgresql"}:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    figures["generation_s"] = round(time.perf_counter() - started, 1)
    figures["victims"], figures["acts"] = generated.victims, generated.acts
    log(f"generated {n_incidents} incidents in {figures['generation_s']}s")

    # Before the export: the timed read after a write moves an incident.
    figures.update(summary_figures(organization.pk, Scope(frozenset({organization.pk}))))
    log(f"summary built in {figures['summary_build_s']}s; a read after a write {figures['summary_refresh_ms']} ms")

    with tempfile.TemporaryDirectory(prefix="salama-bench-parquet-") as folder:
        started = time.perf_counter()
        export_parquet(organization.pk, Path(folder))
        figures["parquet_export_s"] = round(time.perf_counter() - started, 1)
        figures["parquet_bytes"] = sum(path.stat().st_size for path in Path(folder).iterdir())
        duck, ceiling = duckdb_aggregations(Path(folder))
        scope = Scope(frozenset({organization.pk}))
        for name, work in database_aggregations(scope).items():
            samples, table = timed(work, repeats)
            live_samples, live_table = timed(live(work), live_repeats)
            figures[f"{name}_live_p95_ms"] = round(percentile(live_samples, 0.95), 1)
            figures[f"{name}_summary_agrees_with_live"] = table == live_table
            duck_samples, duck_rows = timed(ceiling[name], repeats)
            p95, duck_p95 = percentile(samples, 0.95), percentile(duck_samples, 0.95)
            figures[f"{name}_p95_ms"] = round(p95, 1)
            figures[f"{name}_p50_ms"] = round(percentile(samples, 0.5), 1)
            figures[f"{name}_duckdb_p95_ms"] = round(duck_p95, 2)
            figures[f"{name}_ratio"] = round(p95 / duck_p95, 1) if duck_p95 else "n/a"
            figures[f"{name}_counts_agree"] = cells_of(table) == duckdb_cells(
                [row for row in duck_rows if row[0] is not None and row[1] is not None]
            )
            target = TARGET_MS.get(vendor)
            if target is not None:
                figures[f"{name}_under_target"] = p95 < target
            log(f"{name}: p95 {p95:.1f} ms; DuckDB {duck_p95:.2f} ms")
        duck.close()
    figures["run_s"] = round(time.perf_counter() - run_started, 1)
    return figures

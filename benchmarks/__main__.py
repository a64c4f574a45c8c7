"""`make bench`: run every benchmarks/bench_*.py and write benchmarks/results/.

Each module has `run() -> dict[str, float | int | str]`. Results are written as JSON, one file
per benchmark, plus a markdown table with the machine and the date. Benchmarks report figures;
they never pass or fail.
"""

from __future__ import annotations

import importlib
import json
import os
import platform
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def machine() -> dict[str, str | int]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "cpus": os.cpu_count() or 0,
        "date": datetime.now(tz=UTC).isoformat(timespec="seconds"),
    }


def setup_django() -> None:
    os.environ.setdefault("SALAMA_DATA_DIR", tempfile.mkdtemp(prefix="salama-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salama.settings")
    import django
    from django.conf import settings

    django.setup()
    # Not django.test.utils.setup_test_environment: its instrumented template rendering (for
    # assertTemplateUsed) would be timed as if it were Salama's.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from django.db import connection

    connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)


def main(selected: list[str]) -> None:
    setup_django()
    RESULTS.mkdir(exist_ok=True)
    about = machine()
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem.removeprefix("bench_")
        if selected and name not in selected:
            continue
        module = importlib.import_module(f"benchmarks.{path.stem}")
        figures = module.run()
        # A benchmark that keeps one result per database (SQLite, PostgreSQL) says so.
        if getattr(module, "RESULT_PER_DATABASE", False) and figures.get("database") not in (None, "sqlite"):
            name = f"{name}_{figures['database']}"
        (RESULTS / f"{name}.json").write_text(json.dumps({"machine": about, "figures": figures}, indent=2) + "\n")
        print(f"{name}: {figures}")
    write_table(about)


def write_table(about: dict[str, str | int]) -> None:
    """The table lists every benchmark's latest figures, each with its own machine and date."""
    table = ["| benchmark | machine and date | figure | value |", "|---|---|---|---|"]
    for path in sorted(RESULTS.glob("*.json")):
        result = json.loads(path.read_text())
        if "figures" not in result:
            continue
        when = f"{result['machine']['cpus']} CPUs, {result['machine']['date'][:10]}"
        table += [f"| {path.stem} | {when} | {key} | {value} |" for key, value in result["figures"].items()]
    header = (
        f"# Benchmark results\n\nLatest run on {about['platform']}, {about['cpus']} CPUs, "
        f"Python {about['python']}, {about['date']}.\n\n"
    )
    (RESULTS / "README.md").write_text(header + "\n".join(table) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])

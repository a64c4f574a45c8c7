"""A real public dataset through the generic import, and the analysis reproducing its counts.

The Committee to Protect Journalists' record of journalists and media workers killed, 1992-2022
(tests/data/README.md), is uploaded with its own columns exactly as a person would: columns
chosen, the case given for the whole file, CPJ's spellings matched to Salama's vocabularies and
countries, then imported. The incidents-by-year-by-country table of the analysis must then be
the table counted straight from the CSV, cell for cell, and so must the murders by year.
"""

from __future__ import annotations

import csv
import dataclasses
from collections import Counter
from datetime import date
from pathlib import Path
from types import SimpleNamespace

from django_countries import countries

from salama.analytics.query import aggregate
from salama.analytics.scope import scope_for
from salama.cases.actions import do_open_case
from salama.defenders.actions import do_create_defender
from salama.incidents.models import VIOLATION_TYPES, Incident
from salama.transfer import actions
from salama.transfer.actions import run_import
from salama.transfer.incident_import import INCIDENTS
from salama.transfer.models import ImportBatch
from salama.transfer.rows import unknown_values
from salama.vocab.actions import sync_vocabularies
from salama.vocab.defaults import SOURCE, read_defaults
from salama.vocab.specs import TermSpec

DATA = Path(__file__).parent / "data" / "cpj_killed_1992_2022.csv"
ROWS = 2163

# CPJ's country names that are not the ISO short names, matched by hand. "Israel and the
# Occupied Palestinian Territory" is one CPJ category; every place it records under it here is
# in Gaza or the West Bank, hence Palestine. "Yugoslavia" no longer exists: its rows (Belgrade,
# central Serbia, Kosovo, 1999-2001) go to Serbia, the continuing state.
CPJ_COUNTRIES = {
    "Bosnia": "BA",
    "East Timor": "TL",
    "Israel and the Occupied Palestinian Territory": "PS",
    "Ivory Coast": "CI",
    "Republic of Congo": "CG",
    "UK": "GB",
    "USA": "US",
    "Yugoslavia": "RS",
}
# The two that name no single country: a person decides, in the terms step.
DECIDED_COUNTRIES = {"Israel and the Occupied Palestinian Territory": "PS", "Yugoslavia": "RS"}

# CPJ's type of death, under the violation "Killing". The shipped vocabulary has no narrower
# terms for it, so the network adds CPJ's three (a vocabulary is data); a death whose motive CPJ
# has not confirmed ("N/A") or that it could not classify ("Unknown") is a killing, no more.
NARROWER_KILLINGS = {
    "killing-murder": "Murder",
    "killing-crossfire": "Killed in crossfire",
    "killing-dangerous-assignment": "Killed on a dangerous assignment",
}
DEATHS = {
    "Murder": "killing-murder",
    "Crossfire": "killing-crossfire",
    "Dangerous Assignment": "killing-dangerous-assignment",
    "N/A": "killing",
    "Unknown": "killing",
}
SOURCES_OF_FIRE = {
    "Political Group": "armed-groups",
    "Military Officials": "military",
    "Government Officials": "government-officials",
    "Criminal Group": "criminal-organisations",
    "Paramilitary Group": "paramilitary",
    "Local Residents": "private-individuals",
    "Mob Violence": "private-individuals",
    "Unknown Fire": "unknown",
}


def cpj_rows() -> list[dict[str, str]]:
    with DATA.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def iso(name: str) -> str:
    """Counted independently of the import's own matching: django-countries' English names,
    and the hand-made table above."""
    code = CPJ_COUNTRIES.get(name) or countries.by_name(name)
    assert code, name
    return str(code)


def add_cpj_killings() -> None:
    specs = []
    for spec in read_defaults():
        if spec.code == VIOLATION_TYPES:
            extra = [TermSpec(code, {"en": label}, parent="killing") for code, label in NARROWER_KILLINGS.items()]
            spec = dataclasses.replace(spec, terms=[*spec.terms, *extra])
        specs.append(spec)
    sync_vocabularies(SOURCE, specs)


def import_cpj(cast) -> SimpleNamespace:
    """The whole file, uploaded and imported as an administrator of organisation A would."""
    add_cpj_killings()
    admin = cast.membership("a_admin")
    record = do_create_defender(admin, public_name="Journalists and media workers (CPJ)")
    case = do_open_case(admin, title="Journalists and media workers killed, 1992-2022", defenders=[record])
    batch = actions.do_upload(admin, "incidents", DATA.name, DATA.read_bytes())
    mapping = {
        "date_start": "year",
        "country": "country",
        "violation_types": "typeOfDeath",
        "perpetrator_types": "sourcesOfFire",
    }
    fixed = {"case": case.reference, "title": "Journalist or media worker killed"}
    batch = actions.do_set_mapping(admin, batch, mapping, fixed=fixed)
    unknown = unknown_values(INCIDENTS, batch.table, batch.mapping, batch.fixed)
    choices = {"country": DECIDED_COUNTRIES, "violation_types": DEATHS, "perpetrator_types": SOURCES_OF_FIRE}
    batch = actions.do_set_vocab_map(admin, batch, choices)
    preview = actions.preview(batch)
    assert actions.do_start_import(admin, batch)  # above the threshold: a background job
    run_import(str(batch.pk))
    return SimpleNamespace(admin=admin, case=case, batch=batch, unknown=unknown, preview=preview)


def test_the_fixture_is_the_whole_cpj_file():
    rows = cpj_rows()
    assert len(rows) == ROWS
    assert list(rows[0]) == [
        "year",
        "combinedStatus",
        "type",
        "typeOfDeath",
        "country",
        "localOrForeign",
        "sourcesOfFire",
        "motiveConfirmed",
        "gender",
        "coverage",
    ]
    years = Counter(int(row["year"]) for row in rows)
    assert min(years) == 1992 and max(years) == 2022
    assert years[2007] == 113 and years[1992] == 56


def check_only_the_undecidable_values_are_left_to_a_person(world):
    # "Murder" and "Government Officials" are labels of terms already, "Unknown" a code; comma
    # lists ("Criminal Group,Political Group") are split into their terms.
    assert world.unknown == {
        "country": sorted(DECIDED_COUNTRIES, key=str.casefold),
        "violation_types": ["Crossfire", "Dangerous Assignment", "N/A", "Unknown"],
        "perpetrator_types": sorted(set(SOURCES_OF_FIRE) - {"Government Officials"}, key=str.casefold),
    }


def check_every_row_imports_dated_to_its_year(world):
    assert [result.errors for result in world.preview if result.errors] == []
    batch = ImportBatch.objects.get(pk=world.batch.pk)
    assert (batch.state, batch.created_count, batch.skipped_count) == (ImportBatch.State.DONE, ROWS, 0)
    incidents = Incident.objects.filter(case=world.case)
    assert incidents.count() == ROWS
    assert set(incidents.values_list("date_precision", flat=True)) == {Incident.Precision.YEAR}
    assert {(d.month, d.day) for d in incidents.values_list("date_start", flat=True)} == {(1, 1)}


def check_incidents_by_year_and_country(world):
    expected = Counter((row["year"], iso(row["country"])) for row in cpj_rows())
    table = aggregate(scope_for(world.admin), unit="incidents", rows="year", columns="country")
    cells = {
        (year, country): table.counts[r][c]
        for r, year in enumerate(table.rows.keys)
        for c, country in enumerate(table.columns.keys)
        if table.counts[r][c]
    }
    assert cells == dict(expected)
    by_year = Counter(year for year, _country in expected.elements())
    by_country = Counter(country for _year, country in expected.elements())
    assert dict(zip(table.rows.keys, table.row_totals, strict=True)) == dict(by_year)
    assert dict(zip(table.columns.keys, table.column_totals, strict=True)) == dict(by_country)
    assert table.total == ROWS
    assert "-" not in table.columns.keys  # every row has a country once the two decisions are made


def check_murders_by_year(world):
    murders = Counter(row["year"] for row in cpj_rows() if row["typeOfDeath"] == "Murder")
    table = aggregate(scope_for(world.admin), unit="incidents", rows="year", columns="violation", depth=1)
    murder = table.columns.keys.index("killing-murder")
    counted = {year: table.counts[r][murder] for r, year in enumerate(table.rows.keys) if table.counts[r][murder]}
    assert counted == dict(murders)
    assert sum(murders.values()) == 924
    # Rolled up to the broadest terms, every incident is a killing.
    broad = aggregate(scope_for(world.admin), unit="incidents", rows="violation", depth=0)
    counted_broad = {key: n for key, n in zip(broad.rows.keys, broad.row_totals, strict=True) if n}
    assert counted_broad == {"killing": ROWS}


def test_the_analysis_reproduces_cpjs_counts(cast):
    """One import of the whole file (some 2,000 incidents), then every check on it."""
    world = import_cpj(cast)
    check_only_the_undecidable_values_are_left_to_a_person(world)
    check_every_row_imports_dated_to_its_year(world)
    check_incidents_by_year_and_country(world)
    check_murders_by_year(world)
    first = Incident.objects.filter(case=world.case).order_by("date_start").first()
    assert first is not None and first.date_start == date(1992, 1, 1)

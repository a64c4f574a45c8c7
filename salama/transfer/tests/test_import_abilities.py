"""What real datasets need from the import: a value for every row where the file has no column
(the case a whole file belongs to), countries as published datasets spell them, terms separated
by commas, and dates that are only a year."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from salama.cases.actions import do_open_case
from salama.defenders.actions import do_create_defender
from salama.incidents.models import Incident
from salama.transfer import actions
from salama.transfer.countries import country_code
from salama.transfer.incident_import import INCIDENTS
from salama.transfer.models import ImportBatch
from salama.transfer.rows import EMPTY, unknown_values
from salama.vocab.actions import load_default_vocabularies

from .test_incident_import import make_csv, upload, url

HEADER = ["year", "where", "what", "who"]


@pytest.fixture
def world(cast):
    load_default_vocabularies()
    admin = cast.membership("a_admin")
    ana = do_create_defender(admin, public_name="Ana")
    one = do_open_case(admin, title="One", defenders=[ana])
    two = do_open_case(admin, title="Two", defenders=[ana])
    return SimpleNamespace(one=one, two=two)


def uploaded(cast, rows, header=HEADER):
    admin = cast.membership("a_admin")
    return admin, actions.do_upload(admin, "incidents", "dataset.csv", make_csv(rows, header))


def mapped(admin, batch, fixed, **mapping):
    columns = {"date_start": "year", "country": "where", "violation_types": "what", **mapping}
    return actions.do_set_mapping(admin, batch, columns, fixed=fixed)


def test_a_file_without_case_or_title_columns_takes_one_for_every_row(cast, world):
    admin, batch = uploaded(cast, [["2006", "Iraq", "Killing", ""], ["1994", "Rwanda", "killing", ""]])
    fixed = {"case": world.one.reference, "title": "Journalist killed", "narrative": "not given so", "external_id": "x"}
    batch = mapped(admin, batch, fixed)
    # Protected fields and identifiers never take one value for a whole file.
    assert batch.fixed == {"case": world.one.reference, "title": "Journalist killed"}
    assert [result.errors for result in actions.preview(batch)] == [[], []]
    actions.do_start_import(admin, batch)
    incidents = Incident.objects.order_by("date_start")
    assert [(i.case_id, i.title, i.country) for i in incidents] == [
        (world.one.pk, "Journalist killed", "RW"),
        (world.one.pk, "Journalist killed", "IQ"),
    ]
    # A column holding only a year dates the incident to that year.
    assert [(i.date_start, i.date_precision) for i in incidents] == [
        (date(1994, 1, 1), Incident.Precision.YEAR),
        (date(2006, 1, 1), Incident.Precision.YEAR),
    ]


def test_a_column_wins_over_the_value_for_every_row(cast, world):
    header = [*HEADER, "case"]
    admin, batch = uploaded(cast, [["2006", "Iraq", "killing", "", world.two.reference]], header)
    batch = mapped(admin, batch, {"case": world.one.reference, "title": "Killed"}, case="case")
    assert batch.fixed == {"title": "Killed"}
    [result] = actions.preview(batch)
    assert result.values["case"] == world.two


def test_countries_as_datasets_spell_them(cast, world):
    assert [country_code(name) for name in ("Ivory Coast", "UK", "Bosnia", "East Timor", "Republic of Congo")] == [
        "CI",
        "GB",
        "BA",
        "TL",
        "CG",
    ]
    assert [country_code(name) for name in ("COL", "co", " Colombia ", "Côte d\u2019Ivoire", "Kenia")] == [
        "CO",
        "CO",
        "CO",
        "CI",
        "KE",  # Spanish
    ]
    # Names that no longer denote one country are left to a person.
    assert country_code("Yugoslavia") is None


def test_an_unknown_country_is_matched_by_a_person_or_left_empty(cast, world):
    rows = [["1999", "Yugoslavia", "killing", ""], ["2001", "Ivory Coast", "killing", ""], ["2002", "Atlantis", "", ""]]
    admin, batch = uploaded(cast, rows)
    batch = mapped(admin, batch, {"case": world.one.reference, "title": "Killed"})
    assert unknown_values(INCIDENTS, batch.table, batch.mapping, batch.fixed)["country"] == ["Atlantis", "Yugoslavia"]
    first, second, third = actions.preview(batch)
    assert "not a known country" in first.errors[0] and second.errors == []
    batch = actions.do_set_vocab_map(admin, batch, {"country": {"Yugoslavia": "RS", "Atlantis": EMPTY}})
    first, second, third = actions.preview(batch)
    assert (first.values["country"], second.values["country"], third.values["country"]) == ("RS", "CI", "")
    assert first.errors == [] and third.errors == ["Violation types is missing."]


def test_terms_separated_by_commas_are_read_one_by_one(cast, world):
    rows = [["2011", "Syria", "killing", "Police,Military"], ["2012", "Syria", "killing", "Police, Rebels"]]
    admin, batch = uploaded(cast, rows)
    batch = mapped(admin, batch, {"case": world.one.reference, "title": "Killed"}, perpetrator_types="who")
    assert unknown_values(INCIDENTS, batch.table, batch.mapping, batch.fixed) == {"perpetrator_types": ["Rebels"]}
    batch = actions.do_set_vocab_map(admin, batch, {"perpetrator_types": {"Rebels": "armed-groups"}})
    first, second = actions.preview(batch)
    assert first.values["perpetrator_types"] == ["military", "police"]
    assert second.values["perpetrator_types"] == ["armed-groups", "police"]


def test_the_mapping_page_takes_a_value_for_every_row(cast, as_user, world):
    client = as_user(cast.a_admin)
    assert upload(client, make_csv([["2006", "Iraq", "killing", ""]], HEADER)).status_code == 302
    batch = ImportBatch.objects.latest("created_at")
    page = client.get(url("import_mapping", batch_id=batch.pk))
    assert "fixed_case" in page.context["form"].fields and "fixed_narrative" not in page.context["form"].fields
    choices = {"field_date_start": "year", "field_country": "where", "field_violation_types": "what"}
    missing = client.post(url("import_mapping", batch_id=batch.pk), {**choices, "fixed_title": "Killed"})
    assert missing.status_code == 400
    assert "Choose a column or give a value for every row." in missing.content.decode()
    given = {**choices, "fixed_title": "Killed", "fixed_case": world.one.reference}
    assert client.post(url("import_mapping", batch_id=batch.pk), given).status_code == 302
    batch.refresh_from_db()
    assert batch.fixed == {"case": world.one.reference, "title": "Killed"}
    # The form shows the values again when the page is opened anew.
    assert client.get(url("import_mapping", batch_id=batch.pk)).context["form"].initial["fixed_case"] == (
        world.one.reference
    )

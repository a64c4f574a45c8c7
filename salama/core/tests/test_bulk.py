"""insert_rows writes what bulk_create writes, in one prepared statement."""

from __future__ import annotations

import pytest

from salama.core.bulk import insert_rows
from salama.core.encryption import create_many
from salama.defenders.models import Defender
from salama.transfer.models import SavedMapping


def test_new_encrypted_records_are_sealed_indexed_and_marked_saved(cast) -> None:
    org = cast.org_a
    made = create_many(
        Defender,
        [Defender(organization=org, public_name=f"P{n}", phone=f"+57 300 {n:07d}", aliases=["x"]) for n in range(3)],
    )
    assert all(not defender._state.adding and defender._state.db == "default" for defender in made)
    assert all("_made_data_key" not in defender.__dict__ for defender in made)
    stored = {defender.pk: defender for defender in Defender.objects.filter(pk__in=[d.pk for d in made])}
    for n, defender in enumerate(made):
        again = stored[defender.pk]
        assert again.phone == f"+57 300 {n:07d}" and again.aliases == ["x"] and again.record_version == 1
        assert again.phone_bidx is not None and again.data_key_id == defender.data_key_id


def test_automatic_timestamps_are_one_moment_and_countries_their_code(cast) -> None:
    """As bulk_create stores them, but the rows of one insert share their `updated_at`."""
    from django.utils import timezone

    before = timezone.now()
    made = create_many(
        Defender,
        [Defender(organization=cast.org_a, public_name=f"P{n}", country=("CO", "", "ke")[n]) for n in range(3)],
    )
    stored = list(Defender.objects.filter(pk__in=[d.pk for d in made]).order_by("public_name"))
    assert [str(defender.country) for defender in stored] == ["CO", "", "KE"]
    moments = {defender.updated_at for defender in stored}
    assert len(moments) == 1 and moments.pop() >= before
    assert [defender.updated_at for defender in made] == [stored[0].updated_at] * 3


def test_an_automatic_primary_key_is_left_to_the_database(cast) -> None:
    rows = [SavedMapping(organization=cast.org_a, kind="defenders", name=f"m{n}", mapping={"a": "b"}) for n in range(2)]
    insert_rows(SavedMapping, rows)
    assert sorted(SavedMapping.objects.values_list("name", flat=True)) == ["m0", "m1"]
    assert SavedMapping.objects.get(name="m1").mapping == {"a": "b"}


def test_some_primary_keys_set_and_some_not_is_refused(cast) -> None:
    rows = [SavedMapping(organization=cast.org_a, kind="defenders", name="a"), SavedMapping(pk=99, name="b")]
    with pytest.raises(ValueError):
        insert_rows(SavedMapping, rows)


def test_each_distinct_value_is_converted_once() -> None:
    from datetime import UTC, datetime

    from django.db import connection, models

    from salama.core.bulk import preparer

    field = models.DateTimeField()
    calls = []

    def convert(value, connection):
        calls.append(value)
        return models.DateTimeField.get_db_prep_save(field, value, connection)

    field.get_db_prep_save = convert  # type: ignore[method-assign]
    prepare = preparer(field, connection)
    first, second = datetime(2026, 1, 2, 3, 4, tzinfo=UTC), datetime(2026, 5, 6, 7, 8, tzinfo=UTC)
    prepared = [prepare(value) for value in (first, first, second, first)]
    assert calls == [first, second]
    direct = [models.DateTimeField().get_db_prep_save(value, connection) for value in (first, first, second, first)]
    assert prepared == direct


def test_equal_values_of_different_kinds_are_converted_apart() -> None:
    from django.db import connection, models

    from salama.core.bulk import preparer

    prepare = preparer(models.CharField(max_length=10), connection)
    # 1 == True, but a text column stores them as "1" and "True".
    assert [prepare(1), prepare(True), prepare(1)] == ["1", "True", "1"]

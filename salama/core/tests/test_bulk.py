"""insert_rows writes what bulk_create writes, in one prepared statement; insert_values and
create_many_values write rows given as values."""

from __future__ import annotations

import pytest
from django.utils import timezone

from salama.core.bulk import insert_rows
from salama.defenders.models import Defender
from salama.transfer.models import SavedMapping


def test_automatic_timestamps_are_one_moment_and_countries_their_code(cast) -> None:
    """As bulk_create stores them, but the rows of one insert share their `updated_at`."""
    before = timezone.now()
    # Nothing to seal (every protected field empty), so no data key is needed.
    made = [Defender(organization=cast.org_a, public_name=f"P{n}", country=("CO", "", "ke")[n]) for n in range(3)]
    insert_rows(Defender, made)
    assert all(not defender._state.adding and defender._state.db == "default" for defender in made)
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


def test_records_given_as_values_are_sealed_indexed_and_opened_like_saved_ones(cast) -> None:
    """create_many_values seals in the same places as a save: the model opens each value, and a
    blind index finds it, so the rows cannot be told from records created one by one."""
    from salama.core.encryption import blind_search, create_many_values

    org = cast.org_a
    before = timezone.now()
    ids = create_many_values(
        Defender,
        org.pk,
        ("public_name", "phone", "aliases", "legal_name"),
        [(f"V{n}", f"+57 300 {n:07d}", [f"alias {n}"], "" if n else "Ana María") for n in range(3)],
        created_by_id=cast.a_admin.pk,
        created_at=before,
    )
    stored = {defender.pk: defender for defender in Defender.objects.filter(pk__in=ids)}
    assert list(stored) and set(stored) == set(ids)
    for n, pk in enumerate(ids):
        defender = stored[pk]
        assert (defender.public_name, defender.phone, defender.aliases) == (f"V{n}", f"+57 300 {n:07d}", [f"alias {n}"])
        assert defender.record_version == 1 and defender.created_by_id == cast.a_admin.pk
        assert defender.updated_at >= before and defender.gender == Defender.Gender.UNKNOWN
    assert len({defender.data_key_id for defender in stored.values()}) == 3
    assert stored[ids[0]].legal_name == "Ana María" and stored[ids[1]].legal_name == ""
    assert stored[ids[1]].legal_name_bidx is None and stored[ids[1]].phone_bidx is not None
    found = blind_search(Defender.objects.all(), org.pk, "phone", "+57 (300) 000-0002")
    assert [defender.pk for defender in found] == [ids[2]]
    raw = Defender.objects.filter(pk=ids[0]).values_list("phone", flat=True).get()
    assert raw.startswith("v1.") and "300" not in raw
    # Saved again, a record made from values moves on to version 2 like any other.
    defender = stored[ids[0]]
    defender.phone = "+57 311 0000000"
    defender.save()
    assert Defender.objects.get(pk=ids[0]).phone == "+57 311 0000000"


def test_an_encrypted_constant_is_refused_since_each_record_seals_its_own(cast) -> None:
    from salama.core.encryption import create_many_values

    with pytest.raises(ValueError):
        create_many_values(Defender, cast.org_a.pk, ("public_name",), [("P",)], private_notes="shared secret")
    assert not Defender.objects.filter(public_name="P").exists()


def test_an_encoded_json_document_is_stored_as_it_is(cast) -> None:
    from salama.core.bulk import JSONText, insert_values

    insert_values(
        SavedMapping,
        ("name", "mapping"),
        [("encoded", JSONText('{"b":[1,true,null],"a":"ñ"}')), ("plain", {"a": "x"})],
        organization_id=cast.org_a.pk,
        kind="defenders",
    )
    stored = dict(SavedMapping.objects.values_list("name", "mapping"))
    assert stored == {"encoded": {"b": [1, True, None], "a": "ñ"}, "plain": {"a": "x"}}
    assert SavedMapping.objects.filter(mapping__b__1=True).count() == 1
    # An automatic timestamp left out is the statement's moment, not NULL.
    assert len(set(SavedMapping.objects.values_list("updated_at", flat=True))) == 1


def test_a_document_encoded_by_jsontext_reads_back_as_the_field_would_store_it(cast) -> None:
    from salama.core.bulk import JSONText, insert_values

    document = {"legal_name": {"old": None, "new": 'Zoë "Z" O\'Neil'}, "sectors": ["land", "women"], "n": 0}
    insert_values(
        SavedMapping,
        ("name", "mapping"),
        [("encoded", JSONText.of(document)), ("plain", document)],
        organization_id=cast.org_a.pk,
        kind="defenders",
    )
    stored = dict(SavedMapping.objects.values_list("name", "mapping"))
    assert stored["encoded"] == stored["plain"] == document


def test_ready_columns_skip_the_conversion_the_other_columns_still_get(cast, monkeypatch) -> None:
    from salama.core.bulk import insert_values

    converted: list[tuple[str, object]] = []
    for name in ("name", "mapping"):
        field = SavedMapping._meta.get_field(name)
        convert = field.get_db_prep_save

        def spy(value, connection, name=name, convert=convert):
            converted.append((name, value))
            return convert(value, connection)

        monkeypatch.setattr(field, "get_db_prep_save", spy)

    def insert(names, ready):
        rows = [(f"{names} {n}", {"n": n}) for n in range(3)]
        insert_values(SavedMapping, ("name", "mapping"), rows, ready=ready, organization_id=cast.org_a.pk, kind="x")

    insert("given", ready=("name",))
    assert [name for name, _value in converted] == ["mapping"] * 3
    converted.clear()
    insert("converted", ready=())
    assert sorted(name for name, _value in converted) == ["mapping"] * 3 + ["name"] * 3
    stored = dict(SavedMapping.objects.filter(organization=cast.org_a).values_list("name", "mapping"))
    assert stored == {f"{names} {n}": {"n": n} for names in ("given", "converted") for n in range(3)}


def test_a_ready_column_that_is_not_given_is_refused(cast) -> None:
    from salama.core.bulk import insert_values

    with pytest.raises(ValueError, match="nmae"):
        insert_values(SavedMapping, ("name",), [("x",)], ready=("nmae",), organization_id=cast.org_a.pk, kind="x")
    assert not SavedMapping.objects.filter(name="x").exists()

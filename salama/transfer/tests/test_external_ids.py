"""Looking up a file's external ids among the organisation's records."""

from __future__ import annotations

import pytest
from django.db import connection

from salama.defenders.actions import do_create_defender
from salama.defenders.models import Defender
from salama.transfer.rows import with_external_ids


def test_external_ids_are_found_in_the_organisation_and_empty_ones_match_nothing(cast) -> None:
    admin = cast.membership("a_admin")
    do_create_defender(admin, public_name="Ana", external_id="ext-1")
    do_create_defender(admin, public_name="Bo")  # no external id
    do_create_defender(cast.membership("b_admin"), public_name="Cy", external_id="ext-2")
    found = with_external_ids(Defender.objects.filter(organization=cast.org_a), ["ext-1", "ext-2", "", "nope"])
    assert [defender.public_name for defender in found] == ["Ana"]


@pytest.mark.skipif(connection.vendor != "sqlite", reason="PostgreSQL may rightly scan a table this small")
def test_external_ids_are_looked_up_in_their_unique_index(cast) -> None:
    ids = [f"x-{n}" for n in range(500)]
    lookup = with_external_ids(Defender.objects.filter(organization=cast.org_a), ids)
    assert "USING INDEX defender_external_id_unique_in_org" in lookup.explain()
    # Without the condition the index is written with, SQLite reads the organisation's records:
    # what makes the assertion above depend on the helper.
    plain = Defender.objects.filter(organization=cast.org_a, external_id__in=ids)
    assert "defender_external_id_unique_in_org" not in plain.explain()

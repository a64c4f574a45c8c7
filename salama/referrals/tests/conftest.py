"""The cast, a defender on a case with an incident, the UN Special Rapporteur and a fixed clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import time_machine

from salama.delivery.tests.conftest import fresh_state  # noqa: F401  fixture

START = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> Iterator[Any]:
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def admin(cast: Any) -> Any:
    return cast.membership("a_admin")


@pytest.fixture
def caseworker(cast: Any) -> Any:
    return cast.membership("a_caseworker_team")


@pytest.fixture
def un_sr(db: None) -> Any:
    from salama.directory.models import ProtectionActor

    actor, _created = ProtectionActor.objects.get_or_create(
        slug="un-sr-hrd",
        defaults={
            "name": "UN Special Rapporteur on the situation of human rights defenders",
            "kind": ProtectionActor.Kind.MECHANISM,
        },
    )
    return actor


@pytest.fixture
def defender(cast: Any, admin: Any) -> Any:
    from salama.defenders.actions import do_create_defender

    return do_create_defender(
        admin,
        public_name="Lucía P.",
        legal_name="Lucía Pérez Quintero",
        email="lucia@example.org",
        phone="+57 300 123 4567",
        country="CO",
    )


@pytest.fixture
def case(cast: Any, admin: Any, defender: Any) -> Any:
    from salama.cases.actions import do_add_team_member, do_open_case

    opened = do_open_case(admin, title="Río Verde", defenders=[defender])
    do_add_team_member(admin, opened, cast.a_caseworker_team)
    return opened


@pytest.fixture
def incident(admin: Any, case: Any, defender: Any) -> Any:
    from salama.incidents.actions import do_record_incident
    from salama.vocab.actions import load_default_vocabularies
    from salama.vocab.models import Term

    load_default_vocabularies()
    violation = Term.objects.get(vocabulary__code="violation-types", code="death-threats")
    police = Term.objects.get(vocabulary__code="perpetrator-types", code="police")
    return do_record_incident(
        admin,
        case,
        title="Threats after the land hearing",
        date_start=date(2026, 3, 14),
        place="Popayán",
        narrative="Two men on a motorbike threatened her outside the court house.",
        relation_to_work="She represents the community of Río Verde in a land restitution claim.",
        acts=[{"violation": violation}],
        victims=[{"defender": defender}],
        perpetrators=[{"type": police, "named_actor": "Lieutenant Gómez"}],
    )


@pytest.fixture
def share_consent(admin: Any, defender: Any, un_sr: Any) -> Any:
    from salama.defenders.actions import do_record_consent

    return do_record_consent(
        admin, defender, scope="share_with_mechanism", mechanism="un-sr-hrd", given_on=date(2026, 3, 20)
    )


@pytest.fixture
def referral(caseworker: Any, case: Any, defender: Any, un_sr: Any) -> Any:
    from salama.referrals.actions import do_create_referral

    return do_create_referral(caseworker, case, to=un_sr, defenders=[defender])

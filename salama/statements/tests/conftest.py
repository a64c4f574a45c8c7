"""A third organisation for the sign-on tests, a case with a named defender, and shortcuts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from salama.core.permissions import Role
from salama.core.testing import make_person
from salama.orgs.models import Membership, Organization

DEADLINE = datetime(2031, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def org_c(cast: Any) -> Organization:
    """Org C (an international NGO) with an admin and a caseworker."""
    org = Organization.objects.create(name="Org C", slug="org-c", kind="international_ngo", country="FR")
    for key, role in (("admin", Role.ADMIN), ("caseworker", Role.CASEWORKER)):
        person = make_person(f"c-{key}@example.org", f"C {key}")
        Membership.objects.create(user=person, organization=org, role=role)
        cast.people[f"c_{key}"] = person
    return org


@pytest.fixture
def named_case(cast: Any) -> Any:
    """A case of org A about a defender with a public name, and no consent recorded yet."""
    from salama.cases.actions import do_open_case
    from salama.defenders.actions import do_create_defender

    admin = cast.membership("a_admin")
    defender = do_create_defender(admin, public_name="Ana Ríos", legal_name="Ana María Ríos")
    return do_open_case(admin, title="Río Verde", defenders=[defender], summary="Threatened for her land work")


def consent_to_be_named(cast: Any, defender: Any) -> Any:
    from salama.defenders.actions import do_record_consent

    return do_record_consent(cast.membership("a_admin"), defender, scope="named_publicly", given_on=date(2024, 1, 1))

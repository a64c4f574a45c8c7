"""Fixtures shared by the evidence tests: a private media root and a case with a known team."""

from __future__ import annotations

import pytest

from salama.cases.actions import do_add_team_member, do_open_case, do_remove_team_member
from salama.defenders.actions import do_create_defender


@pytest.fixture(autouse=True)
def media(settings, tmp_path):  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(cast):  # type: ignore[no-untyped-def]
    admin = cast.membership("a_admin")
    defender = do_create_defender(admin, public_name="Defender")
    case = do_open_case(admin, title="Evidence case", defenders=[defender])
    do_add_team_member(admin, case, cast.a_caseworker_team)
    do_remove_team_member(admin, case, cast.a_admin)
    return case

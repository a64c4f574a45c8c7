"""Fixtures for responses: vocabularies, the directory, a case in org A with a team."""

from __future__ import annotations

from typing import Any

import pytest

from salama.cases.actions import do_add_team_member, do_open_case
from salama.defenders.actions import do_create_defender


@pytest.fixture
def vocab(db: None) -> None:
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()


@pytest.fixture
def actors(db: None) -> None:
    from salama.directory.data import load_actors

    load_actors()


def open_case(
    cast: Any, org: str = "a", *, title: str = "Operación Colibrí", country: str = "CO", **defender: Any
) -> Any:
    """A case opened by the org's coordinator, with its team caseworker on the team."""
    coordinator = cast.membership(f"{org}_coordinator")
    person = do_create_defender(coordinator, **{"public_name": "La Profe", "country": country, **defender})
    case = do_open_case(coordinator, title=title, defenders=[person])
    do_add_team_member(coordinator, case, cast.people[f"{org}_caseworker_team"])
    return case


@pytest.fixture
def case(cast: Any, vocab: None, actors: None) -> Any:
    return open_case(cast)

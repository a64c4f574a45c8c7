"""The demo network carries one open joint statement, signed by a second organisation."""

from __future__ import annotations

from salama.core.demo import load_demo_network
from salama.statements.access import signatures_of
from salama.statements.models import Invitation, JointStatement


def test_the_demo_has_an_open_statement_co_signed_once_however_often_it_loads(db):
    load_demo_network()
    load_demo_network()
    statement = JointStatement.objects.get()
    assert statement.status == JointStatement.Status.OPEN
    assert [s.display_name for s in signatures_of(statement)] == ["Tierra Digna", "Shield International"]
    answers = dict(Invitation.objects.values_list("organization__slug", "status"))
    assert answers == {"shield-international": "signed", "defenders-law-kenya": "invited"}

"""A small network whose counts are known by hand, for the aggregation core's tests.

Organisation A, three incidents:
  I1 2023-05-10 CO: victims V1 (defender D1: woman; land, indigenous; injured) and V2 (D2: man;
     journalism); acts attempted killing (V1), death threats (V2), physical attack (V1);
     perpetrators police and paramilitary; a likely reliable source.
  I2 2024-02-01 KE: V3, not a defender on record, no status; act criminal charges (V3);
     perpetrator judiciary; an uncertain source.
  I3 2024-11-20, no country: V4 (D1 again, detained); act surveillance with no victim;
     perpetrator unknown; a source of unknown reliability.
Organisation B, one incident: I4 2024-03-03 CO: its own defender, killing, military.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from salama.cases.actions import do_open_case
from salama.defenders.actions import do_create_defender
from salama.incidents.actions import do_record_incident
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term


def term(vocabulary: str, code: str) -> Term:
    return Term.objects.get(vocabulary__code=vocabulary, code=code)


def _violation(code: str, victim: int | None) -> dict[str, Any]:
    return {"violation": term("violation-types", code), "victim": victim}


def _perpetrator(code: str) -> dict[str, Any]:
    return {"type": term("perpetrator-types", code)}


def _source(reliability: str) -> list[dict[str, Any]]:
    return [{"kind": "witness", "reliability": term("source-reliability", reliability)}]


def build_network(cast: Any) -> dict[str, Any]:
    load_default_vocabularies()
    admin = cast.membership("a_admin")
    d1 = do_create_defender(
        admin,
        public_name="D1",
        gender="woman",
        sectors=[term("sectors", "land-environment"), term("sectors", "indigenous-peoples")],
    )
    d2 = do_create_defender(admin, public_name="D2", gender="man", sectors=[term("sectors", "journalism-expression")])
    case = do_open_case(admin, title="Case A", defenders=[d1, d2])
    i1 = do_record_incident(
        admin,
        case,
        title="I1",
        date_start=date(2023, 5, 10),
        country="CO",
        victims=[{"defender": d1, "status": term("victim-status", "injured")}, {"defender": d2}],
        acts=[_violation("attempted-killing", 0), _violation("death-threats", 1), _violation("physical-attack", 0)],
        perpetrators=[_perpetrator("police"), _perpetrator("paramilitary")],
        sources=_source("likely-reliable"),
    )
    i2 = do_record_incident(
        admin,
        case,
        title="I2",
        date_start=date(2024, 2, 1),
        country="KE",
        victims=[{"other_name": "Someone"}],
        acts=[_violation("criminal-charges", 0)],
        perpetrators=[_perpetrator("judiciary")],
        sources=_source("uncertain"),
    )
    i3 = do_record_incident(
        admin,
        case,
        title="I3",
        date_start=date(2024, 11, 20),
        victims=[{"defender": d1, "status": term("victim-status", "detained")}],
        acts=[_violation("surveillance", None)],
        perpetrators=[_perpetrator("unknown")],
        sources=_source("unknown"),
    )
    admin_b = cast.membership("b_admin")
    d3 = do_create_defender(admin_b, public_name="D3", gender="woman")
    case_b = do_open_case(admin_b, title="Case B", defenders=[d3])
    i4 = do_record_incident(
        admin_b,
        case_b,
        title="I4",
        date_start=date(2024, 3, 3),
        country="CO",
        victims=[{"defender": d3}],
        acts=[_violation("killing", 0)],
        perpetrators=[_perpetrator("military")],
        sources=_source("highly-reliable"),
    )
    return {"case": case, "incidents": [i1, i2, i3, i4], "case_b": case_b}

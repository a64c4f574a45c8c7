"""An incident's rows in its revisions (salama.revisions). Rows are replaced as a whole on every
change, so each kind is kept as one value: its coded part (terms by code, defenders by id) in
clear, and its protected details (victims' names, perpetrators' names, source descriptions)
sealed like encrypted fields. Rows are numbered as the incident page numbers them, since acts
name their victim by number."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db.models import Model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salama.defenders.access import visible_defenders
from salama.revisions.hooks import Derived
from salama.vocab.models import Term

from .actions import PERPETRATOR_NAMES, SOURCE_DESCRIPTIONS, VICTIM_NAMES
from .models import (
    INVOLVEMENT,
    PERPETRATOR_TYPES,
    SOURCE_RELIABILITY,
    VICTIM_STATUS,
    VIOLATION_TYPES,
    Act,
    Incident,
    Perpetrator,
    Source,
    Victim,
)

# Read straight from the tables, never from a prefetch cache: the revision compares the rows
# as they were before the change with the rows written by it.


def _code(term: Term | None) -> str | None:
    return None if term is None else term.code


def _numbered(rows: Iterable[Model], name: str) -> dict[str, str]:
    """Row number to protected detail, for the rows that have one."""
    return {str(number): getattr(row, name) for number, row in enumerate(rows, start=1) if getattr(row, name)}


def _victims(incident: Incident) -> list[Victim]:
    return list(Victim.objects.filter(incident=incident).select_related("status"))


def read_acts(incident: Incident) -> list[dict[str, Any]]:
    numbers: dict[Any, int] = {victim.pk: number for number, victim in enumerate(_victims(incident), start=1)}
    acts = Act.objects.filter(incident=incident).select_related("violation", "method")
    return [
        {"violation": act.violation.code, "method": _code(act.method), "victim": numbers.get(act.victim_id)}
        for act in acts
    ]


def read_victims(incident: Incident) -> list[dict[str, Any]]:
    return [
        {"defender": str(victim.defender_id) if victim.defender_id else None, "status": _code(victim.status)}
        for victim in _victims(incident)
    ]


def read_victim_names(incident: Incident) -> dict[str, str]:
    return _numbered(_victims(incident), "other_name")


def _perpetrators(incident: Incident) -> list[Perpetrator]:
    return list(Perpetrator.objects.filter(incident=incident).select_related("type", "involvement"))


def read_perpetrators(incident: Incident) -> list[dict[str, Any]]:
    return [{"type": p.type.code, "involvement": _code(p.involvement)} for p in _perpetrators(incident)]


def read_perpetrator_names(incident: Incident) -> dict[str, str]:
    return _numbered(_perpetrators(incident), "named_actor")


def _sources(incident: Incident) -> list[Source]:
    return list(Source.objects.filter(incident=incident).select_related("reliability"))


def read_sources(incident: Incident) -> list[dict[str, Any]]:
    return [{"kind": s.kind, "reliability": s.reliability.code} for s in _sources(incident)]


def read_source_descriptions(incident: Incident) -> dict[str, str]:
    return _numbered(_sources(incident), "description")


# Showing: labels in the reader's language, looked up when the history is read, so a relabelled
# term or a renamed defender reads as it is now, and an erased defender's name is gone.


def _labels(vocabulary: str, codes: Iterable[str | None]) -> dict[str, str]:
    wanted = {code for code in codes if code}
    if not wanted:
        return {}
    # Retired terms too: old revisions keep their meaning.
    return {t.code: t.label() for t in Term.objects.filter(vocabulary__code=vocabulary, code__in=wanted)}


def _with(main: str, extra: str | None) -> str:
    return f"{main} ({extra})" if extra else main


def _line(kind: str, number: Any, text: str) -> str:
    formats = {
        "act": _("Act %(number)s: %(text)s"),
        "victim": _("Victim %(number)s: %(text)s"),
        "perpetrator": _("Perpetrator %(number)s: %(text)s"),
        "source": _("Source %(number)s: %(text)s"),
    }
    return formats[kind] % {"number": number, "text": text}


def show_acts(value: list[dict[str, Any]], viewer: Any) -> list[str]:
    labels = _labels(VIOLATION_TYPES, (act["violation"] for act in value))
    lines = []
    for number, act in enumerate(value, start=1):
        text = _with(labels.get(act["violation"], act["violation"]), act.get("method"))
        if act.get("victim"):
            text = _("%(act)s, to victim %(number)s") % {"act": text, "number": act["victim"]}
        lines.append(_line("act", number, text))
    return lines


def _defender_names(ids: Iterable[str | None], viewer: Any) -> dict[str, str]:
    wanted = {pk for pk in ids if pk}
    if not wanted or viewer is None:
        return {}
    # Only defenders the reader may know of are named: the others stay a reference.
    found = visible_defenders(viewer).filter(pk__in=wanted).values_list("pk", "public_name")
    return {str(pk): name for pk, name in found}


def show_victims(value: list[dict[str, Any]], viewer: Any) -> list[str]:
    statuses = _labels(VICTIM_STATUS, (victim.get("status") for victim in value))
    names = _defender_names((victim.get("defender") for victim in value), viewer)
    lines = []
    for number, victim in enumerate(value, start=1):
        if victim.get("defender"):
            who = names.get(victim["defender"], _("a defender on record, not shown to you"))
        else:
            who = _("someone else")
        status = victim.get("status")
        lines.append(_line("victim", number, _with(who, statuses.get(status, status) if status else None)))
    return lines


def show_perpetrators(value: list[dict[str, Any]], viewer: Any) -> list[str]:
    types = _labels(PERPETRATOR_TYPES, (p["type"] for p in value))
    involvements = _labels(INVOLVEMENT, (p.get("involvement") for p in value))
    lines = []
    for number, perpetrator in enumerate(value, start=1):
        involvement = perpetrator.get("involvement") or ""
        text = _with(types.get(perpetrator["type"], perpetrator["type"]), involvements.get(involvement, involvement))
        lines.append(_line("perpetrator", number, text))
    return lines


def show_sources(value: list[dict[str, Any]], viewer: Any) -> list[str]:
    kinds = dict(Source.Kind.choices)
    reliabilities = _labels(SOURCE_RELIABILITY, (s["reliability"] for s in value))
    lines = []
    for number, source in enumerate(value, start=1):
        kind, reliability = source["kind"], source["reliability"]
        lines.append(_line("source", number, f"{kinds.get(kind, kind)}, {reliabilities.get(reliability, reliability)}"))
    return lines


def _show_numbered(kind: str) -> Callable[[dict[str, str], Any], list[str]]:
    def show(value: dict[str, str], viewer: Any) -> list[str]:
        return [_line(kind, number, value[number]) for number in sorted(value, key=int)]

    return show


DERIVED = {
    "acts": Derived(gettext_lazy("acts"), read_acts, show_acts),
    "victims": Derived(gettext_lazy("victims"), read_victims, show_victims),
    VICTIM_NAMES: Derived(
        gettext_lazy("names of other victims"), read_victim_names, _show_numbered("victim"), sealed=True
    ),
    "perpetrators": Derived(gettext_lazy("perpetrators"), read_perpetrators, show_perpetrators),
    PERPETRATOR_NAMES: Derived(
        gettext_lazy("named perpetrators"), read_perpetrator_names, _show_numbered("perpetrator"), sealed=True
    ),
    "sources": Derived(gettext_lazy("sources"), read_sources, show_sources),
    SOURCE_DESCRIPTIONS: Derived(
        gettext_lazy("source descriptions"), read_source_descriptions, _show_numbered("source"), sealed=True
    ),
}

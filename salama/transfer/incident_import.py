"""Importing incidents: one row per incident, written through do_record_incident and
do_update_incident, so audit, encryption and the case timeline happen as for a form.

A row names its case by reference and its victims by their defenders' external ids. Either is
looked up among what the importer may see (need to know), and a miss reads the same whether the
record is missing or hidden, so an import cannot probe for cases or defenders.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from salama.cases.access import visible_cases
from salama.cases.models import Case
from salama.core.values import is_blank
from salama.defenders.access import visible_defenders
from salama.defenders.models import Defender
from salama.incidents.access import ENCRYPTED_FIELDS, incidents_for
from salama.incidents.actions import PUBLIC_FIELDS, do_record_incident, do_update_incident
from salama.incidents.models import PERPETRATOR_TYPES, VIOLATION_TYPES, Incident
from salama.orgs.models import Membership, Organization
from salama.vocab.models import Term

from .rows import FieldSpec, ImportKind, RowResult, valid_date, vocabulary_terms, with_external_ids

Precision = Incident.Precision
WRITTEN_FIELDS = (*PUBLIC_FIELDS, *ENCRYPTED_FIELDS)

FIELDS = (
    FieldSpec("external_id", _lazy("External id"), max_length=100),
    FieldSpec("case", _lazy("Case reference"), max_length=30, required=True),
    FieldSpec("title", _lazy("Title"), max_length=200, required=True),
    FieldSpec("date_start", _lazy("Date (or start of the period)"), type="date", required=True),
    FieldSpec("date_end", _lazy("End of the period"), type="date"),
    FieldSpec("date_precision", _lazy("Precision of the date"), type="choice", options=lambda: Precision.choices),
    FieldSpec("country", _lazy("Country"), type="country"),
    FieldSpec("admin_area", _lazy("Region or province"), max_length=120),
    FieldSpec("place", _lazy("Place"), max_length=200),
    FieldSpec("violation_types", _lazy("Violation types"), type="terms", vocabulary=VIOLATION_TYPES, required=True),
    FieldSpec("perpetrator_types", _lazy("Perpetrator types"), type="terms", vocabulary=PERPETRATOR_TYPES),
    FieldSpec("victims", _lazy("Victims (defenders' external ids)"), type="lines", max_length=100),
    FieldSpec("narrative", _lazy("Narrative"), max_length=50_000, protected=True),
    FieldSpec("coordinates", _lazy("Coordinates"), type="coordinates", max_length=60, protected=True),
    FieldSpec("relation_to_work", _lazy("Relation to the victim's work"), max_length=10_000, protected=True),
)


def _label(name: str) -> str:
    return str(next(spec.label for spec in FIELDS if spec.name == name))


def _day(raw: str, *, last: bool) -> tuple[date, str]:
    """A date written as YYYY-MM-DD, YYYY-MM or YYYY, and the precision its spelling implies.
    The end of a period written as a month or a year falls on its last day."""
    parts = [int(part) for part in raw.split("-")]
    if len(parts) == 3:
        return date(parts[0], parts[1], parts[2]), Precision.EXACT
    if len(parts) == 2:
        year, month = parts
        return date(year, month, calendar.monthrange(year, month)[1] if last else 1), Precision.MONTH
    return (date(parts[0], 12, 31) if last else date(parts[0], 1, 1)), Precision.YEAR


def _by(rows: Iterable[Any], attribute: str) -> dict[str, Any]:
    return {getattr(row, attribute): row for row in rows}


def _cases(actor: Membership, results: list[RowResult]) -> dict[str, Case]:
    references = {result.values.get("case", "") for result in results} - {""}
    return _by(visible_cases(actor).filter(reference__in=references), "reference")


def _defenders(actor: Membership, results: list[RowResult]) -> dict[str, Defender]:
    ids = {external_id for result in results for external_id in result.values.get("victims", [])}
    return _by(with_external_ids(visible_defenders(actor), ids), "external_id")


def _incidents(actor: Membership, results: list[RowResult]) -> tuple[dict[str, Incident], set[str]]:
    """The incidents the file's external ids name that the actor may change, and every external
    id already taken in the organisation (unique there, whoever may see the incident)."""
    ids = [result.external_id for result in results]
    visible = _by(with_external_ids(incidents_for(actor), ids), "external_id")
    return visible, _incident_exists(actor.organization, ids)


def _resolve_case(result: RowResult, cases: dict[str, Case], existing: Incident | None) -> None:
    reference = result.values.get("case", "")
    if not reference:
        return
    case = cases.get(reference)
    if case is None:
        # The same words for a reference that does not exist and one outside need to know.
        result.errors.append(
            _("%(field)s: no case with the reference “%(value)s” that you may see.")
            % {"field": _label("case"), "value": reference[:30]}
        )
        return
    if existing is not None and existing.case_id != case.pk:
        result.errors.append(
            _("%(field)s: this incident is recorded on another case; an import cannot move it.")
            % {"field": _label("case")}
        )
    result.values["case"] = case


def _resolve_victims(result: RowResult, defenders: dict[str, Defender]) -> None:
    found = []
    for external_id in result.values.get("victims", []):
        if external_id in defenders:
            found.append(defenders[external_id])
        else:
            result.errors.append(
                _("%(field)s: no defender with the external id “%(value)s” that you may see.")
                % {"field": _label("victims"), "value": external_id[:100]}
            )
    if "victims" in result.values:
        result.values["victims"] = found


def _resolve_dates(result: RowResult, existing: Incident | None) -> None:
    values = result.values
    start_raw, end_raw = values.get("date_start", ""), values.get("date_end", "")
    if not (start_raw and valid_date(start_raw)):
        return  # missing or malformed: already said
    start, implied = _day(start_raw, last=False)
    values["date_start"] = start
    if values.get("date_precision") == Precision.EXACT and implied != Precision.EXACT:
        result.errors.append(
            _("%(field)s: a date written without its day cannot be exact.") % {"field": _label("date_precision")}
        )
    values["date_precision"] = values.get("date_precision") or implied
    end = None
    if end_raw and valid_date(end_raw):
        end = values["date_end"] = _day(end_raw, last=True)[0]
    elif not end_raw and existing is not None:
        end = existing.date_end  # an empty cell keeps the recorded end
    if end is not None and end < start:
        result.errors.append(_("%(field)s: before the start of the period.") % {"field": _label("date_end")})


def _check_incidents(actor: Membership, results: list[RowResult]) -> None:
    cases, defenders = _cases(actor, results), _defenders(actor, results)
    visible, taken = _incidents(actor, results)
    for result in results:
        existing = visible.get(result.external_id) if result.external_id else None
        if result.external_id in taken and existing is None:
            result.errors.append(_("External id: another incident of your organisation already has it."))
        _resolve_case(result, cases, existing)
        _resolve_victims(result, defenders)
        _resolve_dates(result, existing)


def _incident_exists(org: Organization, external_ids: list[str]) -> set[str]:
    found = with_external_ids(Incident.objects.filter(organization=org), external_ids)
    return set(found.values_list("external_id", flat=True))


def _terms(vocabulary: str, codes: list[str]) -> list[Term]:
    return list(vocabulary_terms(vocabulary).filter(code__in=codes))


def _victim(act: Any, position: dict[Any, int]) -> int | None:
    return position.get(act.victim_id) if act.victim_id is not None else None


def added_rows(
    incident: Incident, violations: list[Term], perpetrator_types: list[Term], defenders: list[Defender]
) -> dict[str, Any] | None:
    """The incident's rows with what the file names and the incident lacks added; None when it
    lacks nothing. An import removes no row: rows hold what a spreadsheet does not (a victim's
    name, a named perpetrator, a source), and the action replaces rows only as a whole."""
    victims = list(incident.victims.select_related("defender", "status"))
    acts = list(incident.acts.select_related("violation", "method"))
    perpetrators = list(incident.perpetrators.select_related("type", "involvement"))
    new_violations = [term for term in violations if term.pk not in {act.violation_id for act in acts}]
    new_types = [term for term in perpetrator_types if term.pk not in {row.type_id for row in perpetrators}]
    new_victims = [defender for defender in defenders if defender.pk not in {v.defender_id for v in victims}]
    if not (new_violations or new_types or new_victims):
        return None
    position = {victim.pk: index for index, victim in enumerate(victims)}
    return {
        "victims": [
            *({"defender": v.defender, "other_name": v.other_name, "status": v.status} for v in victims),
            *({"defender": defender} for defender in new_victims),
        ],
        "acts": [
            *({"violation": a.violation, "method": a.method, "victim": _victim(a, position)} for a in acts),
            *({"violation": term} for term in new_violations),
        ],
        "perpetrators": [
            *({"type": p.type, "named_actor": p.named_actor, "involvement": p.involvement} for p in perpetrators),
            *({"type": term} for term in new_types),
        ],
        "sources": [
            {"kind": s.kind, "reliability": s.reliability, "description": s.description}
            for s in incident.sources.select_related("reliability")
        ],
    }


def _write_incident(actor: Membership, values: dict[str, Any]) -> str:
    """Empty cells leave what is recorded: a sparse re-import never erases protected details."""
    fields = {name: values[name] for name in WRITTEN_FIELDS if not is_blank(values.get(name))}
    violations = _terms(VIOLATION_TYPES, values.get("violation_types", []))
    perpetrator_types = _terms(PERPETRATOR_TYPES, values.get("perpetrator_types", []))
    defenders = values.get("victims", [])
    external_id = values.get("external_id", "")
    existing = incidents_for(actor).filter(external_id=external_id).first() if external_id else None
    if existing is not None:
        rows = added_rows(existing, violations, perpetrator_types, defenders) or {}
        do_update_incident(actor, existing, **fields, **rows)
        return "updated"
    do_record_incident(
        actor,
        values["case"],
        external_id=external_id,
        acts=[{"violation": term} for term in violations],
        perpetrators=[{"type": term} for term in perpetrator_types],
        victims=[{"defender": defender} for defender in defenders],
        **fields,
    )
    return "created"


INCIDENTS = ImportKind(
    code="incidents",
    label=_lazy("Incidents"),
    permission="incidents.import",
    fields=FIELDS,
    exists=_incident_exists,
    write=lambda actor, rows: [_write_incident(actor, values) for values in rows],
    check=_check_incidents,
    help=_lazy(
        "One row per incident. Name its case by the case's reference (such as 2024-0007) and its victims by"
        " their defenders' external ids. Separate several violation types, perpetrator types or victims with"
        " “;”. Write a date as YYYY-MM or YYYY when the day or the month is not known. A row whose external id"
        " is already recorded updates that incident: empty cells keep what is recorded, and an import adds"
        " violations, perpetrators and victims but never removes any."
    ),
)

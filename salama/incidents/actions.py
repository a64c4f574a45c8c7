"""Every change to incidents goes through these functions.

Audit entries and timeline events carry coded, public values (dates, country, term codes)
and the names of the encrypted fields that were set, never their values.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from salama.audit.actions import record, record_fields, record_reveal
from salama.cases.access import require_visible_case
from salama.cases.models import Case, TimelineEvent
from salama.core.permissions import require
from salama.core.values import is_blank
from salama.orgs.models import Membership
from salama.revisions.actions import record_revision, snapshot
from salama.vocab.models import Term

from .access import ENCRYPTED_FIELDS
from .models import (
    INVOLVEMENT,
    PERPETRATOR_TYPES,
    SOURCE_RELIABILITY,
    VICTIM_STATUS,
    VIOLATION_TYPES,
    Act,
    Incident,
    IncidentLink,
    Perpetrator,
    Source,
    Victim,
)

PUBLIC_FIELDS = ("title", "date_start", "date_end", "date_precision", "country", "admin_area", "place")
INCIDENT_LOGGABLE = (*PUBLIC_FIELDS, "case", "violations", "perpetrator_types", "victims", "sources", "linked_to")
MAX_ROWS = 50  # per kind of row in one incident: a bound for forms and the API alike


def _target(incident: Incident) -> tuple[str, Any]:
    return ("incident", incident.pk)


def _check_term(term: Any, vocabulary: str, field: str, *, required: bool) -> None:
    if term is None:
        if required:
            raise ValidationError({field: _("This field is required.")})
        return
    if not isinstance(term, Term) or term.vocabulary.code != vocabulary:
        raise ValidationError({field: _("Choose a term from the right list.")})


def _check_dates(start: date | None, end: date | None) -> None:
    if start is None:
        raise ValidationError({"date_start": _("This field is required.")})
    if end is not None and end < start:
        raise ValidationError({"date_end": _("The end of the period cannot be before its start.")})


def _check_rows(
    org_id: Any,
    acts: Sequence[Mapping[str, Any]],
    victims: Sequence[Mapping[str, Any]],
    perpetrators: Sequence[Mapping[str, Any]],
    sources: Sequence[Mapping[str, Any]],
) -> None:
    for name, rows in (("acts", acts), ("victims", victims), ("perpetrators", perpetrators), ("sources", sources)):
        if len(rows) > MAX_ROWS:
            raise ValidationError({name: _("At most %(count)d rows.") % {"count": MAX_ROWS}})
    if not acts:
        raise ValidationError({"acts": _("Record at least one act: what was done.")})
    for number, act in enumerate(acts, start=1):
        _check_term(act.get("violation"), VIOLATION_TYPES, f"acts.{number}.violation", required=True)
        victim = act.get("victim")
        if victim is not None and not (isinstance(victim, int) and 0 <= victim < len(victims)):
            raise ValidationError({f"acts.{number}.victim": _("Choose one of the victims listed.")})
    for number, victim in enumerate(victims, start=1):
        defender = victim.get("defender")
        if defender is not None and defender.organization_id != org_id:
            raise ValidationError({f"victims.{number}.defender": _("Choose a defender of your own organisation.")})
        if defender is None and not victim.get("other_name"):
            raise ValidationError({f"victims.{number}.defender": _("Choose a defender or give the victim's name.")})
        _check_term(victim.get("status"), VICTIM_STATUS, f"victims.{number}.status", required=False)
    for number, perpetrator in enumerate(perpetrators, start=1):
        _check_term(perpetrator.get("type"), PERPETRATOR_TYPES, f"perpetrators.{number}.type", required=True)
        _check_term(perpetrator.get("involvement"), INVOLVEMENT, f"perpetrators.{number}.involvement", required=False)
    for number, source in enumerate(sources, start=1):
        _check_term(source.get("reliability"), SOURCE_RELIABILITY, f"sources.{number}.reliability", required=True)
        if source.get("kind") not in Source.Kind.values:
            raise ValidationError({f"sources.{number}.kind": _("Choose a kind of source.")})


def _codes(terms: Iterable[Term]) -> list[str]:
    return sorted({term.code for term in terms})


def _write_rows(
    incident: Incident,
    acts: Sequence[Mapping[str, Any]],
    victims: Sequence[Mapping[str, Any]],
    perpetrators: Sequence[Mapping[str, Any]],
    sources: Sequence[Mapping[str, Any]],
) -> None:
    org_id = incident.organization_id
    saved_victims = []
    for position, row in enumerate(victims):
        victim = Victim(
            incident=incident,
            organization_id=org_id,
            defender=row.get("defender"),
            other_name="" if row.get("defender") else row.get("other_name", ""),
            status=row.get("status"),
            position=position,
        )
        victim.save()
        saved_victims.append(victim)
    for row in acts:
        index = row.get("victim")
        Act.objects.create(
            incident=incident,
            violation=row["violation"],
            method=row.get("method"),
            victim=saved_victims[index] if index is not None else None,
        )
    for position, row in enumerate(perpetrators):
        Perpetrator(
            incident=incident,
            organization_id=org_id,
            type=row["type"],
            named_actor=row.get("named_actor", ""),
            involvement=row.get("involvement"),
            position=position,
        ).save()
    for position, row in enumerate(sources):
        Source(
            incident=incident,
            organization_id=org_id,
            kind=row["kind"],
            reliability=row["reliability"],
            description=row.get("description", ""),
            position=position,
        ).save()


def _row_summary(
    acts: Sequence[Mapping[str, Any]],
    victims: Sequence[Mapping[str, Any]],
    perpetrators: Sequence[Mapping[str, Any]],
    sources: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """Counts and codes only: enough to follow what was recorded, nothing that names anyone."""
    return {
        "violations": _codes(row["violation"] for row in acts),
        "perpetrator_types": _codes(row["type"] for row in perpetrators),
        "victims": len(victims),
        "sources": len(sources),
    }


@transaction.atomic
def do_record_incident(
    actor: Membership,
    case: Case,
    *,
    acts: Sequence[Mapping[str, Any]],
    victims: Sequence[Mapping[str, Any]] = (),
    perpetrators: Sequence[Mapping[str, Any]] = (),
    sources: Sequence[Mapping[str, Any]] = (),
    **fields: Any,
) -> Incident:
    """The incident and all its rows, or nothing. `acts[i]["victim"]` is an index into `victims`."""
    require(actor, "cases.edit")
    require_visible_case(actor, case)
    _check_dates(fields.get("date_start"), fields.get("date_end"))
    _check_rows(actor.organization_id, acts, victims, perpetrators, sources)
    incident = Incident(case=case, organization=actor.organization, recorded_by=actor.user, **fields)
    incident.save()
    _write_rows(incident, acts, victims, perpetrators, sources)
    record_revision(actor, incident, {}, TRACKED)
    summary = _row_summary(acts, victims, perpetrators, sources)
    changes: dict[str, tuple[Any, Any]] = {
        name: (None, fields.get(name)) for name in PUBLIC_FIELDS if not is_blank(fields.get(name))
    }
    changes.update({name: (None, None) for name in ENCRYPTED_FIELDS if fields.get(name)})
    changes.update({name: (None, value) for name, value in summary.items()})
    changes["case"] = (None, str(case.pk))
    record(
        "incident.recorded",
        actor=actor.user,
        organization=actor.organization,
        target=_target(incident),
        changes=changes,
        loggable=INCIDENT_LOGGABLE,
    )
    TimelineEvent.objects.create(
        case=case,
        kind="incident.recorded",
        actor=actor.user,
        target_type="incident",
        target_id=str(incident.pk),
        details={
            "date_start": incident.date_start.isoformat(),
            "country": str(incident.country.code or ""),
            "violations": summary["violations"],
        },
    )
    return incident


def _comparable(value: Any) -> Any:
    # A country reads back as a Country object but is assigned as a code.
    return str(value) if value is not None else None


@transaction.atomic
def do_update_incident(
    actor: Membership,
    incident: Incident,
    *,
    acts: Sequence[Mapping[str, Any]] | None = None,
    victims: Sequence[Mapping[str, Any]] | None = None,
    perpetrators: Sequence[Mapping[str, Any]] | None = None,
    sources: Sequence[Mapping[str, Any]] | None = None,
    comment: str = "",
    **fields: Any,
) -> Incident:
    """Changes the fields given. Rows, when given, are replaced as a whole (all four kinds
    together), since acts point at victims by their place in the list. The revision keeps the
    old and new values, the protected ones sealed, with the optional comment."""
    require(actor, "cases.edit")
    require_visible_case(actor, incident.case)
    unknown = sorted(set(fields) - {*PUBLIC_FIELDS, *ENCRYPTED_FIELDS})
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    before = Incident.objects.get(pk=incident.pk)
    _check_dates(fields.get("date_start", before.date_start), fields.get("date_end", before.date_end))
    if fields.get("date_precision", before.date_precision) not in Incident.Precision.values:
        raise ValidationError({"date_precision": _("This field is required.")})
    rows: dict[str, list[Mapping[str, Any]]] | None = None
    if any(given is not None for given in (acts, victims, perpetrators, sources)):
        rows = {
            "acts": list(acts or []),
            "victims": list(victims or []),
            "perpetrators": list(perpetrators or []),
            "sources": list(sources or []),
        }
        _check_rows(actor.organization_id, **rows)
    tracked = [*fields, *(ROW_FIELDS if rows is not None else ())]
    revision_base = snapshot(before, tracked)
    changes: dict[str, tuple[Any, Any]] = {}
    for name, value in fields.items():
        old = getattr(before, name)
        if _comparable(old) != _comparable(value):
            changes[name] = (None, None) if name in ENCRYPTED_FIELDS else (old, value)
        setattr(incident, name, value)
    if rows is not None:
        # Deleting the old rows destroys their data keys on commit, like any encrypted record.
        incident.acts.all().delete()
        for model in (Victim, Perpetrator, Source):
            model.objects.filter(incident=incident).delete()
        _write_rows(incident, **rows)
        changes.update({name: (None, value) for name, value in _row_summary(**rows).items()})
    if changes:
        incident.save()
        record(
            "incident.updated",
            actor=actor.user,
            organization=actor.organization,
            target=_target(incident),
            changes=changes,
            loggable=INCIDENT_LOGGABLE,
        )
        record_revision(actor, incident, revision_base, tracked, comment)
    return incident


@transaction.atomic
def do_link_incidents(actor: Membership, from_incident: Incident, to_incident: Incident, kind: str) -> IncidentLink:
    require(actor, "cases.edit")
    if from_incident.organization_id != actor.organization_id or to_incident.organization_id != actor.organization_id:
        raise ValidationError({"to_incident": _("Only incidents of your own organisation can be linked.")})
    require_visible_case(actor, from_incident.case)
    require_visible_case(actor, to_incident.case)
    if from_incident.pk == to_incident.pk:
        raise ValidationError({"to_incident": _("An incident cannot be linked to itself.")})
    if kind not in IncidentLink.Kind.values:
        raise ValidationError({"kind": _("Choose a kind of link.")})
    if IncidentLink.objects.filter(from_incident=from_incident, to_incident=to_incident, kind=kind).exists():
        raise ValidationError({"to_incident": _("These incidents are already linked this way.")})
    link = IncidentLink.objects.create(
        from_incident=from_incident, to_incident=to_incident, kind=kind, created_by=actor.user
    )
    record(
        "incident.linked",
        actor=actor.user,
        organization=actor.organization,
        target=_target(from_incident),
        changes={"linked_to": (None, f"{kind}:{to_incident.pk}")},
        loggable=INCIDENT_LOGGABLE,
    )
    return link


@transaction.atomic
def do_reveal(actor: Membership, incident: Incident, fields: Iterable[str]) -> list[str]:
    """Only the audit entry: whoever reveals is on record before any value is opened."""
    require(actor, "cases.reveal")
    require_visible_case(actor, incident.case)
    return record_reveal("incident.revealed", actor, _target(incident), fields, REVEALABLE)


@transaction.atomic
def do_note_decryption_failure(actor: Membership, incident: Incident, fields: Iterable[str]) -> None:
    """A record that no longer opens is a security event (tampering, a lost or wrong key)."""
    record_fields("incident.decryption_failed", actor, _target(incident), fields)


@transaction.atomic
def do_delete_incident(actor: Membership, incident: Incident) -> None:
    """The incident's data key, and those of its victims, perpetrators and sources (deleted with
    it), are destroyed once the deletion commits (crypto-shredding)."""
    require(actor, "cases.delete")
    require_visible_case(actor, incident.case)
    record(
        "incident.deleted",
        actor=actor.user,
        organization=actor.organization,
        target=_target(incident),
        changes={"case": (str(incident.case_id), None)},
        loggable=INCIDENT_LOGGABLE,
    )
    TimelineEvent.objects.create(
        case=incident.case,
        kind="incident.deleted",
        actor=actor.user,
        target_type="incident",
        target_id=str(incident.pk),
    )
    incident.delete()


# What a reveal can name: the incident's own protected fields, and the protected details of its
# rows (victims' names, perpetrators' names, source descriptions), each as one group.
VICTIM_NAMES = "victim_names"
PERPETRATOR_NAMES = "perpetrator_names"
SOURCE_DESCRIPTIONS = "source_descriptions"
REVEALABLE = (*ENCRYPTED_FIELDS, VICTIM_NAMES, PERPETRATOR_NAMES, SOURCE_DESCRIPTIONS)
# An incident's rows as its revisions keep them (salama.incidents.history): the coded part of
# each kind in clear, its protected details sealed like encrypted fields.
ROW_FIELDS = ("acts", "victims", VICTIM_NAMES, "perpetrators", PERPETRATOR_NAMES, "sources", SOURCE_DESCRIPTIONS)
TRACKED = (*PUBLIC_FIELDS, *ENCRYPTED_FIELDS, *ROW_FIELDS)

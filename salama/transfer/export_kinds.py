"""The lists that can be exported, and their columns.

A full incident export names its columns as the incident import names its fields, so a file
exported from one Salama can be imported into another, or edited and imported again.
"""

from __future__ import annotations

from operator import attrgetter
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _lazy

from salama.cases.access import cases_for
from salama.cases.models import Case
from salama.defenders.access import ENCRYPTED_FIELDS as DEFENDER_SECRETS
from salama.defenders.access import defenders_of
from salama.incidents.access import ENCRYPTED_FIELDS as INCIDENT_SECRETS
from salama.incidents.access import incidents_for
from salama.incidents.models import Incident
from salama.orgs.models import Membership

from .export import DROP, MONTH, PSEUDONYM, Column, ExportKind, Pseudonym

DEFENDER = _lazy("Defender %(number)d")
CASE = _lazy("Case %(number)d")
INCIDENT = _lazy("Incident %(number)d")


def _itself(item: Any) -> Any:
    return item


def _codes(terms: Any) -> list[str]:
    return sorted({term.code for term in terms})


def _country(item: Any) -> str:
    return item.country.code or ""


def _secrets(names: tuple[str, ...]) -> tuple[Column, ...]:
    return tuple(Column(name, attrgetter(name), DROP) for name in names)


DEFENDERS = ExportKind(
    code="defenders",
    permission="defenders.export",
    reveal="defenders.reveal",
    columns=(
        Column("external_id", attrgetter("external_id"), DROP),
        Column("public_name", attrgetter("public_name"), PSEUDONYM, "pseudonym", Pseudonym(DEFENDER, _itself)),
        Column("kind", attrgetter("kind")),
        Column("gender", attrgetter("gender")),
        Column("sectors", lambda defender: _codes(defender.sectors.all())),
        Column("country", _country),
        Column("region", attrgetter("region")),
        *_secrets(DEFENDER_SECRETS),
        Column("created_at", attrgetter("created_at"), MONTH, "created_month"),
    ),
    records=lambda actor, filters: defenders_of(actor, filters),
)


def _cases(actor: Membership, filters: Any) -> QuerySet[Case]:
    return cases_for(actor, filters).prefetch_related("tags")


def _case_defenders(case: Case) -> list[Any]:
    return list(case.defenders.all())


CASES = ExportKind(
    code="cases",
    permission="cases.export",
    reveal="cases.reveal",
    columns=(
        Column("reference", attrgetter("reference"), DROP),
        Column("title", attrgetter("title"), PSEUDONYM, "pseudonym", Pseudonym(CASE, _itself)),
        Column("status", attrgetter("status")),
        Column("closed_reason", attrgetter("closed_reason")),
        Column("priority", attrgetter("priority")),
        Column(
            "defenders",
            lambda case: sorted(defender.public_name for defender in case.defenders.all()),
            PSEUDONYM,
            pseudonym=Pseudonym(DEFENDER, _case_defenders),
        ),
        Column("team", lambda case: sorted(user.display_name for user in case.team.all()), DROP),
        Column("tags", lambda case: _codes(case.tags.all())),
        Column("opened_on", attrgetter("opened_on"), MONTH, "opened_month"),
        Column("closed_on", attrgetter("closed_on"), MONTH, "closed_month"),
        Column("summary", attrgetter("summary"), DROP),
    ),
    records=_cases,
)


def _incidents(actor: Membership, filters: Any) -> QuerySet[Incident]:
    return incidents_for(actor, filters).prefetch_related("acts__violation", "perpetrators__type", "victims__defender")


def _victims(incident: Incident) -> list[Any]:
    return [victim.defender for victim in incident.victims.all() if victim.defender is not None]


INCIDENTS = ExportKind(
    code="incidents",
    permission="cases.export",
    reveal="cases.reveal",
    columns=(
        Column("external_id", attrgetter("external_id"), DROP),
        Column("case", attrgetter("case.reference"), PSEUDONYM, pseudonym=Pseudonym(CASE, attrgetter("case"))),
        Column("title", attrgetter("title"), PSEUDONYM, "pseudonym", Pseudonym(INCIDENT, _itself)),
        Column("date_start", attrgetter("date_start"), MONTH, "start_month"),
        Column("date_end", attrgetter("date_end"), MONTH, "end_month"),
        Column("date_precision", attrgetter("date_precision")),
        Column("country", _country),
        Column("admin_area", attrgetter("admin_area")),
        Column("place", attrgetter("place"), DROP),  # a town: finer than the region
        Column("violation_types", lambda incident: _codes(act.violation for act in incident.acts.all())),
        Column("perpetrator_types", lambda incident: _codes(row.type for row in incident.perpetrators.all())),
        # Victims as the import names them: their defenders' external ids (those that have one).
        Column("victims", lambda incident: sorted(d.external_id for d in _victims(incident) if d.external_id), DROP),
        Column(
            "victim_names",
            lambda incident: sorted(defender.public_name for defender in _victims(incident)),
            PSEUDONYM,
            "victims",
            Pseudonym(DEFENDER, _victims),
        ),
        *_secrets(INCIDENT_SECRETS),
    ),
    records=_incidents,
)

EXPORT_KINDS: dict[str, ExportKind] = {kind.code: kind for kind in (DEFENDERS, CASES, INCIDENTS)}

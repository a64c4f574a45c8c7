"""Importing defenders: rows are written through the defenders' own actions."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _lazy

from salama.core.values import is_blank
from salama.defenders.access import SECTORS_VOCABULARY
from salama.defenders.actions import do_create_defenders, do_update_defender
from salama.defenders.models import Defender
from salama.orgs.models import Membership, Organization

from .rows import FieldSpec, ImportKind, vocabulary_terms, with_external_ids


def _defender_exists(org: Organization, external_ids: list[str]) -> set[str]:
    found = with_external_ids(Defender.objects.filter(organization=org), external_ids)
    return set(found.values_list("external_id", flat=True))


def _write_defenders(actor: Membership, rows: list[dict[str, Any]]) -> list[str]:
    """Rows with a recorded external id update that defender; the new ones are created together
    (do_create_defenders), which keeps large imports fast. Empty cells leave what is recorded: a
    sparse re-import never erases protected details."""
    sectors = {term.code: term for term in vocabulary_terms(SECTORS_VOCABULARY)}
    rows = [{name: value for name, value in values.items() if not is_blank(value)} for values in rows]
    for fields in rows:
        if "sectors" in fields:
            fields["sectors"] = [sectors[code] for code in fields["sectors"] if code in sectors]
    ids = [fields.get("external_id", "") for fields in rows]
    matching = with_external_ids(Defender.objects.filter(organization=actor.organization), ids)
    existing = {defender.external_id: defender for defender in matching}
    outcomes, new = [], []
    for fields in rows:
        recorded = existing.get(fields.get("external_id", ""))
        if recorded is not None:
            do_update_defender(actor, recorded, **fields)
            outcomes.append("updated")
        else:
            new.append(fields)
            outcomes.append("created")
    do_create_defenders(actor, new)
    return outcomes


DEFENDERS = ImportKind(
    code="defenders",
    label=_lazy("Defenders"),
    permission="defenders.import",
    fields=(
        FieldSpec("external_id", _lazy("External id"), max_length=100),
        FieldSpec("public_name", _lazy("Public name or pseudonym"), max_length=200, required=True),
        FieldSpec("kind", _lazy("Kind"), type="choice", options=lambda: Defender.Kind.choices),
        FieldSpec("gender", _lazy("Gender"), type="choice", options=lambda: Defender.Gender.choices),
        FieldSpec("sectors", _lazy("Sectors of work"), type="terms", vocabulary=SECTORS_VOCABULARY),
        FieldSpec("country", _lazy("Country"), type="country"),
        FieldSpec("region", _lazy("Region or province"), max_length=120),
        FieldSpec("legal_name", _lazy("Legal name"), max_length=300, protected=True),
        FieldSpec("aliases", _lazy("Other names"), type="lines", max_length=300, protected=True),
        FieldSpec("phone", _lazy("Phone"), max_length=40, protected=True),
        FieldSpec("email", _lazy("Email"), type="email", max_length=254, protected=True),
        FieldSpec("other_contacts", _lazy("Other contact points"), type="lines", max_length=300, protected=True),
        FieldSpec("addresses", _lazy("Addresses and locations"), type="lines", max_length=300, protected=True),
        FieldSpec("date_of_birth", _lazy("Date of birth"), type="date", protected=True),
        FieldSpec("document_number", _lazy("Identity document number"), max_length=80, protected=True),
        FieldSpec("relatives", _lazy("Relatives"), type="lines", max_length=300, protected=True),
        FieldSpec("private_notes", _lazy("Private notes"), max_length=20_000, protected=True),
    ),
    exists=_defender_exists,
    write=_write_defenders,
    help=_lazy(
        "One row per defender. Separate several sectors, other names, contact points, addresses or relatives"
        " with “;”. A row whose external id is already recorded updates that defender: empty cells keep what"
        " is recorded."
    ),
)

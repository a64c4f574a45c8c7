"""The only way to fetch defenders, their consents and trusted contacts.

Need to know follows the cases (ARCHITECTURE.md rule 5): roles in `TEAM_ONLY_ROLES` see the
defenders of the cases whose team they are on (the case's defenders and its incidents' victims),
and the defenders they recorded themselves (so a
caseworker can open the case for someone they have just added); every other role sees all of
its organisation's defenders. Missing, another organisation's and outside a person's need to
know are all the same 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from salama.core.encryption import EncryptedField, blind_search, with_presence
from salama.core.permissions import TEAM_ONLY_ROLES
from salama.orgs.models import Membership, Organization
from salama.vocab.access import access_vocabulary, terms_of
from salama.vocab.models import Term

from .models import Consent, Defender, TrustedContact

SECTORS_VOCABULARY = "sectors"
ENCRYPTED_FIELDS = tuple(f.name for f in Defender._meta.concrete_fields if isinstance(f, EncryptedField))
# Fields with a blind index: the only ones exact search can look in.
SEARCHABLE_FIELDS = ("legal_name", "phone", "email", "document_number")


@dataclass(frozen=True)
class DefenderFilters:
    kind: str = ""
    sector: Term | None = None
    gender: str = ""
    country: str = ""
    text: str = ""  # over public names only: nothing encrypted is searchable this way


def _with_presence(queryset: QuerySet[Defender]) -> QuerySet[Defender]:
    return with_presence(queryset, ENCRYPTED_FIELDS)


def visible_defenders(membership: Membership) -> QuerySet[Defender]:
    """Every defender this member may know of: the single place need to know is decided."""
    queryset = Defender.objects.filter(organization_id=membership.organization_id)
    if membership.role in TEAM_ONLY_ROLES:
        # Imported late: cases and incidents depend on defenders, not the other way round.
        from salama.cases.models import Case
        from salama.incidents.models import Victim

        on_my_cases = Case.objects.filter(defenders=OuterRef("pk"), team=membership.user_id)
        # A victim of an incident on one of my cases is named on that incident already.
        victim_on_my_cases = Victim.objects.filter(defender=OuterRef("pk"), incident__case__team=membership.user_id)
        queryset = queryset.filter(Q(created_by=membership.user_id) | Exists(on_my_cases) | Exists(victim_on_my_cases))
    return queryset


def defenders_of(membership: Membership, filters: DefenderFilters | None = None) -> QuerySet[Defender]:
    filters = filters or DefenderFilters()
    queryset = visible_defenders(membership)
    if filters.kind:
        queryset = queryset.filter(kind=filters.kind)
    if filters.gender:
        queryset = queryset.filter(gender=filters.gender)
    if filters.country:
        queryset = queryset.filter(country=filters.country)
    if filters.sector is not None:
        queryset = queryset.filter(sectors=filters.sector)
    if filters.text:
        queryset = queryset.filter(public_name__icontains=filters.text)
    return _with_presence(queryset).prefetch_related("sectors").order_by("public_name", "pk")


def find_exactly(membership: Membership, field_name: str, value: str) -> list[Defender]:
    """Exact search on an encrypted field through its blind index, among the defenders this
    member may see: a match outside their need to know is not even counted."""
    if field_name not in SEARCHABLE_FIELDS:
        raise ValueError(f"{field_name} has no blind index")
    return blind_search(defenders_of(membership), membership.organization_id, field_name, value)


def access_defender(membership: Membership, defender_id: Any) -> Defender:
    try:
        UUID(str(defender_id))
    except ValueError:
        raise Http404 from None
    defender = defenders_of(membership).filter(pk=defender_id).first()
    if defender is None:
        raise Http404
    return defender


def require_visible_defender(membership: Membership, defender: Defender) -> None:
    """Actions check need to know again, so no caller can act on a defender its actor may not see."""
    if not visible_defenders(membership).filter(pk=defender.pk).exists():
        raise Http404


def consents_of(defender: Defender) -> QuerySet[Consent]:
    return Consent.objects.filter(defender=defender).select_related("recorded_by", "withdrawn_by", "organization")


def access_consent(defender: Defender, consent_id: int) -> Consent:
    consent = consents_of(defender).filter(pk=consent_id).first()
    if consent is None:
        raise Http404
    return consent


def contacts_of(defender: Defender) -> QuerySet[TrustedContact]:
    return TrustedContact.objects.filter(defender=defender, organization_id=defender.organization_id).order_by(
        "created_at"
    )


def access_contact(defender: Defender, contact_id: Any) -> TrustedContact:
    contact = contacts_of(defender).filter(pk=contact_id).first()
    if contact is None:
        raise Http404
    return contact


def sector_terms() -> QuerySet[Term]:
    """The active sectors; none when the vocabulary is not loaded yet."""
    try:
        return terms_of(access_vocabulary(SECTORS_VOCABULARY))
    except Http404:
        return Term.objects.none()


def shared_defenders(user: Any, org: Organization, case_id: Any, capability: str) -> tuple[QuerySet[Defender], Any]:
    """A partner's view of the defenders of a shared case, and the grant that allows
    `capability` on them (public fields: sharing.models.VIEW; encrypted ones: REVEAL); 404
    otherwise. Imported late: case access itself reads defenders' consents."""
    from salama.cases.access import access_shared_case

    case, grants = access_shared_case(user, org, case_id, capability)
    return _with_presence(case.defenders.all()).order_by("public_name", "pk"), grants[0]

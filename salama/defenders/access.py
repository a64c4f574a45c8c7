"""The only way to fetch defenders, their consents and trusted contacts.

Until cases exist, need to know is by organisation: a defender belongs to one organisation and
only its members see it. Missing and not-yours are both 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.http import Http404

from salama.core.encryption import EncryptedField, blind_search
from salama.orgs.models import Organization
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
    """Annotate `has_<field>` for each encrypted field, read from the column (an empty field is
    stored as ""), so lists and profiles say what is set without opening anything."""
    flags: dict[str, Any] = {
        f"has_{name}": ExpressionWrapper(~Q(**{name: ""}), output_field=BooleanField()) for name in ENCRYPTED_FIELDS
    }
    return queryset.annotate(**flags)


def defenders_of(org: Organization, filters: DefenderFilters | None = None) -> QuerySet[Defender]:
    filters = filters or DefenderFilters()
    queryset = Defender.objects.filter(organization=org)
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


def find_exactly(org: Organization, field_name: str, value: str) -> list[Defender]:
    """Exact search on an encrypted field through its blind index, inside one organisation."""
    if field_name not in SEARCHABLE_FIELDS:
        raise ValueError(f"{field_name} has no blind index")
    return blind_search(defenders_of(org), org.pk, field_name, value)


def access_defender(org: Organization, defender_id: Any) -> Defender:
    defender = defenders_of(org).filter(pk=defender_id).first()
    if defender is None:
        raise Http404
    return defender


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

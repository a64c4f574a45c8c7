"""Which consent lets a defender's record go to a protection actor (docs/referrals.md).

- A mechanism (`kind == mechanism`): a `share_with_mechanism` consent whose `mechanism` names
  the actor, by its name or its short name (slug), compared without regard to case, accents
  or spacing.
- An actor that is itself a member of the network (`actor.organization`): a
  `share_with_organisation` consent for that organisation.
- Any other actor (an NGO, fund or relocation programme outside the network): a
  `share_with_organisation` consent with no organisation set whose `mechanism` (the "named as in
  the directory" field) names the actor the same way.

Only consents in force count (`Consent.in_force`: not withdrawn).

Being named publicly is a separate consent (`named_publicly`), needed when a document would
make the defender's name public (see salama.referrals.documents).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _

from salama.defenders.models import Consent, Defender
from salama.directory.models import ProtectionActor


def normalise_name(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.replace("-", " ").replace("_", " ").casefold().split())


def names_actor(text: str, actor: ProtectionActor) -> bool:
    wanted = normalise_name(text)
    return bool(wanted) and wanted in {normalise_name(actor.name), normalise_name(actor.slug)}


def required_scope(actor: ProtectionActor) -> str:
    if actor.kind == ProtectionActor.Kind.MECHANISM:
        return Consent.Scope.SHARE_WITH_MECHANISM
    return Consent.Scope.SHARE_WITH_ORGANISATION


def sharing_consent(defender: Defender, actor: ProtectionActor) -> Consent | None:
    """The consent in force that lets this defender's record go to this actor, or None."""
    consents = Consent.objects.filter(defender=defender, withdrawn_on__isnull=True).order_by("-given_on", "-pk")
    if actor.kind == ProtectionActor.Kind.MECHANISM:
        candidates = consents.filter(scope=Consent.Scope.SHARE_WITH_MECHANISM)
        return next((c for c in candidates if names_actor(c.mechanism, actor)), None)
    candidates = consents.filter(scope=Consent.Scope.SHARE_WITH_ORGANISATION)
    if actor.organization_id:
        return candidates.filter(organization_id=actor.organization_id).first()
    return next((c for c in candidates.filter(organization__isnull=True) if names_actor(c.mechanism, actor)), None)


def named_publicly(defender: Defender) -> bool:
    return Consent.objects.filter(
        defender=defender, scope=Consent.Scope.NAMED_PUBLICLY, withdrawn_on__isnull=True
    ).exists()


@dataclass(frozen=True)
class MissingConsent:
    defender: Defender
    reason: str


def missing_consent_reason(defender: Defender, actor: ProtectionActor) -> str:
    if actor.kind == ProtectionActor.Kind.MECHANISM:
        return _(
            "%(defender)s has no consent in force to share their record with the mechanism %(actor)s "
            "(record a consent “to share the record with a mechanism” naming it)."
        ) % {"defender": defender.public_name, "actor": actor.name}
    if actor.organization_id:
        return _(
            "%(defender)s has no consent in force to share their record with %(actor)s "
            "(record a consent “to share the record with an organisation” for that organisation)."
        ) % {"defender": defender.public_name, "actor": actor.name}
    return _(
        "%(defender)s has no consent in force to share their record with %(actor)s "
        "(record a consent “to share the record with an organisation” naming it)."
    ) % {"defender": defender.public_name, "actor": actor.name}


def missing_consents(defenders: Iterable[Defender], actor: ProtectionActor) -> list[MissingConsent]:
    return [
        MissingConsent(defender, missing_consent_reason(defender, actor))
        for defender in defenders
        if sharing_consent(defender, actor) is None
    ]

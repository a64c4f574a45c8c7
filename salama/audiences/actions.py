"""Every change to subscribers, contact points, audience rules and opt-outs goes through here.

Audit entries name the encrypted fields that changed, never their values. The actions a
recipient takes through a signed link (confirm, change preferences, unsubscribe) have no actor:
the link is the credential, and the entry records the organisation and the contact point.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from email_validator import EmailNotValidError, validate_email

from salama.audit.actions import created, record
from salama.core.permissions import require
from salama.delivery import channels, engine
from salama.delivery.channels.email import openpgp
from salama.delivery.models import Suppression
from salama.orgs.models import Membership, Organization

from .models import AudienceRule, Channel, ContactPoint, Interest, MemberOptOut, Subscriber

# Suppressions a person chose (opt-out) or asked for (complaint): only that person lifts them,
# through their own link or account. A bounce is the address failing, which a lead may retry.
PERSONS_OWN = (Suppression.Reason.OPT_OUT, Suppression.Reason.COMPLAINT)
LIFT_LOGGABLE = ("channel", "cause", "note")

SUBSCRIBER_ENCRYPTED = ("display_name", "affiliation")
SUBSCRIBER_LOGGABLE = ("kind", "languages", "countries", "regions", "sectors")
CONTACT_ENCRYPTED = ("address", "secret", "openpgp_key")
CONTACT_LOGGABLE = (
    "channel",
    "active",
    "verified",
    "verified_reason",
    "consent_how",
    "consent_withdrawn",
    "subscriber",
    "suppression",
)
RULE_LOGGABLE = ("name", "member_organizations", "subscriber_kinds", "countries", "regions", "sectors", "languages")
FACETS = {"languages": Interest.Facet.LANGUAGE, "countries": Interest.Facet.COUNTRY, "regions": Interest.Facet.REGION}
VERIFY_SALT = "salama.audiences.verify"
VERIFY_MAX_AGE = timedelta(days=7)


def _loggable(changes: dict[str, tuple[Any, Any]], encrypted: Sequence[str]) -> dict[str, tuple[Any, Any]]:
    """Encrypted values never leave this module: their fields are passed on by name alone."""
    return {name: ((None, None) if name in encrypted else pair) for name, pair in changes.items()}


def _codes(terms: Iterable[Any]) -> list[str]:
    return sorted(term.code for term in terms)


# -- addresses ---------------------------------------------------------------------------------


def clean_address(channel_name: str, address: str) -> str:
    """The address as it will be stored, or a ValidationError saying what is wrong with it."""
    address = (address or "").strip()
    if channel_name == Channel.EMAIL:
        try:
            return validate_email(address, check_deliverability=False).normalized
        except EmailNotValidError:
            raise ValidationError(
                {"address": _("Enter a valid email address, such as name@example.org.")}, code="invalid"
            ) from None
    if channel_name == Channel.WEBHOOK:
        schemes = ["https"] if settings.PRODUCTION else ["https", "http"]
        try:
            URLValidator(schemes=schemes)(address)
            channels.get(Channel.WEBHOOK).normalise(address)
        except (ValidationError, channels.InvalidAddress):
            raise ValidationError(
                {"address": _("Enter the https:// address of the partner system's webhook endpoint.")}, code="invalid"
            ) from None
        return address
    raise ValidationError({"channel": _("Choose a channel from the list.")}, code="invalid")


def checked_openpgp_key(channel_name: str, address: str, armoured: str) -> tuple[str, str]:
    """(key, fingerprint) as stored, ("", "") for none, or a ValidationError saying why not."""
    armoured = (armoured or "").strip()
    if not armoured:
        return "", ""
    if channel_name != Channel.EMAIL:
        raise ValidationError({"openpgp_key": _("Only an email address can have an OpenPGP key.")}, code="invalid")
    try:
        info = openpgp.inspect_key(armoured, address)
    except openpgp.KeyRefused as refused:
        raise ValidationError({"openpgp_key": str(refused)}, code="invalid") from None
    return armoured + "\n", info.fingerprint


def _set_openpgp_key(point: ContactPoint, armoured: str) -> dict[str, tuple[Any, Any]]:
    key, fingerprint = checked_openpgp_key(point.channel, point.address, armoured)
    if fingerprint == point.openpgp_fingerprint and key == point.openpgp_key:
        return {}
    point.openpgp_key, point.openpgp_fingerprint = key, fingerprint
    return {"openpgp_key": (None, None)}


def hashed_address(organization_id: Any, channel_name: str, address: str) -> str:
    normal = channels.get(channel_name).normalise(address)
    return engine.address_key(engine.address_keyer(organization_id, channel_name), normal)


# -- subscribers -------------------------------------------------------------------------------


def _set_interests(subscriber: Subscriber, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name, facet in FACETS.items():
        if name not in fields:
            continue
        new = list(dict.fromkeys(code for code in fields[name] if code))
        old = subscriber.codes(facet) if subscriber.pk else []
        if old == new:
            continue
        changes[name] = (old, new)
        Interest.objects.filter(subscriber=subscriber, facet=facet).delete()
        Interest.objects.bulk_create(
            [Interest(subscriber=subscriber, facet=facet, code=code, rank=i) for i, code in enumerate(new)]
        )
    if "sectors" in fields:
        old_codes, new_codes = _codes(subscriber.sectors.all()), _codes(fields["sectors"])
        if old_codes != new_codes:
            changes["sectors"] = (old_codes, new_codes)
            subscriber.sectors.set(fields["sectors"])
    subscriber.refresh_interests()
    return changes


@transaction.atomic
def do_create_subscriber(actor: Membership, **fields: Any) -> Subscriber:
    require(actor, "audiences.manage")
    own = {k: v for k, v in fields.items() if k in ("kind", "display_name", "affiliation")}
    subscriber = Subscriber(organization=actor.organization, created_by=actor.user, **own)
    subscriber.save()
    changes = {**created(own), **_set_interests(subscriber, fields)}
    record(
        "subscriber.created",
        actor=actor.user,
        organization=actor.organization,
        target=("subscriber", subscriber.pk),
        changes=_loggable(changes, SUBSCRIBER_ENCRYPTED),
        loggable=SUBSCRIBER_LOGGABLE,
    )
    return subscriber


@transaction.atomic
def do_update_subscriber(actor: Membership, subscriber: Subscriber, **fields: Any) -> Subscriber:
    require(actor, "audiences.manage")
    _same_organization(actor, subscriber)
    changes = _update_subscriber(subscriber, fields)
    if changes:
        record(
            "subscriber.updated",
            actor=actor.user,
            organization=actor.organization,
            target=("subscriber", subscriber.pk),
            changes=_loggable(changes, SUBSCRIBER_ENCRYPTED),
            loggable=SUBSCRIBER_LOGGABLE,
        )
    return subscriber


def _update_subscriber(subscriber: Subscriber, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name in ("kind", "display_name", "affiliation"):
        if name in fields and getattr(subscriber, name) != fields[name]:
            changes[name] = (getattr(subscriber, name), fields[name])
            setattr(subscriber, name, fields[name])
    if changes:
        subscriber.save()
    changes.update(_set_interests(subscriber, fields))
    return changes


@transaction.atomic
def do_delete_subscriber(actor: Membership, subscriber: Subscriber) -> None:
    """Deleting shreds the subscriber's and each contact point's data key on commit."""
    require(actor, "audiences.manage")
    _same_organization(actor, subscriber)
    record(
        "subscriber.deleted", actor=actor.user, organization=actor.organization, target=("subscriber", subscriber.pk)
    )
    for point in subscriber.contact_points.all():
        point.delete()
    subscriber.delete()


def _same_organization(actor: Membership, record_: Subscriber | ContactPoint | AudienceRule) -> None:
    # Access helpers fetch within the actor's organisation already; this keeps any other caller honest.
    if record_.organization_id != actor.organization_id:
        raise ValidationError(_("This record belongs to another organisation."))


# -- contact points ----------------------------------------------------------------------------


def _contact_record(
    action: str, point: ContactPoint, changes: dict[str, tuple[Any, Any]], actor: Membership | None = None
) -> None:
    record(
        action,
        actor=actor.user if actor else None,
        organization=actor.organization if actor else Organization.objects.get(pk=point.organization_id),
        target=("contact_point", point.pk),
        changes=_loggable(changes, CONTACT_ENCRYPTED),
        loggable=CONTACT_LOGGABLE,
    )


def _save_address(point: ContactPoint) -> None:
    try:
        with transaction.atomic():
            point.save()
    except IntegrityError:
        raise ValidationError({"address": _("This address is already on the list.")}, code="duplicate") from None


@transaction.atomic
def do_add_contact_point(
    actor: Membership,
    subscriber: Subscriber,
    *,
    channel: str,
    address: str,
    consent_how: str,
    active: bool = True,
    openpgp_key: str = "",
) -> ContactPoint:
    """Consent is recorded as given now, by the means stated; the address starts unverified."""
    require(actor, "audiences.manage")
    _same_organization(actor, subscriber)
    address = clean_address(channel, address)
    key, fingerprint = checked_openpgp_key(channel, address, openpgp_key)
    if consent_how not in ContactPoint.STAFF_CONSENT:
        raise ValidationError({"consent_how": _("Say how the subscriber gave their consent.")})
    point = ContactPoint(
        organization=actor.organization,
        subscriber=subscriber,
        channel=channel,
        address=address,
        address_key=hashed_address(actor.organization_id, channel, address),
        secret=f"whsec_{secrets.token_urlsafe(32)}" if channel == Channel.WEBHOOK else "",
        consent_given_at=timezone.now(),
        consent_how=consent_how,
        active=active,
        openpgp_key=key,
        openpgp_fingerprint=fingerprint,
    )
    _save_address(point)
    changes = {
        "channel": (None, channel),
        "address": (None, None),
        "consent_how": (None, consent_how),
        "active": (None, active),
        "subscriber": (None, str(subscriber.pk)),
        **({"openpgp_key": (None, None)} if key else {}),
    }
    _contact_record("contact_point.added", point, changes, actor)
    return point


@transaction.atomic
def do_update_contact_point(
    actor: Membership,
    point: ContactPoint,
    *,
    address: str | None = None,
    active: bool | None = None,
    openpgp_key: str | None = None,
) -> ContactPoint:
    """A new address must be verified again: what was verified was the old one. A key must name
    the address in force: a new address is checked against the key kept, or the one sent."""
    require(actor, "audiences.manage")
    _same_organization(actor, point)
    changes: dict[str, tuple[Any, Any]] = {}
    if address is not None:
        address = clean_address(point.channel, address)
        if address != point.address:
            point.address = address
            point.address_key = hashed_address(point.organization_id, point.channel, address)
            point.verified_at, point.verified_by, point.verified_reason = None, None, ""
            changes["address"] = (None, None)
            changes["verified"] = (True, False)
    if active is not None and active != point.active:
        changes["active"] = (point.active, active)
        point.active = active
    if openpgp_key is not None:
        changes.update(_set_openpgp_key(point, openpgp_key))
    elif "address" in changes and point.openpgp_key:
        checked_openpgp_key(point.channel, point.address, point.openpgp_key)
    if changes:
        _save_address(point)
        _contact_record("contact_point.updated", point, changes, actor)
    return point


@transaction.atomic
def do_set_own_openpgp_key(point: ContactPoint, armoured: str) -> ContactPoint:
    """The recipient, through the signed link of a message, registers, replaces or (empty)
    removes the key messages to this address are encrypted to."""
    changes = _set_openpgp_key(point, armoured)
    if changes:
        point.save(update_fields=["openpgp_key", "openpgp_fingerprint", "updated_at"])
        _contact_record("contact_point.updated", point, changes)
    return point


@transaction.atomic
def do_delete_contact_point(actor: Membership, point: ContactPoint) -> None:
    require(actor, "audiences.manage")
    _same_organization(actor, point)
    _contact_record("contact_point.deleted", point, {}, actor)
    point.delete()


@transaction.atomic
def do_verify_contact_point(actor: Membership, point: ContactPoint, *, reason: str) -> ContactPoint:
    """An administrator vouches for an address without a link (they confirmed it another way)."""
    require(actor, "audiences.verify")
    _same_organization(actor, point)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say how you confirmed this address.")})
    point.verified_at, point.verified_by, point.verified_reason = timezone.now(), actor.user, reason[:200]
    point.save(update_fields=["verified_at", "verified_by", "verified_reason"])
    _contact_record(
        "contact_point.verified", point, {"verified": (False, True), "verified_reason": (None, reason)}, actor
    )
    return point


@transaction.atomic
def do_withdraw_consent(actor: Membership, point: ContactPoint) -> ContactPoint:
    require(actor, "audiences.manage")
    _same_organization(actor, point)
    _withdraw(point)
    _contact_record("contact_point.consent_withdrawn", point, {"consent_withdrawn": (False, True)}, actor)
    return point


def _withdraw(point: ContactPoint) -> None:
    if point.consent_withdrawn_at is None:
        point.consent_withdrawn_at = timezone.now()
        point.save(update_fields=["consent_withdrawn_at"])


# -- verification by signed link ---------------------------------------------------------------


def verification_token(point: ContactPoint) -> str:
    # Bound to the address's hash: a link sent to an old address does not verify a new one.
    return signing.dumps([str(point.pk), point.address_key], salt=VERIFY_SALT, compress=True)


def read_verification_token(token: str) -> tuple[str, str] | None:
    try:
        value = signing.loads(token, salt=VERIFY_SALT, max_age=VERIFY_MAX_AGE)
    except signing.BadSignature:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        return None
    return value[0], value[1]


def _verification_content(point: ContactPoint, link: str, language: str) -> dict[str, Any]:
    subject = _("Please confirm your address")
    text = _(
        "Hello [[greeting]],\n\nPlease confirm that this address may receive our messages by opening "
        "this link within seven days:\n\n%(link)s\n\nIf you did not ask for this, ignore this message."
    ) % {"link": link}
    if point.channel == Channel.WEBHOOK:
        return {language: {"payload": {"type": "salama.verification", "confirm": link}}}
    html = "<p>" + "</p><p>".join(text.replace("&", "&amp;").replace("<", "&lt;").split("\n\n")) + "</p>"
    return {language: {"subject": str(subject), "text": text, "html": html}}


@transaction.atomic
def do_send_verification(actor: Membership, point: ContactPoint) -> None:
    """A message through the delivery engine with a signed link to confirm the address.

    The link is in the content itself (a message for one recipient), not a per-recipient
    placeholder: the version is sealed, so the token is not stored in clear."""
    require(actor, "audiences.manage")
    _same_organization(actor, point)
    link = f"{settings.SITE_URL}/subscribe/verify/{verification_token(point)}/"
    language = point.subscriber.languages[0] if point.subscriber.languages else "en"
    message = engine.create_message(actor.organization, "audiences.verification", str(point.pk))
    content = {point.channel: _verification_content(point, link, language)}
    version = engine.add_version(message, content, default_language=language)
    recipient = engine.Recipient(
        point.channel,
        point.address,
        language,
        point.subscriber.display_name,
        contact_ref=f"verify:{point.pk}",
        extra={"secret": point.secret} if point.channel == Channel.WEBHOOK else {},
    )
    engine.create_deliveries(version, [recipient])
    _contact_record("contact_point.verification_sent", point, {}, actor)


@transaction.atomic
def do_confirm_verification(point: ContactPoint, address_key: str) -> bool:
    """The recipient opened the link: verified, unless the address changed since it was sent."""
    if point.address_key != address_key:
        return False
    if point.verified_at is None:
        point.verified_at, point.verified_by, point.verified_reason = timezone.now(), None, ""
        point.save(update_fields=["verified_at", "verified_by", "verified_reason"])
        _contact_record("contact_point.verified", point, {"verified": (False, True)})
    return True


# -- what a recipient does through a signed link -----------------------------------------------


@transaction.atomic
def do_unsubscribe(point: ContactPoint) -> None:
    """Consent withdrawn and the address on the suppression list: nothing more is sent to it,
    whichever frozen audience it is in."""
    _withdraw(point)
    organization = Organization.objects.get(pk=point.organization_id)
    engine.suppress(organization, point.channel, point.address, Suppression.Reason.OPT_OUT)
    _contact_record("contact_point.unsubscribed", point, {"consent_withdrawn": (False, True)})


@transaction.atomic
def do_member_opt_out(organization: Organization, user: Any) -> None:
    """A member stops this organisation's messages to their sign-in address."""
    MemberOptOut.objects.get_or_create(organization=organization, user=user)
    engine.suppress(organization, Channel.EMAIL, user.email, Suppression.Reason.OPT_OUT)
    record("member.opted_out", organization=organization, target=("account", user.pk))


@transaction.atomic
def do_update_preferences(point: ContactPoint, **fields: Any) -> Subscriber:
    subscriber = point.subscriber
    allowed = {k: v for k, v in fields.items() if k in (*FACETS, "sectors")}
    changes = _update_subscriber(subscriber, allowed)
    if changes:
        record(
            "subscriber.preferences_changed",
            organization=Organization.objects.get(pk=point.organization_id),
            target=("subscriber", subscriber.pk),
            changes=changes,
            loggable=SUBSCRIBER_LOGGABLE,
        )
    return subscriber


# -- audience rules ----------------------------------------------------------------------------


def _rule_values(rule: AudienceRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "subscriber_kinds": list(rule.subscriber_kinds),
        "countries": list(rule.countries),
        "regions": list(rule.regions),
        "languages": list(rule.languages),
        "member_organizations": sorted(o.slug for o in rule.member_organizations.all()) if rule.pk else [],
        "sectors": _codes(rule.sectors.all()) if rule.pk else [],
    }


def _apply_rule(rule: AudienceRule, fields: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    before = _rule_values(rule)
    for name in ("name", "subscriber_kinds", "countries", "regions", "languages"):
        if name in fields:
            setattr(rule, name, fields[name])
    try:
        with transaction.atomic():
            rule.save()
    except IntegrityError:
        raise ValidationError({"name": _("A rule with this name exists already.")}, code="duplicate") from None
    if "member_organizations" in fields:
        rule.member_organizations.set(fields["member_organizations"])
    if "sectors" in fields:
        rule.sectors.set(fields["sectors"])
    after = _rule_values(rule)
    return {name: (before[name], after[name]) for name in after if before[name] != after[name]}


@transaction.atomic
def do_create_rule(actor: Membership, **fields: Any) -> AudienceRule:
    require(actor, "audiences.manage")
    rule = AudienceRule(organization=actor.organization, created_by=actor.user)
    changes = _apply_rule(rule, fields)
    record(
        "audience_rule.created",
        actor=actor.user,
        organization=actor.organization,
        target=("audience_rule", rule.pk),
        changes={name: (None, new) for name, (_old, new) in changes.items()},
        loggable=RULE_LOGGABLE,
    )
    return rule


@transaction.atomic
def do_update_rule(actor: Membership, rule: AudienceRule, **fields: Any) -> AudienceRule:
    """Audiences frozen from the rule before keep their members: only new freezes see the change."""
    require(actor, "audiences.manage")
    _same_organization(actor, rule)
    changes = _apply_rule(rule, fields)
    if changes:
        record(
            "audience_rule.updated",
            actor=actor.user,
            organization=actor.organization,
            target=("audience_rule", rule.pk),
            changes=changes,
            loggable=RULE_LOGGABLE,
        )
    return rule


@transaction.atomic
def do_delete_rule(actor: Membership, rule: AudienceRule) -> None:
    require(actor, "audiences.manage")
    _same_organization(actor, rule)
    record(
        "audience_rule.deleted", actor=actor.user, organization=actor.organization, target=("audience_rule", rule.pk)
    )
    rule.delete()


# -- lifting suppressions and opt-outs ---------------------------------------------------------


def _lift_persons_own(organization_id: Any, channel_name: str, key: str) -> list[str]:
    """Lift the opt-out and complaint of one address; a bounce stays (the address may still fail)."""
    lifted = Suppression.objects.filter(
        organization_id=organization_id, channel=channel_name, address_key=key, reason__in=PERSONS_OWN
    )
    causes = sorted(lifted.values_list("reason", flat=True))
    lifted.delete()
    return causes


@transaction.atomic
def do_lift_suppression(actor: Membership, suppression: Suppression, *, note: str) -> None:
    """A lead sends to a bounced address again, saying why. An opt-out or a complaint is the
    person's own decision: only they lift it (do_resubscribe, do_member_opt_in)."""
    require(actor, "audiences.manage")
    if suppression.organization_id != actor.organization_id:
        raise ValidationError(_("Choose an address of your own organisation's list."))
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say why the address may be used again.")})
    if suppression.reason in PERSONS_OWN:
        raise ValidationError(
            _(
                "Only the person can lift an opt-out or a complaint: a subscriber through the preferences "
                "link in any message they received, a member on their own account page."
            )
        )
    changes = {"channel": (suppression.channel, None), "cause": (suppression.reason, None), "note": (None, note)}
    pk = suppression.pk
    suppression.delete()
    record(
        "suppression.lifted",
        actor=actor.user,
        organization=actor.organization,
        target=("suppression", pk),
        changes=changes,
        loggable=LIFT_LOGGABLE,
    )


@transaction.atomic
def do_resubscribe(point: ContactPoint) -> ContactPoint:
    """The person, through the signed preferences link of a message they received, asks for the
    organisation's messages again: consent given anew, and their opt-out or complaint lifted."""
    changes: dict[str, tuple[Any, Any]] = {}
    if point.consent_withdrawn_at is not None:
        point.consent_withdrawn_at = None
        point.consent_given_at, point.consent_how = timezone.now(), ContactPoint.ConsentHow.LINK
        point.save(update_fields=["consent_withdrawn_at", "consent_given_at", "consent_how"])
        changes["consent_withdrawn"] = (True, False)
        changes["consent_how"] = (None, ContactPoint.ConsentHow.LINK)
    lifted = _lift_persons_own(point.organization_id, point.channel, point.address_key)
    if lifted:
        changes["suppression"] = (lifted, None)
    if changes:
        _contact_record("contact_point.resubscribed", point, changes)
    return point


@transaction.atomic
def do_member_opt_in(user: Any, opt_out: MemberOptOut) -> None:
    """A member, signed in as themselves, takes this organisation's messages again."""
    if opt_out.user_id != user.pk:
        raise ValidationError(_("This is not your opt-out."))
    organization = opt_out.organization
    opt_out.delete()
    lifted = _lift_persons_own(
        organization.pk, Channel.EMAIL, hashed_address(organization.pk, Channel.EMAIL, user.email)
    )
    record(
        "member.opted_in",
        actor=user,
        organization=organization,
        target=("account", user.pk),
        changes={"suppression": (lifted, None)} if lifted else {},
        loggable=("suppression",),
    )

"""Freeze an audience once per producer, and stream its recipients to the delivery engine.

An alert's audience is evaluated when it is published and stored as rows: a resume, a retry or
a crash never evaluates the rule again, and a follow-up goes to exactly the same people (minus
those who left since). Producers call only the four functions below; they check no permission
(the producer's `do_*` action has done so) and write no audit entry.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, QuerySet, Subquery, UUIDField, Value
from django.db.models.functions import Coalesce

from salama.core.encryption import DecryptionError
from salama.delivery import channels
from salama.delivery.engine import Recipient, address_key, address_keyer, suppressed_keys
from salama.orgs.models import Organization

from .models import AudienceRule, Channel, ContactPoint, FrozenAudience, FrozenMember, Interest, MemberOptOut
from .rules import matching_members, rule_contact_points, usable_contact_points

log = logging.getLogger("salama.audiences")

CHUNK = 2000
CONTACT_PREFIX = "contact:"
MEMBER_PREFIX = "member:"


def contact_ref(contact_point_id: Any) -> str:
    return f"{CONTACT_PREFIX}{contact_point_id}"


def member_ref(user_id: Any) -> str:
    return f"{MEMBER_PREFIX}{user_id}"


def freeze(
    organization: Organization,
    rule: AudienceRule | None,
    *,
    producer_kind: str,
    producer_id: str,
    extra_subscribers: Iterable[Any] = (),
) -> FrozenAudience:
    """Evaluate the rule once and store its members set-wise; calling it again for the same
    producer returns the audience frozen the first time, whatever the rule says now.

    `extra_subscribers` (subscribers or their ids) are added to what the rule selects, through
    their usable contact points."""
    if rule is not None and rule.organization_id != organization.pk:
        raise ValueError("the rule belongs to another organisation")
    with transaction.atomic():
        audience, created = _claim(organization, producer_kind, producer_id, rule=rule)
        if not created:
            return audience
        contacts = rule_contact_points(organization.pk, rule, extra_subscribers)
        _insert_contact_points(audience, contacts)
        members = matching_members(organization.pk, rule).values_list("pk", "email", "audience_language")
        _insert_members(audience, members)
    return audience


def follow_up(original: FrozenAudience, *, producer_kind: str, producer_id: str) -> FrozenAudience:
    """Exactly the original's members, minus those who opted out, withdrew consent, were
    suppressed or deactivated since. Nobody is added."""
    org_id = original.organization_id
    with transaction.atomic():
        audience, created = _claim(
            original.organization, producer_kind, producer_id, rule=original.rule, original=original
        )
        if not created:
            return audience
        kept = usable_contact_points(org_id).filter(
            pk__in=FrozenMember.objects.filter(audience=original, contact_point__isnull=False).values("contact_point")
        )
        _insert_contact_points(audience, kept, languages_from=original)
        members = (
            FrozenMember.objects.filter(audience=original, user__isnull=False, user__is_active=True)
            .exclude(user__in=MemberOptOut.objects.filter(organization_id=org_id).values("user"))
            .values_list("user_id", "user__email", "language")
        )
        _insert_members(audience, members)
    return audience


def count(audience: FrozenAudience) -> int:
    return FrozenMember.objects.filter(audience=audience).count()


def recipients(audience: FrozenAudience) -> Iterator[Recipient]:
    """One Recipient per member still reachable, in chunks: never the whole audience in memory.

    What changed since freezing is checked again here: a contact point deactivated, withdrawn or
    suppressed, a member who opted out, is skipped."""
    last = 0
    rows = FrozenMember.objects.filter(audience=audience).order_by("pk")
    while True:
        chunk = list(rows.filter(pk__gt=last).values_list("pk", "contact_point_id", "user_id", "language")[:CHUNK])
        if not chunk:
            return
        last = chunk[-1][0]
        contact_languages = {c: lang for _pk, c, _u, lang in chunk if c is not None}
        member_languages = {u: lang for _pk, _c, u, lang in chunk if u is not None}
        yield from _contact_recipients(audience.organization_id, contact_languages)
        yield from _member_recipients(audience.organization_id, member_languages)


# -- internals ---------------------------------------------------------------------------------


def _claim(
    organization: Organization,
    producer_kind: str,
    producer_id: str,
    *,
    rule: AudienceRule | None,
    original: FrozenAudience | None = None,
) -> tuple[FrozenAudience, bool]:
    """The producer's audience, made now unless it exists: the unique constraint settles a race."""
    lookup = {"organization": organization, "producer_kind": producer_kind, "producer_id": str(producer_id)}
    existing = FrozenAudience.objects.filter(**lookup).first()
    if existing is not None:
        return existing, False
    try:
        with transaction.atomic():
            audience = FrozenAudience.objects.create(
                **lookup, rule=rule, rule_name=rule.name if rule else "", original=original
            )
    except IntegrityError:
        return FrozenAudience.objects.get(**lookup), False
    return audience, True


def _first_language() -> Subquery:
    return Subquery(
        Interest.objects.filter(subscriber=OuterRef("subscriber_id"), facet=Interest.Facet.LANGUAGE)
        .order_by("rank")
        .values("code")[:1]
    )


def _insert_contact_points(
    audience: FrozenAudience, contacts: QuerySet[ContactPoint], *, languages_from: FrozenAudience | None = None
) -> None:
    """INSERT ... SELECT: the database copies the selection, nothing passes through Python."""
    if languages_from is None:
        language: Any = Coalesce(_first_language(), Value(""))
    else:
        # A follow-up speaks to each member in the language the original was sent in.
        language = Subquery(
            FrozenMember.objects.filter(audience=languages_from, contact_point=OuterRef("pk")).values("language")[:1]
        )
    selection = (
        contacts.order_by()
        .annotate(
            f_audience=Value(audience.pk, output_field=UUIDField()),
            f_subscriber=F("subscriber_id"),
            f_contact=F("pk"),
            f_channel=F("channel"),
            f_language=language,
        )
        .values_list("f_audience", "f_subscriber", "f_contact", "f_channel", "f_language")
    )
    try:
        sql, params = selection.query.sql_with_params()
    except EmptyResultSet:  # the rule names no subscribers at all
        return
    quote = connection.ops.quote_name
    columns = ", ".join(quote(c) for c in ("audience_id", "subscriber_id", "contact_point_id", "channel", "language"))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {quote(FrozenMember._meta.db_table)} ({columns}) {sql}", params)


def _insert_members(audience: FrozenAudience, members: Iterable[tuple[Any, str, str]]) -> None:
    """Members reach us at their sign-in address, which is not hashed in the database: it is
    hashed here, to skip suppressed addresses and those already in the audience as a contact
    point (one message per address)."""
    email = channels.get(Channel.EMAIL)
    keyer = address_keyer(audience.organization_id, Channel.EMAIL)
    taken = set(
        FrozenMember.objects.filter(audience=audience, channel=Channel.EMAIL, contact_point__isnull=False).values_list(
            "contact_point__address_key", flat=True
        )
    )
    rows: list[tuple[Any, str, str]] = []
    for user_id, address, language in members:
        try:
            key = address_key(keyer, email.normalise(address))
        except channels.InvalidAddress:
            continue
        if key not in taken:
            taken.add(key)
            rows.append((user_id, key, language))
    for start in range(0, len(rows), CHUNK):
        batch = rows[start : start + CHUNK]
        blocked = suppressed_keys(audience.organization_id, Channel.EMAIL, {key for _u, key, _l in batch})
        FrozenMember.objects.bulk_create(
            [
                FrozenMember(audience=audience, user_id=user_id, channel=Channel.EMAIL, language=language)
                for user_id, key, language in batch
                if key not in blocked
            ],
            ignore_conflicts=True,
        )


def _contact_recipients(organization_id: Any, languages: dict[Any, str]) -> Iterator[Recipient]:
    if not languages:
        return
    points = usable_contact_points(organization_id).filter(pk__in=list(languages)).select_related("subscriber")
    for point in points:
        try:
            extra = _channel_extra(point)
            yield Recipient(
                channel=point.channel,
                address=point.address,
                language=languages[point.pk],
                greeting=point.subscriber.display_name,
                contact_ref=contact_ref(point.pk),
                extra=extra,
            )
        except DecryptionError:
            # A shredded or tampered record cannot be sent to; its id, never content, is logged.
            log.warning("contact point %s does not open; skipped", point.pk)


def _channel_extra(point: ContactPoint) -> dict[str, str]:
    """Sealed with the delivery: a webhook's signing secret, an email's OpenPGP key (read when
    the deliveries are made, so a key registered later applies to the next message)."""
    if point.channel == Channel.WEBHOOK:
        return {"secret": point.secret}
    return {"openpgp_key": point.openpgp_key} if point.openpgp_key else {}


def _member_recipients(organization_id: Any, languages: dict[Any, str]) -> Iterator[Recipient]:
    if not languages:
        return
    from django.contrib.auth import get_user_model

    users = (
        get_user_model()
        .objects.filter(pk__in=list(languages), is_active=True)
        .exclude(pk__in=MemberOptOut.objects.filter(organization_id=organization_id).values("user"))
        .values_list("pk", "email", "display_name")
    )
    email = channels.get(Channel.EMAIL)
    keyer = address_keyer(organization_id, Channel.EMAIL)
    keyed = []
    for user_id, address, name in users:
        try:
            keyed.append((user_id, address, name, address_key(keyer, email.normalise(address))))
        except channels.InvalidAddress:
            continue
    blocked = suppressed_keys(organization_id, Channel.EMAIL, {k for *_rest, k in keyed})
    for user_id, address, name, key in keyed:
        if key not in blocked:
            yield Recipient(Channel.EMAIL, address, languages[user_id], name, member_ref(user_id))

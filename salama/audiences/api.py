"""Subscribers, contact points and audience rules in the API, with the UI's permissions.

Listing a subscriber's contact points shows their addresses, so it is recorded like the
subscriber page is. An exact search by address is a POST: the address stays out of URLs."""

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_countries import countries
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints, WithJsonSchema

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires
from salama.audit.actions import record
from salama.core.requests import membership_of
from salama.defenders.access import sector_terms
from salama.orgs.models import Organization

from . import actions
from .access import (
    SubscriberFilters,
    access_contact_point,
    access_rule,
    access_subscriber,
    contact_points_of,
    find_by_address,
    member_organizations,
    rules_of,
    subscribers_of,
    suppressions_of,
    who_is_suppressed,
)
from .forms import clean_language_codes
from .models import AudienceRule, Channel, ContactPoint, Subscriber
from .rules import preview_count

router = Router(tags=["audiences"])

SubscriberKind = Annotated[
    Subscriber.SubscriberKind, WithJsonSchema({"type": "string", "enum": list(Subscriber.SubscriberKind.values)})
]
ChannelName = Annotated[Channel, WithJsonSchema({"type": "string", "enum": list(Channel.values)})]
ConsentHow = Annotated[
    ContactPoint.ConsentHow, WithJsonSchema({"type": "string", "enum": list(ContactPoint.STAFF_CONSENT)})
]
Code = Annotated[str, StringConstraints(max_length=30)]
Codes = list[Code]


class SubscriberOut(Schema):
    id: UUID
    kind: SubscriberKind
    display_name: str
    affiliation: str
    languages: list[str]
    countries: list[str]
    regions: list[str]
    sectors: list[str]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_sectors(obj: Subscriber) -> list[str]:
        return [term.code for term in obj.sectors.all()]


class SubscriberIn(Schema):
    kind: SubscriberKind = Subscriber.SubscriberKind.ACTIVIST
    display_name: str = Field(min_length=1, max_length=200)
    affiliation: str = Field("", max_length=200)
    languages: Codes = Field(default_factory=list, max_length=20, description="Language codes, preferred first.")
    countries: Codes = Field(default_factory=list, max_length=250, description="ISO 3166 country codes.")
    regions: Codes = Field(default_factory=list, max_length=10)
    sectors: Codes = Field(default_factory=list, max_length=50, description="Codes from the sectors vocabulary.")


class SubscriberPatch(SubscriberIn):
    """Only the fields sent are changed."""

    display_name: str = Field("", min_length=1, max_length=200)


class SubscriberFiltersIn(Schema):
    kind: SubscriberKind | None = None
    country: str = Field("", max_length=2)
    region: str = Field("", max_length=30)
    language: str = Field("", max_length=12)


class AddressIn(Schema):
    address: str = Field(min_length=1, max_length=500)


class ContactPointOut(Schema):
    id: UUID
    channel: ChannelName
    address: str
    verified_at: datetime | None
    verified_reason: str
    consent_given_at: datetime | None
    consent_how: str
    consent_withdrawn_at: datetime | None
    active: bool
    openpgp_key: str = Field(description="ASCII-armoured OpenPGP public key; empty for none.")
    openpgp_fingerprint: str = Field(description="Fingerprint of the key, 40 hex digits; empty for none.")


OPENPGP_KEY_DESCRIPTION = (
    "Email only: an ASCII-armoured OpenPGP public key with a valid encryption key and a user id naming the "
    "address. Messages are then sent encrypted (PGP/MIME), never in clear. Empty for none."
)


class ContactPointIn(Schema):
    channel: ChannelName = Channel.EMAIL
    address: str = Field(min_length=1, max_length=500)
    consent_how: ConsentHow
    openpgp_key: str = Field("", max_length=200_000, description=OPENPGP_KEY_DESCRIPTION)


class ContactPointPatch(Schema):
    address: str | None = Field(None, min_length=1, max_length=500)
    active: bool | None = None
    openpgp_key: str | None = Field(None, max_length=200_000, description=OPENPGP_KEY_DESCRIPTION)


class VerifyIn(Schema):
    reason: str = Field(min_length=1, max_length=200, description="How the address was confirmed.")


class RuleOut(Schema):
    id: int
    name: str
    member_organizations: list[str] = Field(description="Slugs.")
    subscriber_kinds: list[str]
    countries: list[str]
    regions: list[str]
    sectors: list[str]
    languages: list[str]
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_member_organizations(obj: AudienceRule) -> list[str]:
        return [org.slug for org in obj.member_organizations.all()]

    @staticmethod
    def resolve_sectors(obj: AudienceRule) -> list[str]:
        return [term.code for term in obj.sectors.all()]


class RuleIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    member_organizations: Codes = Field(default_factory=list, max_length=500, description="Organisation slugs.")
    subscriber_kinds: list[SubscriberKind] = Field(default_factory=list)
    countries: Codes = Field(default_factory=list, max_length=250)
    regions: Codes = Field(default_factory=list, max_length=10)
    sectors: Codes = Field(default_factory=list, max_length=50)
    languages: Codes = Field(default_factory=list, max_length=20)


class RulePatch(RuleIn):
    name: str = Field("", min_length=1, max_length=200)


class PreviewOut(Schema):
    contact_points: int
    members: int
    total: int


def _interests(data: dict[str, Any]) -> dict[str, Any]:
    """Codes checked as the forms check them; sectors turned into terms."""
    if "languages" in data:
        data["languages"] = clean_language_codes(", ".join(data["languages"]))
    if "countries" in data:
        data["countries"] = [code.upper() for code in data["countries"]]
        if any(code not in countries for code in data["countries"]):
            raise ValidationError({"countries": [_("Not a known country code.")]})
    if any(code not in Organization.Region.values for code in data.get("regions", [])):
        raise ValidationError({"regions": [_("Not a known region.")]})
    if "sectors" in data:
        codes = set(data["sectors"])
        terms = list(sector_terms().filter(code__in=codes))
        if len(terms) != len(codes):
            raise ValidationError({"sectors": [_("Unknown sector code.")]})
        data["sectors"] = terms
    return data


def _rule_fields(payload: RuleIn, *, partial: bool = False) -> dict[str, Any]:
    data = _interests(payload.dict(exclude_unset=partial))
    if "member_organizations" in data:
        slugs = set(data["member_organizations"])
        orgs = list(member_organizations().filter(slug__in=slugs))
        if len(orgs) != len(slugs):
            raise ValidationError({"member_organizations": [_("Unknown organisation.")]})
        data["member_organizations"] = orgs
    if "subscriber_kinds" in data:
        data["subscriber_kinds"] = [str(kind) for kind in data["subscriber_kinds"]]
    return data


# -- subscribers -------------------------------------------------------------------------------


@router.get("/organizations/{org_slug}/subscribers", response={200: list[SubscriberOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("audiences.view")
def list_subscribers(request: HttpRequest, org_slug: str, filters: Query[SubscriberFiltersIn]):  # type: ignore[no-untyped-def]
    chosen = SubscriberFilters(filters.kind or "", filters.country.upper(), filters.region, filters.language.lower())
    return subscribers_of(membership_of(request), chosen)


@router.post("/organizations/{org_slug}/subscribers/search", response={200: list[SubscriberOut], **ERRORS})
@requires("audiences.view")
def search_subscribers(request: HttpRequest, org_slug: str, payload: AddressIn):  # type: ignore[no-untyped-def]
    """The subscribers with exactly this address (email or webhook)."""
    return find_by_address(membership_of(request), payload.address)


@router.post("/organizations/{org_slug}/subscribers", response={201: SubscriberOut, **ERRORS})
@requires("audiences.manage")
def create_subscriber(request: HttpRequest, org_slug: str, payload: SubscriberIn):  # type: ignore[no-untyped-def]
    subscriber = actions.do_create_subscriber(membership_of(request), **_interests(payload.dict()))
    return Status(201, access_subscriber(membership_of(request), subscriber.pk))


@router.get("/organizations/{org_slug}/subscribers/{subscriber_id}", response={200: SubscriberOut, **ERRORS})
@requires("audiences.view")
def get_subscriber(request: HttpRequest, org_slug: str, subscriber_id: UUID):  # type: ignore[no-untyped-def]
    return access_subscriber(membership_of(request), subscriber_id)


@router.patch("/organizations/{org_slug}/subscribers/{subscriber_id}", response={200: SubscriberOut, **ERRORS})
@requires("audiences.manage")
def update_subscriber(request: HttpRequest, org_slug: str, subscriber_id: UUID, payload: SubscriberPatch):  # type: ignore[no-untyped-def]
    subscriber = access_subscriber(membership_of(request), subscriber_id)
    actions.do_update_subscriber(membership_of(request), subscriber, **_interests(payload.dict(exclude_unset=True)))
    return access_subscriber(membership_of(request), subscriber_id)


@router.delete("/organizations/{org_slug}/subscribers/{subscriber_id}", response={204: None, **ERRORS})
@requires("audiences.manage")
def delete_subscriber(request: HttpRequest, org_slug: str, subscriber_id: UUID):  # type: ignore[no-untyped-def]
    actions.do_delete_subscriber(membership_of(request), access_subscriber(membership_of(request), subscriber_id))
    return Status(204, None)


# -- contact points ----------------------------------------------------------------------------

POINTS = "/organizations/{org_slug}/subscribers/{subscriber_id}/contact-points"
POINT = POINTS + "/{contact_point_id}"


@router.get(POINTS, response={200: list[ContactPointOut], **ERRORS})
@requires("audiences.view")
def list_contact_points(request: HttpRequest, org_slug: str, subscriber_id: UUID):  # type: ignore[no-untyped-def]
    """Shows the addresses: recorded in the audit log, as the subscriber page is."""
    me = membership_of(request)
    subscriber = access_subscriber(me, subscriber_id)
    record("subscriber.viewed", actor=me.user, organization=me.organization, target=("subscriber", subscriber.pk))
    return list(contact_points_of(subscriber))


@router.post(POINTS, response={201: ContactPointOut, **ERRORS})
@requires("audiences.manage")
def create_contact_point(request: HttpRequest, org_slug: str, subscriber_id: UUID, payload: ContactPointIn):  # type: ignore[no-untyped-def]
    subscriber = access_subscriber(membership_of(request), subscriber_id)
    data = payload.dict()
    point = actions.do_add_contact_point(
        membership_of(request),
        subscriber,
        channel=str(data["channel"]),
        address=data["address"],
        consent_how=str(data["consent_how"]),
        openpgp_key=data["openpgp_key"],
    )
    return Status(201, point)


@router.patch(POINT, response={200: ContactPointOut, **ERRORS})
@requires("audiences.manage")
def update_contact_point(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, subscriber_id: UUID, contact_point_id: UUID, payload: ContactPointPatch
):
    point = access_contact_point(access_subscriber(membership_of(request), subscriber_id), contact_point_id)
    return actions.do_update_contact_point(membership_of(request), point, **payload.dict(exclude_unset=True))


@router.delete(POINT, response={204: None, **ERRORS})
@requires("audiences.manage")
def delete_contact_point(request: HttpRequest, org_slug: str, subscriber_id: UUID, contact_point_id: UUID):  # type: ignore[no-untyped-def]
    point = access_contact_point(access_subscriber(membership_of(request), subscriber_id), contact_point_id)
    actions.do_delete_contact_point(membership_of(request), point)
    return Status(204, None)


@router.post(POINT + "/verify", response={200: ContactPointOut, **ERRORS})
@requires("audiences.verify")
def verify_contact_point(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, subscriber_id: UUID, contact_point_id: UUID, payload: VerifyIn
):
    """An admin vouches for the address (confirmed another way); the reason is kept in the log."""
    point = access_contact_point(access_subscriber(membership_of(request), subscriber_id), contact_point_id)
    return actions.do_verify_contact_point(membership_of(request), point, reason=payload.reason)


@router.post(POINT + "/send-verification", response={202: None, **ERRORS})
@requires("audiences.manage")
def send_contact_point_verification(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, subscriber_id: UUID, contact_point_id: UUID
):
    point = access_contact_point(access_subscriber(membership_of(request), subscriber_id), contact_point_id)
    actions.do_send_verification(membership_of(request), point)
    return Status(202, None)


@router.post(POINT + "/withdraw-consent", response={200: ContactPointOut, **ERRORS})
@requires("audiences.manage")
def withdraw_contact_point_consent(  # type: ignore[no-untyped-def]
    request: HttpRequest, org_slug: str, subscriber_id: UUID, contact_point_id: UUID
):
    point = access_contact_point(access_subscriber(membership_of(request), subscriber_id), contact_point_id)
    return actions.do_withdraw_consent(membership_of(request), point)


# -- audience rules ----------------------------------------------------------------------------

RULES = "/organizations/{org_slug}/audience-rules"


@router.get(RULES, response={200: list[RuleOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("audiences.view")
def list_audience_rules(request: HttpRequest, org_slug: str):  # type: ignore[no-untyped-def]
    return rules_of(membership_of(request))


@router.post(RULES, response={201: RuleOut, **ERRORS})
@requires("audiences.manage")
def create_audience_rule(request: HttpRequest, org_slug: str, payload: RuleIn):  # type: ignore[no-untyped-def]
    rule = actions.do_create_rule(membership_of(request), **_rule_fields(payload))
    return Status(201, access_rule(membership_of(request), rule.pk))


@router.get(RULES + "/{rule_id}", response={200: RuleOut, **ERRORS})
@requires("audiences.view")
def get_audience_rule(request: HttpRequest, org_slug: str, rule_id: int):  # type: ignore[no-untyped-def]
    return access_rule(membership_of(request), rule_id)


@router.patch(RULES + "/{rule_id}", response={200: RuleOut, **ERRORS})
@requires("audiences.manage")
def update_audience_rule(request: HttpRequest, org_slug: str, rule_id: int, payload: RulePatch):  # type: ignore[no-untyped-def]
    rule = access_rule(membership_of(request), rule_id)
    actions.do_update_rule(membership_of(request), rule, **_rule_fields(payload, partial=True))
    return access_rule(membership_of(request), rule_id)


@router.delete(RULES + "/{rule_id}", response={204: None, **ERRORS})
@requires("audiences.manage")
def delete_audience_rule(request: HttpRequest, org_slug: str, rule_id: int):  # type: ignore[no-untyped-def]
    actions.do_delete_rule(membership_of(request), access_rule(membership_of(request), rule_id))
    return Status(204, None)


@router.get(RULES + "/{rule_id}/preview", response={200: PreviewOut, **ERRORS})
@requires("audiences.view")
def preview_audience_rule(request: HttpRequest, org_slug: str, rule_id: int):  # type: ignore[no-untyped-def]
    """How many the rule reaches now; never who."""
    return preview_count(access_rule(membership_of(request), rule_id))


# -- suppressions ------------------------------------------------------------------------------


class SuppressionOut(Schema):
    id: int
    channel: str
    reason: Literal["bounce", "complaint", "opt_out"]
    code: str = Field(description="The error code that caused a bounce, if any.")
    created_at: datetime
    address: str = Field(description="Masked: the first character and the domain (email), or the host (webhook).")
    subscriber: UUID | None = Field(description="The subscriber whose contact point has this address, if any.")
    member: bool = Field(description="The address is a network member's sign-in address (an opt-out).")


class SuppressionFiltersIn(Schema):
    channel: ChannelName | None = None
    reason: Literal["bounce", "complaint", "opt_out"] | None = None


class _MaskedPage:
    """The suppressions as a sliceable sequence: the paginator counts them in SQL and masks only
    the page it returns."""

    def __init__(self, membership: Any, queryset: Any) -> None:
        self.membership, self.queryset = membership, queryset

    def __len__(self) -> int:
        return int(self.queryset.count())

    def __getitem__(self, window: slice) -> list[dict[str, Any]]:
        return [
            {
                "id": row.suppression.pk,
                "channel": row.suppression.channel,
                "reason": row.suppression.reason,
                "code": row.suppression.code,
                "created_at": row.suppression.created_at,
                "address": row.masked,
                "subscriber": row.contact_point.subscriber_id if row.contact_point else None,
                "member": row.member is not None,
            }
            for row in who_is_suppressed(self.membership, self.queryset[window])
        ]


@router.get("/organizations/{org_slug}/suppressions", response={200: list[SuppressionOut], **ERRORS})
@paginate(PageNumberPagination)
@requires("audiences.view")
def list_suppressions(request: HttpRequest, org_slug: str, filters: Query[SuppressionFiltersIn]):  # type: ignore[no-untyped-def]
    """Addresses nothing is sent to, newest first, masked as on the page. Lifting one is done on
    the page, with a written reason."""
    me = membership_of(request)
    return _MaskedPage(me, suppressions_of(me, filters.channel or "", filters.reason or ""))

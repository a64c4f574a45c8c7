"""Every route of the web UI and the API, found from the URL resolver and the OpenAPI document,
with sample arguments to reach each. Used by the route x role matrix and the header crawl."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver, reverse

from salama.core.testing import Cast

API_NAMESPACE = "api-1"


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name"
    params: tuple[str, ...]
    # In a partner's URL space (/o/<partner>/shared/...): the organisation in the URL is B, and
    # what B may see there follows the sample sharing grant from A.
    partner: bool = False


# Where a partner reads what another organisation shared with it, in the UI and the API.
PARTNER_SPACE = re.compile(r"/shared(?:-cases)?(?:/|$)")


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = (
                f"{namespace}:{entry.namespace}" if namespace and entry.namespace else (entry.namespace or namespace)
            )
            yield from _walk(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            yield namespace, entry


def web_routes() -> list[Route]:
    """Every named web route (the API is covered through its OpenAPI document)."""
    routes: dict[str, Route] = {}
    for namespace, pattern in _walk(get_resolver().url_patterns):
        if namespace.startswith(API_NAMESPACE):
            continue
        if not pattern.name:
            raise AssertionError(f"route {pattern.pattern} has no name, so it can have no policy")
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        params = tuple(re.findall(r"<(?:\w+:)?(\w+)>", str(pattern.pattern)))
        routes[name] = Route(name, params, bool(PARTNER_SPACE.search("/" + str(pattern.pattern))))
    return sorted(routes.values(), key=lambda route: route.name)


def _invitation(cast: Cast) -> Any:
    from salama.orgs.actions import do_invite

    return do_invite(cast.membership("a_admin"), "invitee@example.org", "viewer")


def _vocabulary(cast: Cast) -> str:
    from salama.vocab.actions import load_default_vocabularies

    load_default_vocabularies()  # idempotent: each call after the first changes nothing
    return "violation-types"


def _defender(cast: Cast) -> Any:
    """One sample defender in org A, shared by every parameter that hangs off it."""
    from salama.defenders.actions import do_create_defender
    from salama.defenders.models import Defender

    existing = Defender.objects.filter(organization=cast.org_a, public_name="Sample defender").first()
    if existing is not None:
        return existing
    return do_create_defender(cast.membership("a_admin"), public_name="Sample defender", phone="+57 300 000 0000")


def _consent(cast: Cast) -> Any:
    from datetime import date

    from salama.defenders.actions import do_record_consent

    return do_record_consent(cast.membership("a_admin"), _defender(cast), scope="publish", given_on=date(2024, 5, 1))


def _trusted_contact(cast: Cast) -> Any:
    from salama.defenders.actions import do_add_trusted_contact

    return do_add_trusted_contact(cast.membership("a_admin"), _defender(cast), name="Sample contact")


def _case(cast: Cast) -> Any:
    """One sample case in org A whose team is `a_caseworker_team` alone (see CASE_TEAM)."""
    from salama.cases.actions import do_add_team_member, do_open_case, do_remove_team_member
    from salama.cases.models import Case

    existing = Case.objects.filter(organization=cast.org_a, title="Sample case").first()
    if existing is not None:
        return existing
    admin = cast.membership("a_admin")
    case = do_open_case(admin, title="Sample case", defenders=[_defender(cast)], summary="Sample summary")
    do_add_team_member(admin, case, cast.a_caseworker_team)
    do_remove_team_member(admin, case, cast.a_admin)  # the opener joins the team; the sample wants one
    return case


def _evidence(cast: Cast) -> Any:
    """A small PNG uploaded to the sample case (so it has a cleaned copy)."""
    import io

    from PIL import Image

    from salama.evidence.actions import do_upload
    from salama.evidence.models import EvidenceFile

    existing = EvidenceFile.objects.filter(organization=cast.org_a, title="Sample evidence").first()
    if existing is not None:
        return existing
    png = io.BytesIO()
    Image.new("RGB", (4, 4), (200, 30, 30)).save(png, "PNG")
    return do_upload(
        cast.membership("a_admin"), _case(cast), title="Sample evidence", content=png.getvalue(), name="sample.png"
    )


def _incident(cast: Cast) -> Any:
    """One sample incident on the sample case."""
    from datetime import date

    from salama.incidents.actions import do_record_incident
    from salama.incidents.models import Incident
    from salama.vocab.models import Term

    existing = Incident.objects.filter(organization=cast.org_a, title="Sample incident").first()
    if existing is not None:
        return existing
    _vocabulary(cast)
    violation = Term.objects.get(vocabulary__code="violation-types", code="death-threats")
    return do_record_incident(
        cast.membership("a_admin"),
        _case(cast),
        title="Sample incident",
        date_start=date(2024, 5, 1),
        narrative="Sample narrative",
        acts=[{"violation": violation}],
    )


def _import_batch(cast: Cast) -> Any:
    """An uploaded, not yet imported file in org A."""
    from salama.transfer.actions import do_upload
    from salama.transfer.models import ImportBatch

    existing = ImportBatch.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    return do_upload(cast.membership("a_admin"), "defenders", "sample.csv", b"public_name\nSample imported\n")


def _grant(cast: Cast) -> Any:
    """The sample sharing grant: the sample case, from A to B, full record with evidence (so
    every partner route is in scope), with the consent to share with B that a grant needs."""
    from datetime import date, timedelta

    from django.utils import timezone

    from salama.defenders.actions import do_record_consent
    from salama.sharing.actions import do_share_case
    from salama.sharing.models import Scope, SharingGrant

    existing = SharingGrant.objects.filter(case__organization=cast.org_a, to_organization=cast.org_b).first()
    if existing is not None:
        return existing
    admin = cast.membership("a_admin")
    case = _case(cast)
    _evidence(cast)
    _incident(cast)
    do_record_consent(
        admin, _defender(cast), scope="share_with_organisation", organization=cast.org_b, given_on=date(2024, 5, 1)
    )
    return do_share_case(
        admin,
        case,
        to_organization=cast.org_b,
        scope=Scope.FULL_RECORD_WITH_EVIDENCE,
        purpose="Sample referral",
        expires_at=timezone.now() + timedelta(days=30),
    )


def _alert(cast: Cast) -> Any:
    """A draft urgent alert in org A with an English text and one target, written by A's admin."""
    from salama.alerts.actions import do_create_alert, do_save_target, do_save_version
    from salama.alerts.models import Alert

    existing = Alert.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    admin = cast.membership("a_admin")
    alert = do_create_alert(admin)
    do_save_version(admin, alert, "en", title="Sample alert", summary="Sample summary")
    do_save_target(admin, alert, name="Sample minister")
    return alert


def _risk_assessment(cast: Cast) -> Any:
    """A draft risk assessment of the sample defender (so its need to know follows the sample
    case's), with one threat, one vulnerability and one capacity, started by A's admin."""
    from salama.risk.actions import do_add_capacity, do_add_threat, do_add_vulnerability, do_start_assessment
    from salama.risk.models import RiskAssessment

    existing = RiskAssessment.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    admin = cast.membership("a_admin")
    assessment = do_start_assessment(admin, _case(cast).defenders.get(), context="Sample context")
    do_add_threat(admin, assessment, likelihood=4, impact=5, facts="Sample facts")
    vulnerability = do_add_vulnerability(admin, assessment, domain="digital", severity=4, description="Sample")
    do_add_capacity(admin, assessment, domain="digital", strength=2, offsets=vulnerability)
    return assessment


def _protection_plan(cast: Cast) -> Any:
    """A protection plan of the sample defender with one measure."""
    from salama.risk.actions import do_add_measure, do_create_plan
    from salama.risk.models import ProtectionPlan

    existing = ProtectionPlan.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    admin = cast.membership("a_admin")
    assessment = _risk_assessment(cast)
    plan = do_create_plan(admin, assessment.defender, title="Sample plan", assessment=assessment)
    do_add_measure(admin, plan, title="Sample measure", description="Sample description")
    return plan


def _public_alert(cast: Cast) -> Any:
    """A published public-scope alert in org A: the only kind with a public page."""
    from salama.alerts.actions import do_approve, do_create_alert, do_publish, do_save_version, do_submit
    from salama.alerts.models import Alert

    existing = Alert.objects.filter(organization=cast.org_a, scope=Alert.Scope.PUBLIC, state="published").first()
    if existing is not None:
        return existing
    alert = do_create_alert(cast.membership("a_coordinator"), scope=Alert.Scope.PUBLIC)
    do_save_version(cast.membership("a_coordinator"), alert, "en", title="Sample public alert", summary="Public")
    do_submit(cast.membership("a_coordinator"), alert)
    do_approve(cast.membership("a_admin"), alert)
    return do_publish(cast.membership("a_admin"), alert, second_factor_confirmed=True)


def _matrix_room(cast: Cast) -> Any:
    from salama.delivery.channels.matrix.models import MatrixRoom

    existing = MatrixRoom.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    room = MatrixRoom(organization=cast.org_a, homeserver="https://matrix.example.org", room_id="!sample:example.org")
    room.access_token = "sample-token"
    room.save()
    return room


def _suppression(cast: Cast) -> Any:
    """A bounced address on organisation A's list."""
    from salama.delivery import engine
    from salama.delivery.models import Suppression

    existing = Suppression.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    engine.suppress(cast.org_a, "email", "bounced@example.net", Suppression.Reason.BOUNCE)
    return Suppression.objects.get(organization=cast.org_a)


def _member_opt_out(cast: Cast) -> Any:
    """Organisation A's viewer stopped organisation B's messages."""
    from salama.audiences.actions import do_member_opt_out
    from salama.audiences.models import MemberOptOut

    do_member_opt_out(cast.org_b, cast.people["a_viewer"])
    return MemberOptOut.objects.get(organization=cast.org_b, user=cast.people["a_viewer"])


# The states of the sample grant the matrix is run in; only "active" lets B in.
GRANT_STATES = ("active", "expired", "revoked")


def set_grant_state(cast: Cast, state: str) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from salama.sharing.actions import do_revoke_grant
    from salama.sharing.models import SharingGrant

    grant = _grant(cast)
    if state == "expired":  # no action makes a grant that already ended: set the date directly
        SharingGrant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    elif state == "revoked":
        do_revoke_grant(cast.membership("a_admin"), grant)


def _subscriber(cast: Cast) -> Any:
    """One sample subscriber in org A with one email contact point."""
    from salama.audiences.actions import do_add_contact_point, do_create_subscriber
    from salama.audiences.models import Subscriber

    existing = Subscriber.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    admin = cast.membership("a_admin")
    subscriber = do_create_subscriber(admin, kind="journalist", display_name="Sample subscriber", languages=["es"])
    address = "sample.subscriber@example.net"
    do_add_contact_point(admin, subscriber, channel="email", address=address, consent_how="form")
    return subscriber


def _audience_rule(cast: Cast) -> Any:
    from salama.audiences.actions import do_create_rule
    from salama.audiences.models import AudienceRule

    existing = AudienceRule.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    return do_create_rule(cast.membership("a_admin"), name="Sample rule", subscriber_kinds=["journalist"])


def _schedule(cast: Cast) -> Any:
    """A check-in schedule of the sample defender, on the sample case."""
    from salama.safety.actions import do_create_schedule
    from salama.safety.models import CheckInSchedule

    existing = CheckInSchedule.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    return do_create_schedule(cast.membership("a_admin"), defender=_defender(cast), case=_case(cast))[0]


def _emergency(cast: Cast) -> Any:
    """An open SOS for the sample defender, raised by the admin on the sample case."""
    from salama.safety.actions import do_raise_sos
    from salama.safety.models import Emergency

    existing = Emergency.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    return do_raise_sos(defender=_defender(cast), actor=cast.membership("a_admin"), case=_case(cast), location="x")


def _protection_actor(cast: Cast) -> str:
    """A shipped directory entry (loaded by a data migration; loading again changes nothing)."""
    from salama.directory.data import load_actors

    load_actors()
    return "front-line-defenders"


# Who is on the sample case's team: the route matrix reads this to expect 404 for the others.
def _statement(cast: Cast) -> Any:
    """A draft joint statement of org A with an English text and no case: B is not invited."""
    from salama.statements.actions import do_create_statement, do_save_text
    from salama.statements.models import JointStatement

    existing = JointStatement.objects.filter(organization=cast.org_a, title="Sample statement").first()
    if existing is not None:
        return existing
    statement = do_create_statement(cast.membership("a_admin"), title="Sample statement")
    do_save_text(cast.membership("a_admin"), statement, "en", title="Sample statement", body="We stand together.")
    return statement


def _public_statement(cast: Cast) -> Any:
    """A statement of org A published with a public page: the only kind the public sees."""
    from salama.statements.actions import do_close, do_create_statement, do_open, do_publish, do_save_text
    from salama.statements.models import JointStatement

    existing = JointStatement.objects.filter(organization=cast.org_a, title="Sample public statement").first()
    if existing is not None:
        return existing
    lead = cast.membership("a_admin")
    statement = do_create_statement(lead, title="Sample public statement")
    do_save_text(lead, statement, "en", title="Sample public statement", body="Published.")
    do_open(lead, statement, signature_deadline=None)
    do_close(lead, statement)
    return do_publish(lead, statement, public_page=True)


def _response(cast: Cast) -> Any:
    """An active emergency grant on the sample case (its need to know follows the case's), with
    one disbursement, recorded by A's admin."""
    from datetime import date
    from decimal import Decimal

    from salama.responses.actions import do_add_step, do_create_response
    from salama.responses.models import Response

    existing = Response.objects.filter(organization=cast.org_a, status="active", kind="emergency_grant").first()
    if existing is not None:
        return existing
    admin = cast.membership("a_admin")
    response = do_create_response(admin, _case(cast), kind="emergency_grant", status="active")
    do_add_step(admin, response, kind="disbursement", occurred_on=date(2024, 5, 2), amount=Decimal("500"))
    return response


def _lesson(cast: Cast) -> Any:
    """A lesson of org A, from a closed accompaniment on the sample case (not shared)."""
    from salama.responses.actions import do_close_response, do_create_response
    from salama.responses.models import Lesson

    existing = Lesson.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    admin = cast.membership("a_admin")
    response = do_create_response(admin, _case(cast), kind="accompaniment")
    return do_close_response(
        admin, response, status="completed", outcome="achieved", what_worked="Visible presence", what_did_not_work="-"
    )


def _referral(cast: Cast) -> Any:
    """A draft referral of the sample case to the UN Special Rapporteur (no consent: a draft)."""
    from salama.directory.models import ProtectionActor
    from salama.referrals.actions import do_create_referral
    from salama.referrals.models import Referral

    existing = Referral.objects.filter(organization=cast.org_a).first()
    if existing is not None:
        return existing
    actor, _created = ProtectionActor.objects.get_or_create(
        slug="un-sr-hrd", defaults={"name": "UN Special Rapporteur on human rights defenders", "kind": "mechanism"}
    )
    case = _case(cast)
    return do_create_referral(cast.membership("a_admin"), case, to=actor, defenders=case.defenders.all())


def _warning_flag(cast: Cast) -> Any:
    """An early-warning escalation of the sample defender in org A (behind its need to know),
    resting on the sample incident."""
    from datetime import date

    from salama.analytics.models import WarningFlag

    existing = WarningFlag.objects.filter(organization=cast.org_a, key="escalation:sample").first()
    if existing is not None:
        return existing
    return WarningFlag.objects.create(
        organization=cast.org_a,
        kind=WarningFlag.Kind.ESCALATION,
        key="escalation:sample",
        month=date(2024, 5, 1),
        defender=_defender(cast),
        figures={
            "rule": "threats_to_attacks",
            "explanation": "Sample explanation",
            "incidents": [str(_incident(cast).pk)],
            "first": "2024-05-01",
            "last": "2024-05-01",
        },
    )


def _warning_subscription(cast: Cast) -> Any:
    """Org A's admin's subscription to early warnings from CO (see WARNING_SUBSCRIPTION_OWNER)."""
    from salama.analytics.actions import do_subscribe_warnings

    return do_subscribe_warnings(cast.membership(WARNING_SUBSCRIPTION_OWNER), country="CO")


# Whose the sample early-warning subscription is: anyone else is told it does not exist.
WARNING_SUBSCRIPTION_OWNER = "a_admin"


CASE_TEAM = frozenset({"a_caseworker_team"})


# How to fill each URL parameter. A new parameter name fails the suite until it is added here.
SAMPLES: dict[str, Callable[[Cast], Any]] = {
    "org_slug": lambda cast: cast.org_a.slug,
    "membership_id": lambda cast: cast.membership("a_caseworker_other").pk,
    "invitation_id": lambda cast: _invitation(cast).pk,
    "token": lambda cast: _invitation(cast).link_token,
    "token_id": lambda cast: cast.a_admin.api_tokens.first().pk,
    "handle": lambda cast: "no-such-session",
    "kind": lambda cast: "totp",
    "device_id": lambda cast: 1,
    "uidb64": lambda cast: "MQ",
    "code": _vocabulary,
    # The sample defender is always on the sample case: its need to know follows the case's.
    "defender_id": lambda cast: _case(cast).defenders.get().pk,
    "consent_id": lambda cast: _consent(cast).pk,
    "contact_id": lambda cast: _trusted_contact(cast).pk,
    "case_id": lambda cast: _case(cast).pk,
    "evidence_id": lambda cast: _evidence(cast).pk,
    "incident_id": lambda cast: _incident(cast).pk,
    "user_id": lambda cast: cast.a_caseworker_team.pk,
    "batch_id": lambda cast: _import_batch(cast).pk,
    "grant_id": lambda cast: _grant(cast).pk,
    "subscriber_id": lambda cast: _subscriber(cast).pk,
    "contact_point_id": lambda cast: _subscriber(cast).contact_points.get().pk,
    "rule_id": lambda cast: _audience_rule(cast).pk,
    "alert_id": lambda cast: _alert(cast).pk,
    "assessment_id": lambda cast: _risk_assessment(cast).pk,
    "step": lambda cast: 1,
    "plan_id": lambda cast: _protection_plan(cast).pk,
    "measure_id": lambda cast: _protection_plan(cast).measures.get().pk,
    "target_id": lambda cast: _alert(cast).targets.get().pk,
    "public_alert_id": lambda cast: _public_alert(cast).pk,
    "room_id": lambda cast: _matrix_room(cast).pk,
    "suppression_id": lambda cast: _suppression(cast).pk,
    "opt_out_id": lambda cast: _member_opt_out(cast).pk,
    "language": lambda cast: "en",
    "schedule_id": lambda cast: _schedule(cast).pk,
    "emergency_id": lambda cast: _emergency(cast).pk,
    "mail_number": lambda cast: 0,  # the demo mailbox's first message (see mailbox_fixtures)
    "response_id": lambda cast: _response(cast).pk,
    "step_id": lambda cast: _response(cast).steps.get().pk,
    "lesson_id": lambda cast: _lesson(cast).pk,
    "actor_slug": lambda cast: _protection_actor(cast),
    "statement_id": lambda cast: _statement(cast).pk,
    "public_statement_id": lambda cast: _public_statement(cast).pk,
    "referral_id": lambda cast: _referral(cast).pk,
    "doc_kind": lambda cast: "un_sr_communication",
    "warning_flag_id": lambda cast: _warning_flag(cast).pk,
    "warning_subscription_id": lambda cast: _warning_subscription(cast).pk,
}


def url_for(route: Route, cast: Cast) -> str:
    kwargs = {}
    if route.partner:
        _grant(cast)
    for param in route.params:
        if param == "org_slug" and route.partner:
            kwargs[param] = cast.org_b.slug
            continue
        if param == "token" and route.name.startswith("accounts:password_reset"):
            kwargs[param] = "set-password"
            continue
        if param not in SAMPLES:
            raise AssertionError(f"no sample value for URL parameter {param!r} of {route.name}: add one to SAMPLES")
        kwargs[param] = SAMPLES[param](cast)
    return reverse(route.name, kwargs=kwargs)

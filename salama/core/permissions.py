"""Roles, what each may do, and the policy of every route: declared here, once, as data.

A check answers with a `Decision`: allowed, or denied with a reason a person can read. Routes
are deny-by-default: `AccessPolicyMiddleware` refuses any view whose name is not in
`ROUTE_POLICIES`, and API operations declare theirs through `salama.api.policies.requires`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Organisation admin")
    COORDINATOR = "coordinator", _("Coordinator")
    CASEWORKER = "caseworker", _("Caseworker")
    VIEWER = "viewer", _("Viewer")


ALL_ROLES = frozenset(Role)
MANAGERS = frozenset({Role.ADMIN})
LEADS = frozenset({Role.ADMIN, Role.COORDINATOR})
EDITORS = frozenset({Role.ADMIN, Role.COORDINATOR, Role.CASEWORKER})
# Need to know: these roles see only the cases whose team they are on; every other role sees
# all of its organisation's cases. Enforced by salama.cases.access, read by the route matrix.
TEAM_ONLY_ROLES = frozenset({Role.CASEWORKER, Role.VIEWER})


@dataclass(frozen=True)
class Permission:
    code: str
    roles: frozenset[Role]
    denial: Promise  # shown to a member whose role lacks it


PERMISSIONS: dict[str, Permission] = {
    p.code: p
    for p in [
        Permission("org.view", ALL_ROLES, _("You are not a member of this organisation.")),
        Permission("org.edit", MANAGERS, _("Only organisation admins can change the organisation's details.")),
        Permission("members.view", ALL_ROLES, _("Your role cannot see the member list.")),
        Permission("members.manage", MANAGERS, _("Only organisation admins can invite members or change roles.")),
        Permission("audit.view", MANAGERS, _("Only organisation admins can see the audit log.")),
        # Delivery channels hold the organisation's bot credentials (a Matrix access token):
        # admins, like members and the audit log. Its own permission rather than org.edit, so
        # the refusal says what it is about and the two can be given apart later.
        Permission("delivery.configure", MANAGERS, _("Only organisation admins can configure delivery channels.")),
        Permission("defenders.view", ALL_ROLES, _("Your role cannot see the defenders.")),
        Permission("defenders.edit", EDITORS, _("Viewers cannot change defenders, consents or trusted contacts.")),
        Permission("defenders.reveal", EDITORS, _("Viewers cannot reveal a defender's protected details.")),
        Permission("defenders.delete", MANAGERS, _("Only organisation admins can delete a defender.")),
        Permission("defenders.import", LEADS, _("Only admins and coordinators can import defenders.")),
        Permission("defenders.export", LEADS, _("Only admins and coordinators can export defenders.")),
        Permission("incidents.import", LEADS, _("Only admins and coordinators can import incidents.")),
        # The import pages: whoever may import at least one kind of record. The kind's own
        # permission above is checked again for each file (salama.transfer).
        Permission("records.import", LEADS, _("Only admins and coordinators can import records.")),
        Permission("cases.view", ALL_ROLES, _("Your role cannot see cases.")),
        Permission("cases.edit", EDITORS, _("Viewers cannot open or change cases.")),
        Permission("cases.reveal", EDITORS, _("Viewers cannot reveal a case's summary or notes.")),
        Permission("cases.manage_team", LEADS, _("Only admins and coordinators can change a case team.")),
        Permission("cases.delete", MANAGERS, _("Only organisation admins can delete a case.")),
        Permission("cases.share", LEADS, _("Only admins and coordinators can share a case with another organisation.")),
        # Cases and incidents: each person exports only what need to know lets them see.
        Permission("cases.export", EDITORS, _("Viewers cannot export cases or incidents.")),
        # The subscriber list names who acts for defenders: leads only, like exports.
        Permission("audiences.view", LEADS, _("Only admins and coordinators can see subscribers and audiences.")),
        Permission("audiences.manage", LEADS, _("Only admins and coordinators can change subscribers and audiences.")),
        Permission(
            "audiences.verify", MANAGERS, _("Only organisation admins can mark an address verified without a link.")
        ),
        # Urgent alerts. Approving is a second person's job (the two-person rule, checked in
        # salama.alerts.actions); publishing also needs a fresh second factor.
        Permission("alerts.view", ALL_ROLES, _("Your role cannot see urgent alerts.")),
        Permission("alerts.edit", EDITORS, _("Viewers cannot write or change urgent alerts.")),
        Permission("alerts.approve", LEADS, _("Only admins and coordinators can approve urgent alerts.")),
        Permission(
            "alerts.publish", LEADS, _("Only admins and coordinators can publish, close or pause urgent alerts.")
        ),
        # Safety: check-in schedules, SOS and escalations (salama.safety).
        Permission("safety.view", ALL_ROLES, _("Your role cannot see check-ins and emergencies.")),
        Permission("safety.manage", EDITORS, _("Viewers cannot change check-in schedules or raise an SOS.")),
        Permission("safety.respond", EDITORS, _("Viewers cannot acknowledge or resolve an emergency.")),
        # Risk assessments and protection plans follow their defender's need to know.
        Permission("risk.view", ALL_ROLES, _("Your role cannot see risk assessments or protection plans.")),
        Permission("risk.edit", EDITORS, _("Viewers cannot change risk assessments or protection plans.")),
        Permission("risk.reveal", EDITORS, _("Viewers cannot reveal the protected text of assessments or plans.")),
        # Responses on a case follow the case's need to know; the donor view shows only
        # de-identified aggregates, to members of an organisation of the donor kind.
        # Referrals follow their case's need to know; revealing what was sent, the reply or a
        # generated draft (they hold defenders' details) also needs cases.reveal.
        Permission("referrals.view", ALL_ROLES, _("Your role cannot see referrals.")),
        Permission("referrals.edit", EDITORS, _("Viewers cannot create or change referrals.")),
        # The directory of protection actors is shared reference data every member reads; only
        # platform operators change it (checked on the account, like vocabularies), so no role
        # of an organisation holds directory.edit.
        Permission("directory.view", ALL_ROLES, _("Your role cannot see the protection directory.")),
        Permission("directory.edit", frozenset(), _("Only platform operators can change the directory.")),
        Permission("responses.view", ALL_ROLES, _("Your role cannot see responses.")),
        Permission("responses.edit", EDITORS, _("Viewers cannot record or change responses.")),
        Permission("donor.view", ALL_ROLES, _("Your role cannot see the donor view.")),
        # Analysis shows de-identified counts of the whole organisation's incidents (not only
        # the member's cases); small cells are suppressed for viewers (salama.analytics).
        Permission("analytics.view", ALL_ROLES, _("Your role cannot see the analysis.")),
        Permission("analytics.export", LEADS, _("Only admins and coordinators can export aggregates.")),
        Permission("analytics.share", MANAGERS, _("Only organisation admins can opt in to network-level aggregates.")),
        Permission("analytics.subscribe", ALL_ROLES, _("Your role cannot subscribe to early-warning flags.")),
        Permission("analytics.dismiss", LEADS, _("Only admins and coordinators can dismiss early-warning flags.")),
        # Joint statements: editors draft; signing commits the organisation's name in public,
        # so signing, and opening, closing and publishing one's own statement, is for leads.
        Permission("statements.view", ALL_ROLES, _("Your role cannot see joint statements.")),
        Permission("statements.edit", EDITORS, _("Viewers cannot draft or change joint statements.")),
        Permission(
            "statements.sign",
            LEADS,
            _("Only admins and coordinators can sign, open, close or publish a statement for the organisation."),
        ),
    ]
}


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str = ""

    def __bool__(self) -> bool:
        return self.allowed


def require(membership: Any, permission: str) -> None:
    """For actions: go on, or stop with PermissionDenied carrying the reason."""
    decision = role_can(membership.role, permission)
    if not decision:
        raise PermissionDenied(decision.reason)


def role_can(role: str | None, permission: str) -> Decision:
    perm = PERMISSIONS[permission]
    if role is None:
        return Decision(False, str(_("You are not a member of this organisation.")))
    if role in perm.roles:
        return Decision(True)
    return Decision(False, str(perm.denial))


# Route policies ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """Who may reach a route.

    kind is one of:
      public     no sign-in (the reviewed allowlist below);
      signed_in  signed in with a second factor, any account;
      operator   signed in with a second factor, platform operator only;
      demo       signed in with a second factor, any account, and only while Salama runs as
                 the demo (settings.DEMO_MODE, never in production); otherwise the route does
                 not exist: 404 for everyone, signed in or not;
      org        signed in with a second factor and a member of the organisation in the URL
                 whose role holds `permission`.
    """

    kind: str
    permission: str = ""

    def __post_init__(self) -> None:
        if self.kind not in {"public", "signed_in", "operator", "org", "demo"}:
            raise ValueError(f"unknown policy kind {self.kind}")
        if (self.kind == "org") != bool(self.permission):
            raise ValueError("an org policy names exactly one permission")
        if self.permission and self.permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {self.permission}")


PUBLIC = Policy("public")
SIGNED_IN = Policy("signed_in")
DEMO = Policy("demo")
OPERATOR = Policy("operator")


def org(permission: str) -> Policy:
    return Policy("org", permission)


# Every web route, by URL name. The public ones are the reviewed allowlist: each says why.
ROUTE_POLICIES: dict[str, Policy] = {
    # public: health probes, the language switch, and the steps before a second factor
    "core:healthz": PUBLIC,  # load balancers and monitors; reveals no data
    "set_language": PUBLIC,  # choose a language on the sign-in page
    "accounts:login": PUBLIC,
    "accounts:verify": PUBLIC,  # needs a password-verified sign-in pending in the session
    "accounts:enrol": PUBLIC,  # needs a password-verified sign-in pending in the session
    # needs a password-verified sign-in pending in the session
    "accounts:webauthn_login_begin": PUBLIC,
    # needs a password-verified sign-in pending in the session
    "accounts:webauthn_login_finish": PUBLIC,
    "accounts:logout": PUBLIC,  # ending a session, or a pending sign-in, is always allowed
    "accounts:password_reset": PUBLIC,
    "accounts:password_reset_done": PUBLIC,
    "accounts:password_reset_confirm": PUBLIC,  # the signed link is the credential
    "accounts:password_reset_complete": PUBLIC,
    "orgs:invitation": PUBLIC,  # the single-use link is the credential
    # any signed-in account
    "core:dashboard": SIGNED_IN,
    "accounts:security": SIGNED_IN,
    "accounts:confirm": SIGNED_IN,
    "accounts:password_change": SIGNED_IN,
    "accounts:session_end": SIGNED_IN,
    "accounts:sessions_end_others": SIGNED_IN,
    "accounts:totp_add": SIGNED_IN,
    "accounts:webauthn_register_begin": SIGNED_IN,
    "accounts:webauthn_register_finish": SIGNED_IN,
    "accounts:device_delete": SIGNED_IN,
    "accounts:backup_codes": SIGNED_IN,
    "accounts:token_create": SIGNED_IN,  # bound to an organisation the person belongs to
    "accounts:token_revoke": SIGNED_IN,
    "orgs:switch": SIGNED_IN,
    # a person's own opt-outs of organisations' messages, and opting back in: their own records
    "audiences:own_opt_outs": SIGNED_IN,
    "audiences:own_opt_in": SIGNED_IN,
    "orgs:list": SIGNED_IN,
    # vocabularies are shared reference data, the same for everyone
    "vocab:list": SIGNED_IN,
    "vocab:detail": SIGNED_IN,
    # the protection directory: shared reference data, the same for everyone
    "directory:list": SIGNED_IN,
    "directory:detail": SIGNED_IN,
    # platform operator
    "orgs:operator": OPERATOR,
    "orgs:operator_create": OPERATOR,
    "directory:create": OPERATOR,
    "directory:edit": OPERATOR,
    # organisation members
    "orgs:home": org("org.view"),
    "orgs:settings": org("org.edit"),
    "orgs:members": org("members.view"),
    "orgs:invite": org("members.manage"),
    "orgs:invitation_revoke": org("members.manage"),
    "orgs:member_role": org("members.manage"),
    "orgs:member_remove": org("members.manage"),
    "audit:log": org("audit.view"),
    "defenders:list": org("defenders.view"),
    "defenders:create": org("defenders.edit"),
    "defenders:detail": org("defenders.view"),
    "defenders:history": org("defenders.view"),
    "defenders:edit": org("defenders.edit"),
    "defenders:reveal": org("defenders.reveal"),
    "defenders:delete": org("defenders.delete"),
    "defenders:consent_add": org("defenders.edit"),
    "defenders:consent_withdraw": org("defenders.edit"),
    "defenders:contact_add": org("defenders.edit"),
    "defenders:contact_remove": org("defenders.edit"),
    # import: the pages let in whoever may import some kind; each batch also needs its kind's
    # own permission (defenders.import, incidents.import), checked by salama.transfer
    "transfer:import_start": org("records.import"),
    "transfer:import_batch": org("records.import"),
    "transfer:import_mapping": org("records.import"),
    "transfer:import_terms": org("records.import"),
    "transfer:import_preview": org("records.import"),
    "transfer:import_run": org("records.import"),
    "transfer:import_cancel": org("records.import"),
    # export; a full export also needs the reveal permission and every export a fresh second factor
    "transfer:export": org("defenders.export"),
    "transfer:export_cases": org("cases.export"),  # only the cases the member may see
    "transfer:export_incidents": org("cases.export"),  # only incidents of the cases the member may see
    "cases:list": org("cases.view"),
    "cases:create": org("cases.edit"),
    "cases:detail": org("cases.view"),
    "cases:history": org("cases.view"),
    "cases:edit": org("cases.edit"),
    "cases:status": org("cases.edit"),
    "cases:team": org("cases.manage_team"),
    "cases:note_add": org("cases.edit"),
    "cases:reveal": org("cases.reveal"),
    "cases:delete": org("cases.delete"),
    # referral suggestions follow the case's need to know (salama.cases.access)
    "directory:suggestions": org("directory.view"),
    # incidents follow their case (need to know through the case team)
    "incidents:list": org("cases.view"),  # lists only incidents of the cases the member may see
    "incidents:create": org("cases.edit"),
    "incidents:detail": org("cases.view"),
    "incidents:edit": org("cases.edit"),
    "incidents:history": org("cases.view"),  # revealing its protected values needs cases.reveal
    "incidents:reveal": org("cases.reveal"),
    "incidents:link": org("cases.edit"),
    "incidents:delete": org("cases.delete"),
    # evidence follows its case: seeing, adding, revealing (originals too) and deleting
    "evidence:list": org("cases.view"),
    "evidence:upload": org("cases.edit"),
    "evidence:detail": org("cases.view"),
    "evidence:download": org("cases.view"),  # the original also needs cases.reveal (checked in the action)
    "evidence:reveal": org("cases.reveal"),
    "evidence:delete": org("cases.delete"),
    # sharing: the sharing organisation grants and revokes; the partner reads in its own URL
    # space, where salama.cases.access.access_shared_case decides (grant, scope, consent)
    "sharing:grant": org("cases.share"),
    "sharing:revoke": org("cases.share"),
    "sharing:shared_list": org("cases.view"),
    "sharing:shared_detail": org("cases.view"),
    "sharing:shared_reveal": org("cases.view"),
    "sharing:shared_incident": org("cases.view"),
    "sharing:shared_evidence": org("cases.view"),
    # urgent alerts; linked cases are listed through need to know
    "alerts:list": org("alerts.view"),
    "alerts:create": org("alerts.edit"),
    "alerts:detail": org("alerts.view"),
    "alerts:edit": org("alerts.edit"),
    "alerts:version": org("alerts.edit"),
    "alerts:version_delete": org("alerts.edit"),
    "alerts:target_add": org("alerts.edit"),
    "alerts:target_edit": org("alerts.edit"),
    "alerts:target_remove": org("alerts.edit"),
    "alerts:submit": org("alerts.edit"),
    "alerts:return_to_draft": org("alerts.edit"),
    "alerts:approve": org("alerts.approve"),
    "alerts:publish": org("alerts.publish"),  # also a second factor from the last few minutes
    "alerts:close": org("alerts.publish"),
    "alerts:follow_up": org("alerts.edit"),
    "alerts:board": org("alerts.view"),
    "alerts:sending": org("alerts.publish"),
    # recording an action taken is taking part, not editing the alert: every member may
    "alerts:action_add": org("alerts.view"),
    # the signed per-delivery link is the credential; every bad link gets the same page
    "alerts:ack": PUBLIC,
    "alerts:ack_action": PUBLIC,
    # public feeds (Atom, CAP 1.2): only published public-scope alerts, only their own public
    # text; an unknown organisation and one without public alerts get the same empty feed
    "alerts:feed_atom": PUBLIC,
    "alerts:feed_cap": PUBLIC,
    # public pages of the same alerts, through the feeds' own rule (salama.alerts.public); any
    # other alert is the plain 404, an unknown organisation the same empty index
    "alerts:public_index": PUBLIC,
    "alerts:public_detail": PUBLIC,
    # subscribers and audience rules: the subscriber list names who acts for defenders
    "audiences:subscribers": org("audiences.view"),
    "audiences:subscriber_create": org("audiences.manage"),
    "audiences:subscriber_detail": org("audiences.view"),  # shows addresses; the read is audited
    "audiences:subscriber_edit": org("audiences.manage"),
    "audiences:subscriber_delete": org("audiences.manage"),
    "audiences:contact_add": org("audiences.manage"),
    "audiences:contact_edit": org("audiences.manage"),
    "audiences:contact_verify": org("audiences.verify"),
    "audiences:contact_send_verification": org("audiences.manage"),
    "audiences:contact_withdraw": org("audiences.manage"),
    "audiences:contact_delete": org("audiences.manage"),
    "audiences:rules": org("audiences.view"),
    "audiences:rule_create": org("audiences.manage"),
    "audiences:rule_detail": org("audiences.view"),  # a preview count, never who
    "audiences:rule_edit": org("audiences.manage"),
    "audiences:rule_delete": org("audiences.manage"),
    # suppressed addresses (masked) and members who opted out; lifting a bounce needs a written
    # reason; an opt-out or complaint only the person lifts (salama.audiences.actions)
    "audiences:suppressions": org("audiences.view"),
    "audiences:suppression_lift": org("audiences.manage"),
    "audiences:opt_outs": org("audiences.view"),
    # a recipient's own preferences, opt-out and address confirmation: the signed link in the
    # message is the credential (recipients have no account); every bad link gets the same page
    "audiences:preferences": PUBLIC,
    "audiences:unsubscribe": PUBLIC,
    "audiences:verify": PUBLIC,
    # the organisation's Matrix rooms: they hold the bot's access token (write-only)
    "delivery:matrix_rooms": org("delivery.configure"),
    "delivery:matrix_room": org("delivery.configure"),
    "delivery:matrix_room_test": org("delivery.configure"),
    "delivery:matrix_room_remove": org("delivery.configure"),
    # the demo mailbox: all mail a demo sends, to invented addresses (salama.delivery.mailbox)
    "delivery:demo_mailbox": DEMO,
    "delivery:demo_mail": DEMO,
    # risk assessments and protection plans: need to know follows the defender
    "risk:org_list": org("risk.view"),  # lists only the defenders the member may see
    "risk:defender": org("risk.view"),
    "risk:start": org("risk.edit"),
    "risk:step": org("risk.edit"),
    "risk:item_remove": org("risk.edit"),
    "risk:threat_rescore": org("risk.edit"),
    "risk:detail": org("risk.view"),
    "risk:reveal": org("risk.reveal"),
    "risk:plan_create": org("risk.edit"),
    "risk:plan_detail": org("risk.view"),
    "risk:plan_reveal": org("risk.reveal"),
    "risk:measure_add": org("risk.edit"),
    "risk:template_apply": org("risk.edit"),
    "risk:measure_status": org("risk.edit"),
    # safety: schedules and emergencies of the defenders the member may see (need to know)
    "safety:list": org("safety.view"),
    "safety:schedule_create": org("safety.manage"),
    "safety:schedule_detail": org("safety.view"),
    "safety:schedule_edit": org("safety.manage"),
    "safety:schedule_credentials": org("safety.manage"),  # new link and codes, shown once
    "safety:schedule_checkin": org("safety.manage"),  # a check-in recorded on the defender's behalf
    "safety:sos_raise": org("safety.manage"),
    "safety:emergency_detail": org("safety.view"),
    "safety:emergency_reveal": org("safety.respond"),  # the location, audited
    "safety:emergency_acknowledge": org("safety.respond"),
    "safety:emergency_escalate": org("safety.respond"),
    "safety:emergency_resolve": org("safety.respond"),
    "safety:emergency_cancel": org("safety.manage"),  # only whoever raised it, within the cancel window
    # the safety board: every section narrowed to the defenders the member may see
    "safety:board": org("safety.view"),
    # the defender's check-in and SOS pages: the signed link or the short code is the
    # credential (defenders have no account); every bad link or code gets the same neutral page
    "safety:checkin": PUBLIC,
    "safety:code": PUBLIC,
    "safety:sos": PUBLIC,
    "safety:sos_cancel": PUBLIC,
    # referrals follow their case's need to know; a submission draft holds the defenders'
    # details, so downloading one needs the reveal permission (and is audited)
    "referrals:list": org("referrals.view"),  # lists only referrals of the cases the member may see
    "referrals:case_list": org("referrals.view"),
    "referrals:create": org("referrals.edit"),
    "referrals:detail": org("referrals.view"),
    "referrals:edit": org("referrals.edit"),
    "referrals:status": org("referrals.edit"),
    "referrals:reply": org("referrals.edit"),
    "referrals:outcome": org("referrals.edit"),
    "referrals:reveal": org("cases.reveal"),
    "referrals:document": org("referrals.view"),  # what is missing; names no defender
    "referrals:document_download": org("cases.reveal"),
    # joint statements (salama.statements.access decides who reads one): the drafting
    # organisation's own, and other organisations' once open, if invited or open to the network;
    # a signer never sees the linked case. Open, invite, close, publish and withdraw are the
    # drafter's leads' (checked again in salama.statements.actions); signing is a signer's leads'
    "statements:list": org("statements.view"),
    "statements:create": org("statements.edit"),
    "statements:detail": org("statements.view"),
    "statements:edit": org("statements.edit"),
    "statements:text": org("statements.edit"),
    "statements:invite": org("statements.sign"),
    "statements:open": org("statements.sign"),
    "statements:sign": org("statements.sign"),
    "statements:decline": org("statements.sign"),
    "statements:close": org("statements.sign"),
    "statements:publish": org("statements.sign"),
    "statements:withdraw": org("statements.sign"),
    "statements:download_text": org("statements.view"),
    "statements:download_html": org("statements.view"),
    # the public page of a statement its drafter published and chose to show publicly: only
    # the final text and the signatories' chosen names (salama.statements.access.public_statement);
    # a draft, an open, closed or withdrawn statement, or one published without a public page
    # is the plain 404, the same as an id that does not exist
    "statements:public": PUBLIC,
    # responses follow their case's need to know; lessons are de-identified and read by the
    # organisation (its own, and those shared with the network); sharing one is for leads
    # (checked in salama.responses.actions); the donor view shows aggregates only
    "responses:list": org("responses.view"),  # lists only responses on cases the member may see
    "responses:create": org("responses.edit"),
    "responses:detail": org("responses.view"),
    "responses:edit": org("responses.edit"),
    "responses:details": org("responses.edit"),
    "responses:status": org("responses.edit"),
    "responses:step_add": org("responses.edit"),
    "responses:step_remove": org("responses.edit"),
    "responses:close": org("responses.edit"),
    "responses:reveal": org("cases.reveal"),
    "responses:lessons": org("responses.view"),
    "responses:lesson_share": org("responses.edit"),
    "responses:donor": org("donor.view"),
    # analytics: counts of the whole organisation's incidents (de-identified; small cells suppressed
    # for viewers and at the network level), and opting in to network-level aggregates
    "analytics:analysis": org("analytics.view"),
    "analytics:sharing": org("analytics.share"),
    # analytics: response effectiveness (counts only, small cells suppressed) and its printed report
    "analytics:responses": org("analytics.view"),
    "analytics:report_pdf": org("analytics.export"),  # audited as an export
    # de-identified files of aggregates, small cells suppressed; audited with the parameters, never a count
    "analytics:export": org("analytics.export"),
    # early warning (escalation flags are shown only with a defender the member may see) and data quality
    "analytics:warnings": org("analytics.view"),
    "analytics:warning_dismiss": org("analytics.dismiss"),
    "analytics:warning_subscriptions": org("analytics.subscribe"),
    "analytics:warning_unsubscribe": org("analytics.subscribe"),
    "analytics:quality": org("analytics.view"),
    # charts and the map as files (counts only, small cells always suppressed)
    "analytics:chart_svg": org("analytics.view"),
    "analytics:chart_png": org("analytics.view"),
    "analytics:map_svg": org("analytics.view"),
    "analytics:map_png": org("analytics.view"),
}

# Public routes whose answer is the same for every caller and may be kept by browsers and
# proxies for a few minutes (feed readers poll them); every other answer is `no-store`.
PUBLICLY_CACHEABLE_ROUTES = frozenset(
    {"alerts:feed_atom", "alerts:feed_cap", "alerts:public_index", "alerts:public_detail"}
)
PUBLIC_CACHE_SECONDS = 300

# Django's static-file and API views carry their own checks (static files are public assets;
# the API authenticates every request by bearer token). Matched on the URL namespace.
SELF_GUARDED_NAMESPACES = frozenset({"api-1"})

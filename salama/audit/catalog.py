"""Every action the audit log knows, with the label people read, and the kinds of target.

`record` refuses an action that is not listed here, so each new kind of entry gets a readable,
translated name in the log page and a place in its filter. Add new actions here (for example
"case.viewed", "defender.revealed", "evidence.downloaded", "export.created").
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "organization.created": _("Organisation created"),
    "organization.updated": _("Organisation details changed"),
    "member.invited": _("Invitation sent"),
    "member.invitation_revoked": _("Invitation withdrawn"),
    "member.invitation_accepted": _("Invitation accepted"),
    "member.role_changed": _("Role changed"),
    "member.removed": _("Member removed"),
    "account.created": _("Account created"),
    "token.created": _("API token created"),
    "token.revoked": _("API token revoked"),
    "password.changed": _("Password changed"),
    "password.reset": _("Password reset"),
    "second_factor.added": _("Second factor added"),
    "second_factor.removed": _("Second factor removed"),
    "backup_codes.regenerated": _("Backup codes replaced"),
    "session.ended": _("Session signed out"),
    "session.others_ended": _("Other sessions signed out"),
    "signin.succeeded": _("Signed in"),
    "signin.failed": _("Sign-in failed"),
    "defender.created": _("Defender added"),
    "defender.updated": _("Defender changed"),
    "defender.deleted": _("Defender deleted"),
    "defender.revealed": _("Defender's protected details revealed"),
    "defender.decryption_failed": _("Defender record could not be decrypted"),
    "consent.recorded": _("Consent recorded"),
    "consent.withdrawn": _("Consent withdrawn"),
    "trusted_contact.added": _("Trusted contact added"),
    "trusted_contact.removed": _("Trusted contact removed"),
    "import.uploaded": _("Import file uploaded"),
    "import.cancelled": _("Import cancelled"),
    "import.completed": _("Import completed"),
    "export.created": _("Export made"),
    "case.opened": _("Case opened"),
    "case.updated": _("Case changed"),
    "case.status_changed": _("Case status changed"),
    "case.team_member_added": _("Case team member added"),
    "case.team_member_removed": _("Case team member removed"),
    "case.note_added": _("Case note added"),
    "case.viewed": _("Case viewed"),
    "case.revealed": _("Case's protected details revealed"),
    "case.deleted": _("Case deleted"),
    "case.decryption_failed": _("Case record could not be decrypted"),
    "case.shared": _("Case shared with another organisation"),
    "case.share_revoked": _("Case sharing revoked"),
    "shared_case.viewed": _("Shared case viewed by the partner"),
    "shared_case.revealed": _("Shared case's protected details revealed to the partner"),
    "shared_case.incident_revealed": _("Shared incident's protected details revealed to the partner"),
    "shared_case.evidence_downloaded": _("Shared evidence file downloaded by the partner"),
    "incident.recorded": _("Incident recorded"),
    "incident.updated": _("Incident changed"),
    "incident.linked": _("Incidents linked"),
    "incident.revealed": _("Incident's protected details revealed"),
    "incident.decryption_failed": _("Incident record could not be decrypted"),
    "incident.deleted": _("Incident deleted"),
    "evidence.uploaded": _("Evidence file uploaded"),
    "evidence.downloaded": _("Evidence file downloaded"),
    "evidence.revealed": _("Evidence file's protected details revealed"),
    "evidence.deleted": _("Evidence file deleted"),
    "evidence.decryption_failed": _("Evidence file could not be decrypted"),
    "subscriber.created": _("Subscriber added"),
    "subscriber.updated": _("Subscriber changed"),
    "subscriber.deleted": _("Subscriber deleted"),
    "subscriber.viewed": _("Subscriber's contact points viewed"),
    "subscriber.preferences_changed": _("Subscriber changed their preferences"),
    "contact_point.added": _("Contact point added"),
    "contact_point.updated": _("Contact point changed"),
    "contact_point.deleted": _("Contact point deleted"),
    "contact_point.verification_sent": _("Verification link sent"),
    "contact_point.verified": _("Contact point verified"),
    "contact_point.consent_withdrawn": _("Contact point consent withdrawn"),
    "contact_point.unsubscribed": _("Unsubscribed through a link"),
    "member.opted_out": _("Member opted out of messages"),
    "audience_rule.created": _("Audience rule created"),
    "audience_rule.updated": _("Audience rule changed"),
    "audience_rule.deleted": _("Audience rule deleted"),
    "alert.created": _("Urgent alert created"),
    "alert.updated": _("Urgent alert changed"),
    "alert.version_saved": _("Urgent alert text saved"),
    "alert.version_deleted": _("Urgent alert text removed"),
    "alert.target_added": _("Urgent alert target added"),
    "alert.target_changed": _("Urgent alert target changed"),
    "alert.target_removed": _("Urgent alert target removed"),
    "alert.submitted": _("Urgent alert sent for review"),
    "alert.returned_to_draft": _("Urgent alert sent back to draft"),
    "alert.returned_to_review": _("Urgent alert changed after approval"),
    "alert.approved": _("Urgent alert approved"),
    "alert.published": _("Urgent alert published"),
    "alert.closed": _("Urgent alert closed"),
    "alert.sending_pause": _("Urgent alert sending paused"),
    "alert.sending_resume": _("Urgent alert sending resumed"),
    "alert.sending_resend_failed": _("Urgent alert sent again to failed recipients"),
    "alert.action_recorded": _("Action on an urgent alert recorded"),
}

# Recorded without an organisation (a person's own account, across all their organisations), so
# they never appear in an organisation's log, and its filter does not offer them.
PLATFORM_ACTIONS = frozenset(
    {
        "account.created",
        "password.changed",
        "password.reset",
        "second_factor.added",
        "second_factor.removed",
        "backup_codes.regenerated",
        "session.ended",
        "session.others_ended",
        "signin.succeeded",
        "signin.failed",
    }
)
PLATFORM_TARGET_TYPES = frozenset({"second_factor", "session"})

TARGET_TYPES: dict[str, Promise] = {
    "organization": _("Organisation"),
    "invitation": _("Invitation"),
    "account": _("Account"),
    "api_token": _("API token"),
    "second_factor": _("Second factor"),
    "session": _("Session"),
    "defender": _("Defender"),
    "consent": _("Consent"),
    "trusted_contact": _("Trusted contact"),
    "case": _("Case"),
    "incident": _("Incident"),
    "evidence": _("Evidence file"),
    "subscriber": _("Subscriber"),
    "contact_point": _("Contact point"),
    "audience_rule": _("Audience rule"),
    "alert": _("Urgent alert"),
}


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label is not None else action


def target_type_label(target_type: str) -> str:
    label = TARGET_TYPES.get(target_type)
    return str(label) if label is not None else target_type


FIELDS: dict[str, Promise] = {
    "name": _("name"),
    "slug": _("short name"),
    "kind": _("kind"),
    "country": _("country"),
    "region": _("region"),
    "languages": _("working languages"),
    "description": _("description"),
    "email": _("email address"),
    "display_name": _("name"),
    "role": _("role"),
    "expires_at": _("expires"),
    "password": _("password"),
    "sessions_ended": _("sessions signed out"),
    "api_tokens_revoked": _("API tokens revoked"),
    "count": _("how many"),
    "step": _("step"),
    "reason": _("reason"),
    "copy": _("copy"),
    "media_type": _("type"),
    "size": _("size"),
    "original_name": _("original file name"),
    "sha256": _("SHA-256"),
    "grant": _("sharing grant"),
    "partner": _("partner organisation"),
    "shared_by": _("shared by"),
    "scope": _("scope"),
    "affiliation": _("organisation or affiliation"),
    "address": _("address"),
    "channel": _("channel"),
    "active": _("active"),
    "verified": _("verified"),
    "verified_reason": _("how it was verified"),
    "consent_how": _("how consent was given"),
    "consent_withdrawn": _("consent withdrawn"),
    "subscriber": _("subscriber"),
    "subscriber_kinds": _("subscriber kinds"),
    "member_organizations": _("members of organisations"),
    "countries": _("countries"),
    "regions": _("regions"),
}


def field_label(name: str) -> str:
    label = FIELDS.get(name)
    return str(label) if label is not None else name

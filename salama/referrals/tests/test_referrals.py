"""The consent rule, the status flow, need to know, and the case timeline."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from hypothesis import given
from hypothesis import strategies as st

from salama.audit.models import AuditEntry
from salama.cases.models import TimelineEvent
from salama.cases.timeline import describe
from salama.defenders.actions import do_record_consent, do_withdraw_consent
from salama.directory.models import ProtectionActor
from salama.referrals import actions
from salama.referrals.consent import names_actor, sharing_consent
from salama.referrals.models import Referral, ReferralConsent, ReferralEvent

pytestmark = pytest.mark.django_db


def test_a_draft_is_saved_without_consent(referral: Any) -> None:
    assert referral.status == Referral.Status.DRAFT
    assert AuditEntry.objects.filter(action="referral.created", target_id=str(referral.pk)).exists()


def test_sending_without_consent_is_refused_with_the_reason(caseworker: Any, referral: Any) -> None:
    with pytest.raises(ValidationError) as refused:
        actions.do_change_status(caseworker, referral, Referral.Status.SENT)
    [reason] = refused.value.message_dict["status"]
    assert "Lucía P." in reason
    assert "UN Special Rapporteur" in reason
    assert "share the record with a mechanism" in reason
    referral.refresh_from_db()
    assert referral.status == Referral.Status.DRAFT


def test_sending_with_consent_records_the_consent_checked(
    caseworker: Any, referral: Any, share_consent: Any, clock: Any
) -> None:
    actions.do_change_status(caseworker, referral, Referral.Status.SENT, channel="email")
    referral.refresh_from_db()
    assert referral.status == Referral.Status.SENT
    assert referral.sent_on == date(2026, 11, 25)
    checked = ReferralConsent.objects.get(referral=referral)
    assert checked.consent == share_consent
    assert TimelineEvent.objects.filter(case=referral.case, kind="referral.sent").exists()


def test_a_withdrawn_consent_is_refused(admin: Any, caseworker: Any, referral: Any, share_consent: Any) -> None:
    do_withdraw_consent(admin, share_consent, date(2026, 4, 1))
    with pytest.raises(ValidationError, match="no consent in force"):
        actions.do_change_status(caseworker, referral, Referral.Status.SENT)


def test_consent_for_another_mechanism_does_not_count(admin: Any, defender: Any, un_sr: Any) -> None:
    do_record_consent(admin, defender, scope="share_with_mechanism", mechanism="IACHR", given_on=date(2026, 1, 1))
    assert sharing_consent(defender, un_sr) is None


def test_mechanism_named_by_name_in_any_case(admin: Any, defender: Any, un_sr: Any) -> None:
    consent = do_record_consent(
        admin, defender, scope="share_with_mechanism", mechanism=un_sr.name.upper(), given_on=date(2026, 1, 1)
    )
    assert sharing_consent(defender, un_sr) == consent
    assert names_actor("  UN-SR-HRD ", un_sr)


def test_network_member_actor_needs_consent_for_its_organisation(cast: Any, admin: Any, defender: Any) -> None:
    member = ProtectionActor.objects.create(slug="org-b-actor", name="Org B", kind="ngo", organization=cast.org_b)
    assert sharing_consent(defender, member) is None
    consent = do_record_consent(
        admin, defender, scope="share_with_organisation", organization=cast.org_b, given_on=date(2026, 1, 1)
    )
    assert sharing_consent(defender, member) == consent


def test_outside_ngo_needs_organisation_consent_naming_it(admin: Any, defender: Any) -> None:
    fund = ProtectionActor.objects.create(slug="some-fund", name="Some Fund", kind="fund")
    do_record_consent(admin, defender, scope="share_with_mechanism", mechanism="Some Fund", given_on=date(2026, 1, 1))
    assert sharing_consent(defender, fund) is None
    consent = do_record_consent(
        admin, defender, scope="share_with_organisation", mechanism="some fund", given_on=date(2026, 1, 1)
    )
    assert sharing_consent(defender, fund) == consent


def test_status_flow(caseworker: Any, referral: Any, share_consent: Any) -> None:
    actions.do_change_status(caseworker, referral, Referral.Status.SENT)
    actions.do_change_status(caseworker, referral, Referral.Status.ACKNOWLEDGED)
    actions.do_record_reply(caseworker, referral, reply="The Rapporteur will consider it.")
    actions.do_change_status(caseworker, referral, Referral.Status.ACCEPTED)
    actions.do_record_outcome(caseworker, referral, outcome=Referral.Outcome.COMMUNICATION_SENT, notes="UA COL 3/2026")
    actions.do_change_status(caseworker, referral, Referral.Status.CLOSED)
    statuses = list(
        ReferralEvent.objects.filter(referral=referral, kind=ReferralEvent.Kind.STATUS).values_list(
            "old_status", "new_status"
        )
    )
    assert statuses == [
        ("draft", "sent"),
        ("sent", "acknowledged"),
        ("acknowledged", "accepted"),
        ("accepted", "closed"),
    ]
    referral.refresh_from_db()
    assert referral.reply == "The Rapporteur will consider it."
    with pytest.raises(ValidationError, match="cannot become"):
        actions.do_change_status(caseworker, referral, Referral.Status.SENT)
    lines = [
        describe(event) for event in TimelineEvent.objects.filter(case=referral.case, kind__startswith="referral.")
    ]
    assert any("recorded the reply" in line for line in lines)
    assert any("Communication sent to the state" in line for line in lines)


def test_draft_cannot_jump_to_accepted(caseworker: Any, referral: Any) -> None:
    with pytest.raises(ValidationError):
        actions.do_change_status(caseworker, referral, Referral.Status.ACCEPTED)


def test_reply_before_sending_is_refused(caseworker: Any, referral: Any) -> None:
    with pytest.raises(ValidationError):
        actions.do_record_reply(caseworker, referral, reply="x")


def test_viewer_cannot_edit(cast: Any, referral: Any) -> None:
    with pytest.raises(PermissionDenied):
        actions.do_change_status(cast.membership("a_viewer"), referral, Referral.Status.CLOSED)


def test_need_to_know_follows_the_case(cast: Any, referral: Any) -> None:
    from salama.referrals.access import access_referral

    assert access_referral(cast.membership("a_caseworker_team"), referral.pk) == referral
    for outsider in ("a_caseworker_other", "b_admin"):
        with pytest.raises(Http404):
            access_referral(cast.membership(outsider), referral.pk)
    with pytest.raises(Http404):
        actions.do_change_status(cast.membership("a_caseworker_other"), referral, Referral.Status.CLOSED)


def test_defenders_must_be_of_the_case(cast: Any, caseworker: Any, case: Any, un_sr: Any, admin: Any) -> None:
    from salama.defenders.actions import do_create_defender

    stranger = do_create_defender(admin, public_name="Someone else")
    with pytest.raises(ValidationError):
        actions.do_create_referral(caseworker, case, to=un_sr, defenders=[stranger])


def test_sent_uses_the_actors_response_time(caseworker: Any, case: Any, defender: Any, admin: Any, clock: Any) -> None:
    fund = ProtectionActor.objects.create(slug="fast-fund", name="Fast Fund", kind="fund", response_time_hours=72)
    do_record_consent(
        admin, defender, scope="share_with_organisation", mechanism="Fast Fund", given_on=date(2026, 1, 1)
    )
    referral = actions.do_create_referral(caseworker, case, to=fund, defenders=[defender])
    actions.do_change_status(caseworker, referral, Referral.Status.SENT)
    referral.refresh_from_db()
    assert referral.reply_due_on == date(2026, 11, 28)


def test_encrypted_text_is_not_in_the_row(caseworker: Any, referral: Any) -> None:
    actions.do_update_referral(caseworker, referral, domestic_remedies="A complaint to the Fiscalía, filed in March.")
    stored = Referral.objects.filter(pk=referral.pk).values_list("domestic_remedies", flat=True).get()
    assert "Fiscalía" not in stored
    assert Referral.objects.get(pk=referral.pk).domestic_remedies.startswith("A complaint")


def test_api_literals_match_the_model() -> None:
    from typing import get_args

    from salama.referrals.api import ReferralChannel, ReferralOutcome, ReferralStatus

    assert list(get_args(ReferralStatus)) == Referral.Status.values
    assert list(get_args(ReferralChannel)) == Referral.Channel.values
    assert list(get_args(ReferralOutcome)) == Referral.Outcome.values


@given(st.sampled_from(["un-sr-hrd", "UN Special Rapporteur on the situation of human rights defenders"]), st.data())
def test_an_actor_is_named_whatever_the_case_and_spacing(name: str, data: Any) -> None:
    actor = ProtectionActor(slug="un-sr-hrd", name="UN Special Rapporteur on the situation of human rights defenders")
    words = name.replace("-", " ").split()
    separators = data.draw(
        st.lists(st.sampled_from([" ", "  ", "-", "_", " - "]), min_size=len(words) - 1, max_size=len(words) - 1)
    )
    written = words[0] + "".join(sep + word for sep, word in zip(separators, words[1:], strict=True))
    written = data.draw(st.sampled_from([written, written.upper(), written.title(), f"  {written} "]))
    assert names_actor(written, actor)
    assert not names_actor(written + " x", actor)


def test_the_demo_has_an_overdue_referral_to_the_rapporteur() -> None:
    from salama.core.demo import load_demo_network
    from salama.referrals.access import overdue_q

    load_demo_network()
    load_demo_network()  # loading twice adds nothing
    referral = Referral.objects.get()
    assert referral.actor.slug == "un-sr-hrd"
    assert referral.status == Referral.Status.SENT
    assert Referral.objects.filter(overdue_q()).count() == 1

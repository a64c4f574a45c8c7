"""The interface producers (alerts) call: freeze, follow_up, recipients, count."""

from __future__ import annotations

from typing import Any

import pytest

from salama.audiences import actions, freezing
from salama.audiences.models import FrozenMember, MemberOptOut, Subscriber
from salama.delivery import engine
from salama.delivery.models import Suppression

pytestmark = pytest.mark.django_db


def addresses(audience: Any) -> set[str]:
    return {r.address for r in freezing.recipients(audience)}


def test_union_of_who_and_intersection_of_filters(cast: Any, lead: Any, subscribe: Any) -> None:
    subscribe("Ana", "ana@example.net", kind="journalist", languages=["es", "en"], countries=["CO"])
    subscribe("Ben", "ben@example.net", kind="journalist", languages=["fr"], countries=["CO"])  # wrong language
    subscribe("Cat", "cat@example.net", kind="journalist", languages=["en"], countries=["KE"])  # wrong country
    subscribe("Dan", "dan@example.net", kind="diplomat", languages=["en"], countries=["CO"])  # kind not chosen
    rule = actions.do_create_rule(
        lead,
        name="Colombia",
        member_organizations=[cast.org_b],
        subscriber_kinds=["journalist"],
        countries=["CO"],
        languages=["es", "en"],
    )
    audience = freezing.freeze(cast.org_a, rule, producer_kind="test", producer_id="1")
    # Org B's members (default language English) and Ana; not Ben, Cat or Dan.
    org_b = {f"b-{k}@example.org" for k in ("admin", "coordinator", "caseworker_team", "caseworker_other", "viewer")}
    assert addresses(audience) == {"ana@example.net"} | org_b
    assert freezing.count(audience) == 6
    ana = next(r for r in freezing.recipients(audience) if r.address == "ana@example.net")
    assert (ana.channel, ana.language, ana.greeting) == ("email", "es", "Ana")
    assert ana.contact_ref.startswith("contact:")


def test_sector_filter(cast: Any, lead: Any, subscribe: Any, settings: Any) -> None:
    from salama.vocab.models import Term, Vocabulary

    vocabulary = Vocabulary.objects.create(code="sectors-test", name="Sectors")
    land = Term.objects.create(vocabulary=vocabulary, code="land")
    press = Term.objects.create(vocabulary=vocabulary, code="press")
    subscribe("Ana", "ana@example.net", sectors=[land])
    subscribe("Ben", "ben@example.net", sectors=[press])
    rule = actions.do_create_rule(lead, name="Land", subscriber_kinds=["activist"], sectors=[land])
    assert addresses(freezing.freeze(cast.org_a, rule, producer_kind="t", producer_id="1")) == {"ana@example.net"}


def test_freeze_is_stable_and_idempotent(cast: Any, lead: Any, subscribe: Any) -> None:
    subscribe("Ana", "ana@example.net", countries=["CO"])
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="x")
    subscribe("Ben", "ben@example.net")  # joins after publication
    actions.do_update_rule(lead, rule, countries=["KE"])  # would now exclude Ana
    again = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="x")
    assert again.pk == audience.pk
    assert addresses(again) == {"ana@example.net"}
    assert FrozenMember.objects.filter(audience=audience).count() == 1


def test_follow_up_is_the_original_minus_those_who_left(cast: Any, lead: Any, subscribe: Any) -> None:
    _ana, ana_point = subscribe("Ana", "ana@example.net")
    subscribe("Ben", "ben@example.net")
    _cat, cat_point = subscribe("Cat", "cat@example.net", languages=["fr"])
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"], member_organizations=[cast.org_b])
    original = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
    subscribe("Dan", "dan@example.net")  # new: not in the follow-up
    actions.do_unsubscribe(ana_point)
    engine.suppress(cast.org_a, "email", "ben@example.net", Suppression.Reason.COMPLAINT)
    MemberOptOut.objects.create(organization=cast.org_a, user=cast.b_viewer)
    later = freezing.follow_up(original, producer_kind="alert", producer_id="2")
    assert later.original == original
    assert addresses(later) == {"cat@example.net"} | {
        f"b-{k}@example.org" for k in ("admin", "coordinator", "caseworker_team", "caseworker_other")
    }
    assert (
        next(r for r in freezing.recipients(later) if r.contact_ref == freezing.contact_ref(cat_point.pk)).language
        == "fr"
    )
    assert freezing.follow_up(original, producer_kind="alert", producer_id="2").pk == later.pk


def test_recipients_skip_what_changed_since_freezing(cast: Any, lead: Any, subscribe: Any) -> None:
    points = {name: subscribe(name, f"{name}@example.net")[1] for name in ("ana", "ben", "cat", "dan", "eve")}
    subscribe("fay", "fay@example.net", verified=False)  # never verified: not even frozen
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
    assert freezing.count(audience) == 5
    actions.do_withdraw_consent(lead, points["ana"])
    actions.do_update_contact_point(lead, points["ben"], active=False)
    engine.suppress(cast.org_a, "email", "cat@example.net")
    actions.do_update_contact_point(lead, points["dan"], address="dan2@example.net")  # unverified again
    assert addresses(audience) == {"eve@example.net"}


def test_no_rule_is_the_whole_list_and_extras_add_to_a_rule(cast: Any, lead: Any, subscribe: Any) -> None:
    ana, _ = subscribe("Ana", "ana@example.net")
    subscribe("Ben", "ben@example.net")
    whole = freezing.freeze(cast.org_a, None, producer_kind="alert", producer_id="1")
    assert addresses(whole) == {"ana@example.net", "ben@example.net"}
    # A rule naming only member organisations selects no subscriber; the extra one is added.
    rule = actions.do_create_rule(lead, name="Members of B", member_organizations=[cast.org_b])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="2", extra_subscribers=[ana])
    assert "ana@example.net" in addresses(audience) and "ben@example.net" not in addresses(audience)


def test_a_member_who_is_also_a_subscriber_gets_one_message(cast: Any, lead: Any, subscribe: Any) -> None:
    subscribe("B admin", "B-Admin@example.org", kind=Subscriber.Kind.MEMBER)
    rule = actions.do_create_rule(lead, name="B", subscriber_kinds=["member"], member_organizations=[cast.org_b])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
    found = [r for r in freezing.recipients(audience) if r.address.lower() == "b-admin@example.org"]
    assert len(found) == 1 and found[0].contact_ref.startswith("contact:")


def test_rule_of_another_organisation_is_refused(cast: Any) -> None:
    rule = actions.do_create_rule(cast.membership("b_admin"), name="B")
    with pytest.raises(ValueError, match="another organisation"):
        freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")


def test_recipients_are_streamed_in_chunks(cast: Any, lead: Any, subscribe: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(freezing, "CHUNK", 2)
    for i in range(5):
        subscribe(f"p{i}", f"p{i}@example.net")
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
    stream = freezing.recipients(audience)
    assert next(stream).address.startswith("p")
    assert len(list(stream)) == 4


def test_webhook_recipients_carry_their_secret(cast: Any, lead: Any, subscribe: Any) -> None:
    subscribe("Partner", "https://partner.example.net/hook", kind="partner", channel="webhook")
    rule = actions.do_create_rule(lead, name="Partners", subscriber_kinds=["partner"])
    (recipient,) = freezing.recipients(freezing.freeze(cast.org_a, rule, producer_kind="a", producer_id="1"))
    assert recipient.channel == "webhook" and recipient.extra["secret"].startswith("whsec_")


def test_recipients_feed_the_delivery_engine(cast: Any, lead: Any, subscribe: Any) -> None:
    subscribe("Ana", "ana@example.net", languages=["es"])
    rule = actions.do_create_rule(lead, name="All", subscriber_kinds=["activist"])
    audience = freezing.freeze(cast.org_a, rule, producer_kind="alert", producer_id="1")
    message = engine.create_message(cast.org_a, "alert", "1")
    content = {"email": {"en": {"subject": "s", "text": "[[link:unsubscribe]]", "html": ""}}}
    version = engine.add_version(message, content)
    assert engine.create_deliveries(version, freezing.recipients(audience)) == {"offered": 1, "invalid": 0}


def test_the_demo_network_has_an_audience() -> None:
    from salama.audiences.models import AudienceRule
    from salama.audiences.rules import preview_count
    from salama.core.demo import DEMO_RULE, load_demo_network

    load_demo_network()
    load_demo_network()  # loading twice adds nothing
    rule = AudienceRule.objects.get(name=DEMO_RULE)
    counts = preview_count(rule)
    assert counts["contact_points"] == 5 and counts["members"] > 0

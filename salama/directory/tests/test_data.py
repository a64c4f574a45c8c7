"""The shipped directory data: it validates, every entry cites sources, the slugs other apps rely
on exist, and loading it again never overwrites an operator's edit."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from salama.audit.models import AuditEntry
from salama.directory import actions
from salama.directory.data import ACTORS_FILE, load_actors, shipped_entries
from salama.directory.eligibility import RULE_TYPES
from salama.directory.models import ProtectionActor
from salama.directory.suggest import NEEDS, needs_to_offers
from salama.directory.validation import actor_problems

# The slugs the referrals, responses and statements apps may rely on.
RELIED_ON = {
    "un-sr-hrd",
    "iachr-precautionary-measures",
    "achpr-sr-hrd",
    "eu-guidelines-embassies",
    "osce-odihr",
    "front-line-defenders",
    "urgent-action-fund",
    "protectdefenders-eu",
    "shelter-city",
    "icorn",
    "peace-brigades-international",
    "amnesty-international",
    "civicus",
    "human-rights-first",
    "fidh",
    "ishr",
    "observatory-fidh-omct",
    "rsf",
    "scholars-at-risk",
    "whrd-ic",
    "un-special-procedures",
}


def entry(slug: str) -> dict:  # type: ignore[type-arg]
    return next(e for e in shipped_entries() if e["slug"] == slug)


def test_every_relied_on_slug_is_shipped_once() -> None:
    slugs = [e["slug"] for e in shipped_entries()]
    assert len(slugs) == len(set(slugs))
    assert set(slugs) >= RELIED_ON


@pytest.mark.parametrize("slug", sorted(RELIED_ON))
def test_every_entry_validates_and_cites_its_sources(slug: str) -> None:
    actor = entry(slug)
    assert actor_problems(actor) == {}
    assert actor["sources"], "every entry cites where its facts come from"
    assert all(rule["rule"] in RULE_TYPES for rule in actor["eligibility"])
    assert actor["offers"] and actor["how_to_reach"] and actor["languages"]


def test_the_needs_map_to_known_offers() -> None:
    assert set(needs_to_offers()) == set(NEEDS)
    offers = set(ProtectionActor.Offer.values)
    assert all(set(codes) <= offers and codes for codes in needs_to_offers().values())


def test_the_issue_figures_are_in_the_data() -> None:
    uaf = entry("urgent-action-fund")
    assert {"rule": "amount_at_most", "amount": 8000, "currency": "USD"}.items() <= uaf["eligibility"][1].items()
    assert uaf["eligibility"][0]["rule"] == "women_or_trans_led"
    assert uaf["response_time_hours"] == 72
    shelter = {r["rule"]: r for r in entry("shelter-city")["eligibility"]}
    assert shelter["duration_at_most_months"]["months"] == 3 and {"will_return", "no_family"} <= set(shelter)
    icorn = {r["rule"]: r for r in entry("icorn")["eligibility"]}
    assert icorn["duration_at_most_months"]["months"] == 24 and "not_emergency" in icorn
    assert icorn["sector_in"]["sectors"] == ["journalism-expression"]
    fld = {r["rule"]: r for r in entry("front-line-defenders")["eligibility"]}
    assert (fld["amount_at_most"]["amount"], fld["amount_at_most"]["currency"]) == (7500, "EUR")
    assert "not_in_exile" in fld
    iachr = {r["rule"]: r for r in entry("iachr-precautionary-measures")["eligibility"]}
    assert iachr["region_in"]["regions"] == ["americas"] and "harm_serious_urgent_irreparable" in iachr


def test_a_figure_not_confirmed_says_so_in_the_notes() -> None:
    assert "not confirmed" in entry("shelter-city")["notes"]


@pytest.mark.django_db
def test_the_data_migration_loaded_every_entry() -> None:
    assert set(ProtectionActor.objects.values_list("slug", flat=True)) >= RELIED_ON


@pytest.mark.django_db
def test_loading_again_changes_nothing() -> None:
    report = load_actors()
    assert report.created == [] and report.updated == []
    assert len(report.unchanged) == len(shipped_entries())


@pytest.mark.django_db
def test_a_changed_shipped_entry_is_updated_but_a_local_edit_is_kept(tmp_path: Path, cast) -> None:  # type: ignore[no-untyped-def]
    operator = cast.operator
    actions.do_update_actor(operator, ProtectionActor.objects.get(slug="icorn"), notes="Checked by phone.")
    document = json.loads(ACTORS_FILE.read_text(encoding="utf-8"))
    for item in document["actors"]:
        item["notes"] = "Shipped again."
    changed = tmp_path / "actors.json"
    changed.write_text(json.dumps(document), encoding="utf-8")
    report = load_actors(path=changed)
    assert report.kept_local == ["icorn"]
    assert ProtectionActor.objects.get(slug="icorn").notes == "Checked by phone."
    assert ProtectionActor.objects.get(slug="rsf").notes == "Shipped again."


@pytest.mark.django_db
def test_the_load_command_reports_and_is_safe_to_repeat(cast) -> None:  # type: ignore[no-untyped-def]
    actions.do_update_actor(cast.operator, ProtectionActor.objects.get(slug="rsf"), active=False)
    ProtectionActor.objects.filter(slug="fidh").delete()
    out = StringIO()
    call_command("directory", "load", stdout=out)
    assert "1 new" in out.getvalue() and "1 kept as edited locally" in out.getvalue()
    assert ProtectionActor.objects.filter(slug="fidh").exists()
    assert ProtectionActor.objects.get(slug="rsf").active is False
    assert AuditEntry.objects.filter(action="directory.loaded").count() == 1


@pytest.mark.django_db
def test_only_operators_change_the_directory(cast) -> None:  # type: ignore[no-untyped-def]
    actor = ProtectionActor.objects.get(slug="icorn")
    with pytest.raises(PermissionDenied):
        actions.do_update_actor(cast.a_admin, actor, notes="x")


@pytest.mark.django_db
def test_an_unknown_rule_type_is_refused_with_the_reason(cast) -> None:  # type: ignore[no-untyped-def]
    actor = ProtectionActor.objects.get(slug="icorn")
    with pytest.raises(ValidationError) as refused:
        actions.do_update_actor(cast.operator, actor, eligibility=[{"rule": "no_weekends"}])
    assert "not a known rule type" in str(refused.value.message_dict["eligibility"])
    assert ProtectionActor.objects.get(slug="icorn").edited_locally is False


@pytest.mark.django_db
def test_every_change_is_audited(cast) -> None:  # type: ignore[no-untyped-def]
    actions.do_update_actor(cast.operator, ProtectionActor.objects.get(slug="icorn"), response_time_hours=240)
    entry = AuditEntry.objects.get(action="directory.actor_updated")
    assert entry.target_id == "icorn"


def test_the_api_names_every_kind() -> None:
    from typing import get_args

    from salama.directory.api import ActorOut

    assert set(get_args(ActorOut.model_fields["kind"].annotation)) == set(ProtectionActor.Kind.values)

"""Salama's default vocabularies: complete in four languages, loaded idempotently."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from salama.vocab.actions import load_default_vocabularies
from salama.vocab.defaults import read_defaults
from salama.vocab.huridocs import read_huridocs
from salama.vocab.models import LANGUAGES, Term, Vocabulary

from .conftest import find_huridocs_file

EXPECTED = {
    "violation-types",
    "perpetrator-types",
    "degree-of-involvement",
    "source-reliability",
    "priority",
    "sectors",
    "consent-scopes",
    "victim-status",
    "date-precision",
    "response-types",
}
# The categories of Front Line Defenders' annual global analyses.
FLD_CATEGORIES = {
    "killing",
    "arbitrary-arrest-detention",
    "legal-action",
    "physical-attack",
    "death-threats",
    "threats-harassment",
    "surveillance",
    "smear-campaign",
    "torture-ill-treatment",
    "raid-break-in",
    "travel-ban",
    "enforced-disappearance",
    "abduction",
    "sexual-violence",
    "digital-attacks",
    "intimidation-of-family",
    "office-closure",
    "restrictions-assembly",
}


def test_every_default_vocabulary_and_term_speaks_four_languages():
    specs = read_defaults()
    assert {spec.code for spec in specs} == EXPECTED
    for spec in specs:
        assert set(spec.name) == set(spec.description) == set(LANGUAGES), spec.code
        for term in spec.terms:
            assert set(term.labels) == set(LANGUAGES), f"{spec.code}/{term.code}"
            assert all(text.strip() == text and text for text in term.labels.values())
    violations = next(spec for spec in specs if spec.code == "violation-types")
    top_level = {term.code for term in violations.terms if term.parent is None}
    assert FLD_CATEGORIES - top_level == set()
    priorities = next(spec for spec in specs if spec.code == "priority")
    assert [term.code for term in priorities.terms] == ["urgent", "high", "normal", "low"]


@pytest.mark.django_db
def test_the_defaults_load_twice_without_duplicates():
    first = load_default_vocabularies()
    assert first.vocabularies_created == 10 and first.terms_created == Term.objects.count() > 100
    counts = (Vocabulary.objects.count(), Term.objects.count())
    second = load_default_vocabularies()
    assert (Vocabulary.objects.count(), Term.objects.count()) == counts
    assert (second.vocabularies_unchanged, second.terms_created, second.terms_changed) == (10, 0, 0)
    assert set(Vocabulary.objects.values_list("version", flat=True)) == {1}

    legal = Term.objects.get(vocabulary__code="violation-types", code="legal-action")
    assert set(Term.objects.within(legal).values_list("code", flat=True)) == {
        "legal-action",
        "criminal-charges",
        "conviction",
        "abusive-lawsuits",
        "fines",
    }
    assert Vocabulary.objects.get(code="violation-types").hierarchical
    assert not Vocabulary.objects.get(code="priority").hierarchical
    assert Term.objects.get(vocabulary__code="sectors", code="lgbtiq-rights").label("ar").endswith("(LGBTIQ+)")


@pytest.mark.django_db
def test_a_changed_default_is_put_back_and_bumps_the_version():
    load_default_vocabularies()
    Term.objects.filter(vocabulary__code="priority", code="urgent").update(labels={"en": "Whenever"})
    load_default_vocabularies()
    assert Term.objects.get(vocabulary__code="priority", code="urgent").label("es") == "Urgente"
    assert Vocabulary.objects.get(code="priority").version == 2
    assert Vocabulary.objects.get(code="sectors").version == 1


@pytest.mark.django_db
def test_the_command_and_the_demo_load_the_defaults():
    out = io.StringIO()
    call_command("vocab", "load-defaults", stdout=out)
    assert out.getvalue().startswith("10 vocabularies (10 new, 0 changed, 0 unchanged)")
    Vocabulary.objects.all().delete()
    from salama.core.demo import load_demo_network

    load_demo_network()
    assert set(Vocabulary.objects.values_list("code", flat=True)) == EXPECTED


def test_cross_references_name_real_huridocs_terms():
    path = find_huridocs_file()
    if path is None:
        pytest.skip("the HURIDOCS file is not available")
    specs, _warnings = read_huridocs(path)
    huridocs = {term.source_ref: term.labels["en"] for spec in specs for term in spec.terms}
    references = [(spec.code, term.code, term.source_ref) for spec in read_defaults() for term in spec.terms]
    assert [ref for ref in references if ref[2] and ref[2] not in huridocs] == []
    assert huridocs[next(r for c, t, r in references if (c, t) == ("perpetrator-types", "police"))] == "Police"

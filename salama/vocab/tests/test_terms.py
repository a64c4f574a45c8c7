"""Terms: labels with fallback, roll-ups, and retired-not-deleted."""

from __future__ import annotations

import pytest
from django.core.checks import run_checks
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import translation

from salama.vocab import models
from salama.vocab.actions import do_delete_term, do_retire_term, load_default_vocabularies
from salama.vocab.models import Term, Vocabulary, pick_label


def test_a_label_falls_back_to_english_then_to_any_then_to_the_code():
    term = Term(code="police", labels={"en": "Police", "fr": "Police nationale", "es": "Policía"})
    assert term.label("fr") == "Police nationale"
    assert term.label("fr-ca") == "Police nationale"
    assert term.label("ar") == "Police"
    with translation.override("es"):
        assert term.label() == "Policía"
    with translation.override("ar"):
        assert term.label() == "Police"
    assert Term(code="x", labels={"fr": "Seulement"}).label("ar") == "Seulement"
    assert Term(code="bare", labels={}).label("en") == "bare"
    assert pick_label({"en": "Police", "ar": ""}, "ar") == ("Police", "en")


@pytest.fixture
def violations(db):
    load_default_vocabularies()
    return Vocabulary.objects.get(code="violation-types")


def get(vocabulary: Vocabulary, code: str) -> Term:
    return Term.objects.get(vocabulary=vocabulary, code=code)


def test_only_the_operator_retires_and_a_term_goes_with_its_narrower_terms(violations, cast):
    legal = get(violations, "legal-action")
    with pytest.raises(PermissionDenied):
        do_retire_term(cast.a_admin, legal)
    assert do_retire_term(cast.operator, legal) == 5
    assert legal.retired_at is not None and legal.retired_reason == "operator"
    assert not Term.objects.active().within(legal).exists()
    assert Term.objects.within(legal).count() == 5  # kept for the records that use them
    violations.refresh_from_db()
    assert violations.version == 2
    assert do_retire_term(cast.operator, legal) == 0
    violations.refresh_from_db()
    assert violations.version == 2
    # Loading the defaults again does not undo the operator's choice.
    load_default_vocabularies()
    assert get(violations, "fines").retired_reason == "operator"


def test_a_term_in_use_is_never_deleted(violations, cast, monkeypatch):
    fines = get(violations, "fines")
    with pytest.raises(PermissionDenied):
        do_delete_term(cast.a_admin, fines)
    with pytest.raises(ValidationError, match="narrower terms"):
        do_delete_term(cast.operator, get(violations, "legal-action"))
    monkeypatch.setattr(Term, "is_used", lambda self: True)
    with pytest.raises(ValidationError, match="Retire it instead"):
        do_delete_term(cast.operator, fines)
    assert Term.objects.filter(pk=fines.pk).exists()
    monkeypatch.undo()
    do_delete_term(cast.operator, fines)
    assert not Term.objects.filter(pk=fines.pk).exists()
    violations.refresh_from_db()
    assert violations.version == 2


def test_is_used_asks_every_registered_referrer(violations, monkeypatch):
    assert not get(violations, "legal-action").is_used()  # nothing registered yet
    # Term.parent stands in for a future referrer: a broader term is "used" by its children.
    monkeypatch.setattr(models, "TERM_REFERRERS", {("vocab.Term", "parent")})
    assert get(violations, "legal-action").is_used()
    assert not get(violations, "fines").is_used()


def test_a_misregistered_referrer_is_a_system_check_error(monkeypatch):
    assert [m for m in run_checks() if m.id.startswith("salama.vocab")] == []
    monkeypatch.setattr(models, "TERM_REFERRERS", {("cases.Incident", "violation")})
    errors = [m for m in run_checks() if m.id == "salama.vocab.E001"]
    assert len(errors) == 1 and "cases.Incident.violation" in errors[0].msg


@pytest.mark.django_db
def test_codes_that_would_break_the_paths_are_refused():
    from salama.vocab.actions import sync_vocabularies
    from salama.vocab.specs import ImportRefused, TermSpec, VocabularySpec

    for code in ("Upper", "a/b", "", "x" * 65):
        spec = VocabularySpec("local", {"en": "Local"}, "salama", [TermSpec(code, {"en": "A"})])
        with pytest.raises(ImportRefused, match="is not a valid code"):
            sync_vocabularies("salama", [spec])
    assert not Vocabulary.objects.exists()

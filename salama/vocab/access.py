"""The only way to fetch vocabularies and terms.

Vocabularies are shared reference data, the same for everyone: any signed-in person may read
all of them, so these helpers take no user. A missing vocabulary is 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, Count, Q, QuerySet, Value, When
from django.http import Http404

from .models import Term, Vocabulary, pick_label


def all_vocabularies() -> QuerySet[Vocabulary]:
    """Salama's own first, then the imported ones; each with its number of active terms."""
    return Vocabulary.objects.annotate(
        term_count=Count("terms", filter=Q(terms__retired_at__isnull=True)),
        own_first=Case(When(source=Vocabulary.Source.SALAMA, then=Value(0)), default=Value(1)),
    ).order_by("own_first", "code")


def access_vocabulary(code: str) -> Vocabulary:
    vocabulary = Vocabulary.objects.filter(code=code).first()
    if vocabulary is None:
        raise Http404
    return vocabulary


def terms_of(vocabulary: Vocabulary, *, include_retired: bool = False) -> QuerySet[Term]:
    """In reading order: each term followed by its narrower terms."""
    terms = Term.objects.filter(vocabulary=vocabulary).select_related("parent").order_by("position")
    return terms if include_retired else terms.active()


@dataclass(frozen=True)
class Node:
    """One line of a vocabulary's tree as a page shows it."""

    term: Term
    label: str
    language: str  # the label's own language: differs from the page's when it fell back
    depth: int
    opens: bool  # narrower terms follow
    closes: range  # how many levels end after this term


def term_tree(vocabulary: Vocabulary, language: str, *, include_retired: bool = False) -> list[Node]:
    """The terms in reading order, ready to render as nested lists without recursion.

    Without retired terms, a retired term's narrower terms are left out too, so nothing hangs
    under a term that is not shown.
    """
    shown: list[Term] = []
    hidden_below: str | None = None
    for term in Term.objects.filter(vocabulary=vocabulary).order_by("position"):
        if hidden_below is not None and term.path.startswith(hidden_below):
            continue
        hidden_below = None
        if term.retired_at is not None and not include_retired:
            hidden_below = term.path
            continue
        shown.append(term)
    nodes = []
    for index, term in enumerate(shown):
        next_depth = shown[index + 1].depth if index + 1 < len(shown) else 0
        label, label_language = pick_label(term.labels, language)
        nodes.append(
            Node(
                term=term,
                label=label or term.code,
                language=label_language,
                depth=term.depth,
                opens=next_depth > term.depth,
                closes=range(max(term.depth - next_depth, 0)),
            )
        )
    return nodes

from __future__ import annotations

from django.core.paginator import Paginator
from django.db.models import F

from salama.core.paging import KeysFirstPaginator
from salama.vocab.actions import load_default_vocabularies
from salama.vocab.models import Term


def test_pages_hold_the_same_rows_in_the_same_order_as_plain_paging(db):
    load_default_vocabularies()
    terms = (
        Term.objects.select_related("vocabulary")
        .annotate(list_code=F("vocabulary__code"))
        .order_by("-list_code", "position", "pk")
    )
    assert terms.count() > 100
    plain, keys_first = Paginator(terms, 7, orphans=2), KeysFirstPaginator(terms, 7, orphans=2)
    assert keys_first.num_pages == plain.num_pages
    for number in (1, 2, plain.num_pages // 2, plain.num_pages):
        expected, page = plain.page(number), keys_first.page(number)
        assert [t.pk for t in page] == [t.pk for t in expected]
        assert [t.list_code for t in page] == [t.list_code for t in expected]  # annotations kept
        assert (page.has_next(), page.start_index()) == (expected.has_next(), expected.start_index())


def test_counting_stops_at_the_cap_and_the_page_says_so(db, monkeypatch):
    from django.template.loader import render_to_string

    from salama.core import paging

    load_default_vocabularies()
    terms = Term.objects.order_by("pk")
    monkeypatch.setattr(paging, "COUNT_CAP", 50)
    paginator = KeysFirstPaginator(terms, 10)
    assert terms.count() > 51 and paginator.count == 51 and paginator.capped
    page = paginator.page(2)
    assert [t.pk for t in page] == [t.pk for t in terms[10:20]]
    assert "Page 2 of more than 6" in render_to_string("includes/page_position.html", {"page": page})
    small = KeysFirstPaginator(terms.filter(pk__in=list(terms.values_list("pk", flat=True)[:30])), 10)
    assert not small.capped
    assert render_to_string("includes/page_position.html", {"page": small.page(3)}).strip() == "Page 3 of 3"


def test_rows_are_read_by_key_alone_when_the_list_gives_its_unfiltered_rows(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    load_default_vocabularies()
    everything = Term.objects.annotate(list_code=F("vocabulary__code")).order_by("-list_code", "position", "pk")
    in_some_lists = everything.filter(vocabulary__in=Term.objects.filter(position__lt=3).values("vocabulary"))
    plain = Paginator(in_some_lists, 7)
    keys_first = KeysFirstPaginator(in_some_lists, 7, rows=everything)
    filtering = 0
    for number in (1, 2, plain.num_pages):
        with CaptureQueriesContext(connection) as queries:
            page = keys_first.page(number)
        assert [t.pk for t in page] == [t.pk for t in plain.page(number)]
        assert [t.list_code for t in page] == [t.list_code for t in plain.page(number)]
        assert (page.has_next(), page.start_index()) == (
            plain.page(number).has_next(),
            plain.page(number).start_index(),
        )
        *filtered, reading = queries.captured_queries
        filtering += len(filtered)
        assert all("IN (SELECT" in query["sql"] for query in filtered)
        assert "IN (SELECT" not in reading["sql"]  # the page's rows, by key alone
    # One query applied the filter, for the count and every page's keys.
    assert filtering == 1 and keys_first.count == plain.count


def test_the_pager_keeps_the_filters_and_links_both_ways(db):
    from django.template.loader import render_to_string

    load_default_vocabularies()
    page = KeysFirstPaginator(Term.objects.order_by("pk"), 10).page(2)
    html = render_to_string("includes/pagination.html", {"page": page, "query": "status=active"})
    assert 'href="?status=active&amp;page=1"' in html and 'href="?status=active&amp;page=3"' in html
    assert "Page 2 of" in html
    five = Term.objects.filter(pk__in=list(Term.objects.order_by("pk").values_list("pk", flat=True)[:5]))
    only = KeysFirstPaginator(five.order_by("pk"), 10).page(1)
    assert "pagination" not in render_to_string("includes/pagination.html", {"page": only, "query": ""})


def test_repeated_keys_are_kept_once_reading_further_as_needed(db):
    from salama.core.paging import _first_keys, merged_keys
    from salama.vocab.models import Vocabulary

    load_default_vocabularies()
    # Each vocabulary's key repeats once per term: far more repeats than the first read allows.
    repeated = merged_keys([Term.objects.all()], "vocabulary_id", ("vocabulary_id", "pk"))
    every = [
        str(pk)
        for pk in Vocabulary.objects.filter(terms__isnull=False).distinct().order_by("pk").values_list("pk", flat=True)
    ]
    assert len(every) >= 4
    assert _first_keys(repeated, 3) == every[:3]
    assert _first_keys(repeated, 1000) == every


def test_keys_merged_from_several_parts_are_the_keys_of_one_query_over_all_of_them(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from salama.core.paging import merged_keys
    from salama.vocab.models import Vocabulary

    load_default_vocabularies()
    vocabularies = list(Vocabulary.objects.filter(terms__isnull=False).distinct().order_by("pk")[:3])
    parts = [Term.objects.filter(vocabulary=vocabulary) for vocabulary in vocabularies]
    order = ("-code", "pk")
    together = Term.objects.filter(vocabulary__in=vocabularies).order_by(*order)
    every = [str(pk) for pk in together.values_list("pk", flat=True)]
    assert len(every) > 10
    keys = merged_keys(parts, "pk", order)
    for limit in (1, 7, len(every) - 1, len(every) + 5):
        assert keys(limit) == every[:limit]
    with CaptureQueriesContext(connection) as captured:
        keys(5)
    # PostgreSQL merges the parts read in order; SQLite, which cannot order them, sorts them all.
    merged = "UNION ALL" in captured.captured_queries[0]["sql"]
    assert merged == connection.features.supports_slicing_ordering_in_compound

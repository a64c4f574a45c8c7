"""Pages to browse the vocabularies: shared reference data any signed-in person may read."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from .access import access_vocabulary, all_vocabularies, term_tree
from .models import FALLBACK_LANGUAGE, pick_label


@require_GET
def list_view(request: HttpRequest) -> HttpResponse:
    language = get_language() or FALLBACK_LANGUAGE
    rows = [(vocabulary, *pick_label(vocabulary.name, language)) for vocabulary in all_vocabularies()]
    return render(request, "vocab/list.html", {"rows": rows, "language": language.split("-")[0]})


@require_GET
def detail_view(request: HttpRequest, code: str) -> HttpResponse:
    vocabulary = access_vocabulary(code)
    language = get_language() or FALLBACK_LANGUAGE
    include_retired = request.GET.get("retired") == "1"
    nodes = term_tree(vocabulary, language, include_retired=include_retired)
    name, name_language = pick_label(vocabulary.name, language)
    description, description_language = pick_label(vocabulary.description, language)
    return render(
        request,
        "vocab/detail.html",
        {
            "vocabulary": vocabulary,
            "name": name or vocabulary.code,
            "name_language": name_language,
            "description": description,
            "description_language": description_language,
            "nodes": nodes,
            "include_retired": include_retired,
            "language": language.split("-")[0],
        },
    )

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.pagination import paginate

from salama.api.errors import ERRORS
from salama.api.pagination import PageNumberPagination
from salama.api.policies import requires

from .access import access_vocabulary, all_vocabularies, terms_of
from .models import Term

router = Router(tags=["vocabularies"])


class VocabularyOut(Schema):
    code: str
    name: dict[str, str]
    description: dict[str, str]
    source: str
    source_ref: str
    version: int
    hierarchical: bool
    term_count: int


class TermOut(Schema):
    code: str
    parent: str | None
    labels: dict[str, str]
    label: str
    order: int
    depth: int
    path: str
    source_ref: str
    retired_at: datetime | None

    @staticmethod
    def resolve_parent(obj: Term) -> str | None:
        return obj.parent.code if obj.parent is not None else None

    @staticmethod
    def resolve_label(obj: Term) -> str:
        return obj.label()


@router.get(
    "/vocabularies",
    response={200: list[VocabularyOut], **ERRORS},
    summary="The controlled vocabularies",
    description="Shared reference data: the same for every organisation. `version` goes up with every change.",
)
@paginate(PageNumberPagination)
@requires(None)
def list_vocabularies(request: HttpRequest):  # type: ignore[no-untyped-def]
    return all_vocabularies()


@router.get(
    "/vocabularies/{code}/terms",
    response={200: list[TermOut], **ERRORS},
    summary="A vocabulary's terms",
    description=(
        "In reading order: each term followed by its narrower terms. `label` is in the language of "
        "`Accept-Language`, falling back to English. Retired terms are left out unless "
        "`include_retired=true`."
    ),
)
@paginate(PageNumberPagination)
@requires(None)
def list_vocabulary_terms(request: HttpRequest, code: str, include_retired: bool = False):  # type: ignore[no-untyped-def]
    return terms_of(access_vocabulary(code), include_retired=include_retired)

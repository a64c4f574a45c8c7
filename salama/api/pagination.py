from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase


class PageNumberPagination(PaginationBase):
    """`?page=&page_size=`, answered with `count`, `next` and `items`."""

    class Input(Schema):
        page: int = Field(1, ge=1)
        page_size: int = Field(settings.NINJA_PAGINATION_PER_PAGE, ge=1, le=settings.NINJA_PAGINATION_MAX_PAGE_SIZE)

    class Output(Schema):
        count: int
        next: str | None
        items: list[Any]

    def paginate_queryset(self, queryset: QuerySet, pagination: Input, request: HttpRequest, **params: Any) -> Any:
        offset = (pagination.page - 1) * pagination.page_size
        count = self._items_count(queryset)
        # A page past the end is empty; slicing there could overflow the database's integers.
        items = list(queryset[offset : offset + pagination.page_size]) if offset < count else []
        next_url = None
        if offset + pagination.page_size < count:
            query = request.GET.copy()
            query["page"] = str(pagination.page + 1)
            query["page_size"] = str(pagination.page_size)
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        return {"count": count, "next": next_url, "items": items}

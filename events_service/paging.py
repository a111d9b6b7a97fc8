"""Paging through a list that can grow (API.md "Second round"): `limit` (default 100, at most
500), `offset` and `updated_since`; the answer stays a JSON array and carries `X-Total-Count`
and, while there is more, `Link: <…>; rel="next"`.

One home for it: a route takes `page: Page` (the `PAGE` dependency reads the three query
parameters) and answers with `paged(request, page, items, total)`; the query applies
`page.window(query)` after counting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.di import Provide
from litestar.exceptions import ValidationException
from litestar.params import FromQuery

from events_service.params import Limit, Offset

__all__ = ["PAGE", "DEFAULT_LIMIT", "Page", "paged"]

T = TypeVar("T")

DEFAULT_LIMIT = 100


@dataclass(frozen=True)
class Page:
    limit: int = DEFAULT_LIMIT
    offset: int = 0
    #: Only rows changed at or after this moment (UTC, timezone-aware).
    updated_since: datetime | None = None

    def window(self, query: Any) -> Any:
        """The query cut to this page (a Piccolo select, already ordered)."""
        return query.limit(self.limit).offset(self.offset)

    def cut(self, items: list[T]) -> list[T]:
        """This page of a list filtered in Python (the few lists that are)."""
        return items[self.offset : self.offset + self.limit]


def _page(
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
    updated_since: FromQuery[datetime | None] = None,
) -> Page:
    if updated_since is not None and updated_since.tzinfo is None:
        # A naive moment means a different instant to each engine (SQLite compares text).
        raise ValidationException("updated_since must carry a UTC offset, e.g. 2026-12-06T10:00:00Z")
    return Page(limit, offset, updated_since.astimezone(UTC) if updated_since else None)


#: `dependencies=PAGE` on a controller (or a route) gives its handlers `page: Page`.
PAGE = {"page": Provide(_page, sync_to_thread=False)}


def paged(request: Request[Any, Any, Any], page: Page, items: list[T], total: int) -> Response[list[T]]:
    """The JSON array `items` with X-Total-Count and, when more rows follow, a Link to them."""
    headers = {"X-Total-Count": str(total)}
    if page.offset + len(items) < total and items:
        following = request.url.with_replacements(
            query=_with(request, offset=page.offset + len(items), limit=page.limit)
        )
        headers["Link"] = f'<{following}>; rel="next"'
    return Response(items, headers=headers)


def _with(request: Request[Any, Any, Any], **values: int) -> str:
    kept = [(key, value) for key, value in request.query_params.multi_items() if key not in values]
    return urlencode([*kept, *((key, str(value)) for key, value in values.items())])

"""Path and query parameter types the routes share, bounded so that hostile numbers are a
clear 400 before any query: an id beyond PostgreSQL's `integer` is an error there (a 500),
and an offset beyond 64 bits overflows SQLite's driver."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request
from litestar.exceptions import ClientException
from litestar.params import PathParameter, QueryParameter

from events_service.languages import Language
from events_service.validation import DB_INT_MAX, has_control_characters

#: A row's id in a path: 1 … 2³¹-1 (an int4 column).
RowId = Annotated[int, PathParameter(gt=0, le=DB_INT_MAX, description="a row id")]
#: Paging through a list: at most 500 at a time, from at most the last possible row.
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0, le=DB_INT_MAX)]
#: Keyset paging back through a list newest first: the rows with an id below this one.
OlderThan = Annotated[int | None, QueryParameter(gt=0, le=DB_INT_MAX, description="only rows with an id below this one")]
#: The words of an export meant for people (question titles, option labels, yes/no); the
#: fixed column names stay as they are, for the programs that read them.
ExportLanguage = Annotated[
    Language, QueryParameter(description="language of the question columns, option labels and yes/no (default en)")
]


async def refuse_control_characters(request: Request[Any, Any, Any]) -> None:
    """A path or query value with a control character (NUL, a line break…) names nothing we
    have, and PostgreSQL refuses NUL in a query's text: 400 before any handler runs."""
    values = [request.url.path, *(value for _, value in request.query_params.multi_items())]
    if any(has_control_characters(value) for value in values):
        raise ClientException("the address holds a control character (NUL, line break or the like)")


class BoundedJsonRequest(Request[Any, Any, Any]):
    """A request whose JSON body may not nest deeper than the decoder can recurse: msgspec
    raises RecursionError on `[[[[…` (a few kilobytes), which Litestar would answer with a 500."""

    async def json(self) -> Any:
        try:
            return await super().json()
        except RecursionError:
            raise ClientException("the JSON body nests too deeply") from None

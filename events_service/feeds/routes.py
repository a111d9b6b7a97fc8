"""Calendar documents over HTTP (feeds.service): one event's download, the public feed, a person's own feed.

Outside /api and its bearer-token middleware: calendar clients subscribe to these URLs and
send no credentials (a personal feed's signed token is its credential).
"""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter
from litestar.types import Message, Scope

from events_service.events.records import EventKind
from events_service.feeds import service
from events_service.openapi_docs import answers_file
from events_service.settings import Settings

# Litestar adds "; charset=utf-8" to text/* types (Response.encoding).
MEDIA_TYPE = "text/calendar"
SUFFIX = ".ics"
PUBLIC_CACHE = f"public, max-age={service.FEED_MAX_AGE_SECONDS}"

IfNoneMatch = Annotated[str | None, HeaderParameter(name="if-none-match", required=False)]


def _name(filename: str, what: str) -> str:
    """`<name>.ics` -> `<name>`; any other file name is unknown here."""
    if not filename.endswith(SUFFIX) or len(filename) == len(SUFFIX):
        raise service.CalendarNotFound(f"no {what} '{filename}': calendar links end in {SUFFIX}")
    return filename[: -len(SUFFIX)]


def _matches(if_none_match: str | None, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 13.1.2): W/ is ignored; * matches."""
    if not if_none_match:
        return False
    tags = [tag.strip() for tag in if_none_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in tags)


_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def forget_feed_etags_after_writes(message: Message, scope: Scope) -> None:
    """An app-wide before_send hook: once a request that may have changed events answers, this
    process stops answering feed polls from remembered ETags (service._EtagMemo). Async on
    purpose: Litestar runs a sync hook in a worker thread, twice per response."""
    if message["type"] == "http.response.start" and scope.get("method", "GET") not in _SAFE_METHODS:
        service.forget_feed_etags()


def _calendar(body: bytes, headers: dict[str, str]) -> Response[bytes]:
    return Response(body, media_type=MEDIA_TYPE, headers=headers)


class CalendarController(Controller):
    path = "/"
    tags = ["calendar"]

    @get("/events/{filename:str}", summary="One event as an .ics download (by id or slug: /events/42.ics)", opt=answers_file(SUFFIX))
    async def event(self, filename: FromPath[str], settings: NamedDependency[Settings]) -> Response[bytes]:
        document = await service.event_calendar(_name(filename, "event"), settings)
        return _calendar(document.body, {"Content-Disposition": f'attachment; filename="{document.filename}"'})

    @get("/calendar/events.ics", summary="Feed of published events; ETag, If-None-Match answers 304")
    async def feed(
        self,
        settings: NamedDependency[Settings],
        if_none_match: IfNoneMatch = None,
        kind: FromQuery[EventKind | None] = None,
        topic: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        query = service.FeedQuery.of(kind, topic)
        if if_none_match:
            etag = await service.public_feed_etag(query, settings)
            if _matches(if_none_match, etag):
                return Response(b"", status_code=304, headers={"ETag": etag, "Cache-Control": PUBLIC_CACHE})
        # The tag sent is the one of the rows the body was made from.
        etag, body = await service.public_feed(query, settings)
        return _calendar(body, {"ETag": etag, "Cache-Control": PUBLIC_CACHE})

    @get("/calendar/personal/{filename:str}", summary="A person's own events, by the signed link in their emails", opt=answers_file(SUFFIX))
    async def personal(self, filename: FromPath[str], settings: NamedDependency[Settings]) -> Response[bytes]:
        body = await service.personal_calendar(_name(filename, "calendar"), settings)
        return _calendar(body, {"Cache-Control": "private"})

"""The page the undo link of a cancellation by a Decline reply opens (registrations/undo.py):
GET only shows what the link would do, with a button (mail scanners follow links: a GET never
acts); the button's POST takes the seat back, or says why it cannot."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events_service.audit.actor import REGISTRANT, set_actor
from events_service.rate_limit import undo_link_limit
from events_service.registrations import undo
from events_service.registrations.errors import RegistrationConflict
from events_service.settings import Settings
from events_service.web.pages import render

#: Refusals that mean the seat is not there for this registration any more.
_NO_SEAT = frozenset({"seat_taken", "company_full"})


def undo_page_controller(settings: Settings) -> type[Controller]:
    """The page, rate limited per client address with the same count as the undo link's API
    (rate_limit.py). It speaks the registration's language, the cancellation email's, unless
    the person switched (web/language.py)."""
    undo_limit = undo_link_limit(settings)

    class UndoPage(Controller):
        path = "/undo"
        include_in_schema = False
        middleware = [undo_limit]

        @get("/{token:str}")
        async def offer(self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]) -> Template:
            offer = await undo.undo_offer(token, settings)
            return render(request, "undo.html", link_language=offer.language, offer=offer, token=token)

        @post("/{token:str}")
        async def take_back(self, request: Request[Any, Any, Any], token: FromPath[str], settings: NamedDependency[Settings]) -> Response[Any]:
            set_actor(REGISTRANT)  # the audit log: done through the registrant's own link
            try:
                await undo.undo_cancellation(token, settings)
            except RegistrationConflict as refused:
                offer = await undo.undo_offer(token, settings)
                if refused.code in _NO_SEAT:
                    offer = msgspec.structs.replace(offer, state=undo.UndoState.SEAT_TAKEN)
                return render(request, "undo.html", status_code=409, link_language=offer.language, offer=offer, token=token)
            return Redirect(path=f"/undo/{token}", status_code=303)

    return UndoPage

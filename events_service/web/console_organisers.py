"""The console's accounts: an admin lists, creates, disables and re-roles organisers; anyone
signed in changes their own password; a forgotten password is reset through an emailed link
(those two pages are open: web/session.py OPEN_PATHS). The rules are organisers/accounts.py's."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from events_service.errors import DomainError
from events_service.organisers import accounts
from events_service.organisers.auth import ADMINS
from events_service.organisers.service import create_organiser
from events_service.params import RowId
from events_service.settings import Settings
from events_service.web.pages import page_language, page_translator, render
from events_service.web.session import SESSION_STORE, end_sessions_of


def _text(form: Any, name: str, most: int = 1024) -> str:
    return str(form.get(name, ""))[:most]


class ConsoleOrganisers(Controller):
    path = "/console"
    include_in_schema = False

    # ------------------------------------------------------------------ admins

    @get("/organisers", guards=[ADMINS])
    async def organisers(self, request: Request[Any, Any, Any]) -> Template:
        return await self._page(request, notice=request.query_params.get("done"))

    async def _page(self, request: Request[Any, Any, Any], *, status_code: int = 200, error: str | None = None,
                    notice: str | None = None, values: dict[str, str] | None = None) -> Template:
        return render(request, "console/organisers.html", status_code=status_code, organisers=await accounts.list_organisers(),
                      error=error, notice=notice, values=values or {"email": "", "name": "", "role": "organiser"})

    @post("/organisers", guards=[ADMINS])
    async def create(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        values = {"email": _text(form, "email", 320), "name": _text(form, "name", 200).strip(), "role": _text(form, "role", 20)}
        if not values["name"]:
            _ = page_translator(request)
            return await self._page(request, status_code=422, error=_("Give the organiser's name."), values=values)
        try:
            await create_organiser(values["email"], values["name"], _text(form, "password"), values["role"])
        except DomainError as error:
            return await self._page(request, status_code=error.status_code, error=error.detail, values=values)
        return Redirect(path="/console/organisers", query_params={"done": "created"}, status_code=303)

    @post("/organisers/{organiser_id:int}/role", guards=[ADMINS])
    async def change_role(self, request: Request[Any, Any, Any], organiser_id: RowId) -> Response[Any]:
        form = await request.form()
        try:
            await accounts.set_role(organiser_id, _text(form, "role", 20), acting_admin=request.user.id)
        except DomainError as error:
            return await self._page(request, status_code=error.status_code, error=error.detail)
        return Redirect(path="/console/organisers", query_params={"done": "saved"}, status_code=303)

    @post("/organisers/{organiser_id:int}/disable", guards=[ADMINS])
    async def disable(self, request: Request[Any, Any, Any], organiser_id: RowId) -> Response[Any]:
        return await self._enable(request, organiser_id, enabled=False)

    @post("/organisers/{organiser_id:int}/enable", guards=[ADMINS])
    async def enable(self, request: Request[Any, Any, Any], organiser_id: RowId) -> Response[Any]:
        return await self._enable(request, organiser_id, enabled=True)

    async def _enable(self, request: Request[Any, Any, Any], organiser_id: int, *, enabled: bool) -> Response[Any]:
        try:
            await accounts.set_enabled(organiser_id, enabled, acting_admin=request.user.id)
        except DomainError as error:
            return await self._page(request, status_code=error.status_code, error=error.detail)
        if not enabled:  # their open console sessions end now (bearer tokens stop by themselves)
            await end_sessions_of(request.app.stores.get(SESSION_STORE), organiser_id)
        return Redirect(path="/console/organisers", query_params={"done": "saved"}, status_code=303)

    # ------------------------------------------------------------------ one's own password

    @get("/account/password")
    async def password_form(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "console/password.html", error=None, notice=request.query_params.get("done"))

    @post("/account/password")
    async def change_password(self, request: Request[Any, Any, Any]) -> Response[Any]:
        form = await request.form()
        _ = page_translator(request)
        new = _text(form, "new_password")
        if new != _text(form, "new_password_again"):
            return render(request, "console/password.html", status_code=422, error=_("The two new passwords differ."), notice=None)
        try:
            await accounts.change_password(request.user.id, _text(form, "current_password"), new)
        except DomainError as error:
            return render(request, "console/password.html", status_code=error.status_code, error=error.detail, notice=None)
        return Redirect(path="/console/account/password", query_params={"done": "changed"}, status_code=303)

    # ------------------------------------------------------------------ forgotten password (open)

    @get("/password-reset")
    async def reset_request_form(self, request: Request[Any, Any, Any]) -> Template:
        return render(request, "console/reset_request.html", sent=False)

    @post("/password-reset")
    async def reset_request(self, request: Request[Any, Any, Any], settings: NamedDependency[Settings]) -> Template:
        form = await request.form()
        await accounts.request_password_reset(_text(form, "email", 320), settings, page_language(request))
        # The same answer whether or not the address has an account.
        return render(request, "console/reset_request.html", sent=True)

    @get("/password-reset/{token:str}")
    async def reset_form(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Template:
        usable = await accounts.reset_link_usable(token)
        return render(request, "console/reset.html", status_code=200 if usable else 410, token=token, usable=usable, error=None)

    @post("/password-reset/{token:str}")
    async def reset(self, request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
        form = await request.form()
        _ = page_translator(request)
        new = _text(form, "new_password")
        if new != _text(form, "new_password_again"):
            return render(request, "console/reset.html", status_code=422, token=token, usable=True, error=_("The two new passwords differ."))
        try:
            await accounts.reset_password(token, new)
        except DomainError as error:
            return render(request, "console/reset.html", status_code=error.status_code, token=token, usable=True, error=error.detail)
        return Redirect(path="/console/login", status_code=303)

"""The console's session: Litestar's SessionAuth over a server-side session store.

The cookie carries only a random session id (32 bytes); what it stands for (which organiser,
until when) lives in the store, so signing out deletes it there and a copied cookie stops
working at once. Nothing in the cookie is signed, so a secret key rotation
(EVENTS_SECRET_KEY_FALLBACKS) neither opens nor closes a session.

The store is `session_store()`: on the embedded default a Litestar FileStore under
`var/console_sessions`, which every process of `serve --workers N` on the machine shares and
which outlives a restart (as the signed cookie did); with EVENTS_REDIS_URL, a RedisStore that
every machine shares (shared_stores.py).

A session is written once, when it starts, and lasts SESSION_MAX_AGE from then whatever its
use (the store forgets it then, and `signed_in_organiser` refuses it past its `expires_at`
should a store keep it longer). Its id is always new at sign-in, never one the browser
brought, so a planted cookie cannot be signed in (session fixation).

Ending every session of one organiser (`events-service organiser sign-out EMAIL`, an
administrator's tool: a lost laptop, a colleague who left) records when they were ended, in a
namespace of the store of its own; a session started before that is refused.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.middleware.session.server_side import (
    ServerSideSessionBackend,
    ServerSideSessionConfig,
)
from litestar.security.session_auth import SessionAuth
from litestar.stores.base import NamespacedStore, StorageObject, Store
from litestar.stores.file import FileStore
from litestar.types import Empty, Message, ScopeSession

from events_service.audit.actor import organiser as organiser_actor
from events_service.audit.actor import set_actor
from events_service.organisers.schemas import CurrentOrganiser
from events_service.organisers.service import get_organiser
from events_service.settings import Settings
from events_service.shared_stores import redis_store

SESSION_COOKIE = "console_session"
SESSION_MAX_AGE = 12 * 3600
#: The name the store is registered under in the app (Litestar(stores=...)).
SESSION_STORE = "console_sessions"
#: The paths that need no session: the sign-in form, and signing out (which ends whatever is there).
OPEN_PATHS = ["^/console/login$", "^/console/logout$", "^/console/password-reset(/[^/]*)?$"]

_ORGANISER, _SIGNED_IN_AT, _EXPIRES_AT, _STARTING = "organiser", "signed_in_at", "expires_at", "starting"


def session_store(settings: Settings) -> NamespacedStore:
    """Where console sessions live (see the module's docstring): Redis when EVENTS_REDIS_URL
    is set (shared_stores.py), else files under EVENTS_VAR_DIR."""
    shared = redis_store(settings, SESSION_STORE)
    if shared is not None:
        return shared
    path = settings.var_dir / "console_sessions"
    Path(path).mkdir(parents=True, exist_ok=True)
    return FileStore(path)


def _ended(store: Store) -> Store:
    """When each organiser's sessions were last ended, apart from the sessions themselves (a
    session's id cannot name one of these)."""
    if not isinstance(store, NamespacedStore):
        raise TypeError("the console's session store must have namespaces (session_store)")
    return store.with_namespace("ended")


async def end_sessions_of(store: Store, organiser_id: int) -> None:
    """End every session `organiser_id` has open now (a sign-in afterwards starts afresh)."""
    await _ended(store).set(str(organiser_id), repr(_now()), expires_in=SESSION_MAX_AGE)


async def delete_expired_sessions(settings: Settings) -> int:
    """The periodic job (web/background.py): a file store forgets an expired session only when
    it is read again, and a session whose browser never comes back would stay on disk for
    good; this deletes them, and the ended-sessions records past SESSION_MAX_AGE (no session
    they could refuse is left). Returns how many. A store that expires keys itself (Redis)
    needs nothing."""
    store = session_store(settings)
    if not isinstance(store, FileStore):
        return 0
    return await _delete_expired_files(store) + await _delete_expired_files(_ended(store))


async def _delete_expired_files(store: FileStore) -> int:
    """FileStore.delete_expired, minus its stumbles: it reads the namespaces' folders (the
    ended-sessions records) and the temporary files of a write in progress as items."""
    deleted = 0
    if not await store.path.exists():
        return 0
    async for file in store.path.iterdir():
        if ".tmp" in file.name or not await file.is_file():
            continue
        try:
            item = StorageObject.from_bytes(await file.read_bytes())
        except (OSError, ValueError):  # gone meanwhile, or not a stored item
            continue
        if item.expired:
            await file.unlink(missing_ok=True)
            deleted += 1
    return deleted


def start_session(request: Request[Any, Any, Any], organiser: CurrentOrganiser) -> None:
    """Sign `organiser` in: the answer carries the cookie of a new session."""
    now = _now()
    request.set_session({_ORGANISER: organiser.id, _SIGNED_IN_AT: now, _EXPIRES_AT: now + SESSION_MAX_AGE, _STARTING: True})


def end_session(request: Request[Any, Any, Any]) -> None:
    """Sign out: the session is deleted from the store and the cookie cleared."""
    request.clear_session()


def _now() -> float:
    return time.time()


async def signed_in_organiser(session: dict[str, Any], connection: ASGIConnection[Any, Any, Any, Any]) -> CurrentOrganiser | None:
    """The organiser of an open session, read afresh (a changed role counts at once; a deleted
    account ends its sessions); None ends the session."""
    organiser_id, signed_in_at, expires_at = session.get(_ORGANISER), session.get(_SIGNED_IN_AT), session.get(_EXPIRES_AT)
    if not isinstance(organiser_id, int) or not isinstance(signed_in_at, float) or not isinstance(expires_at, float):
        return None
    if expires_at <= _now():
        return None
    ended = await _ended(connection.app.stores.get(SESSION_STORE)).get(str(organiser_id))
    if ended is not None and signed_in_at <= float(ended):
        return None
    organiser = await get_organiser(organiser_id)
    if organiser is not None:
        set_actor(organiser_actor(organiser.id))  # the audit log's "by whom" for this request
    return organiser


class ConsoleSessionBackend(ServerSideSessionBackend):
    """Litestar's server-side backend writes the session back, and sets its cookie, on every
    answer: it would store an empty session for every visitor of the sign-in form, extend a
    session for as long as it is used, and keep the id a browser brought at sign-in. Here a
    session is stored only when it starts, under a new id; an ended or unknown one is deleted
    and its cookie cleared; otherwise the answer leaves both alone."""

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection[Any, Any, Any, Any]) -> None:
        store = self.config.get_store_from_app(connection.scope["app"])
        brought = connection.cookies.get(self.config.key)
        brought = brought if brought and brought != "null" else None
        if scope_session is Empty or not scope_session:
            if brought:
                await self.delete(brought, store=store)
                self._set_cookie(message, "null", max_age=0)
            return
        if not isinstance(scope_session, dict) or not scope_session.pop(_STARTING, False):
            return  # an open session, unchanged: written once, when it started
        if brought:
            await self.delete(brought, store=store)
        session_id = self.generate_session_id()
        await self.set(session_id, self.serialize_data(scope_session, connection.scope), store=store)
        self._set_cookie(message, session_id, max_age=self.config.max_age)

    def _set_cookie(self, message: Message, value: str, max_age: int) -> None:
        cookie = Cookie(key=self.config.key, value=value, max_age=max_age, path=self.config.path, secure=self.config.secure,
                        httponly=self.config.httponly, samesite=self.config.samesite)
        MutableScopeHeaders.from_message(message).add("Set-Cookie", cookie.to_header(header=""))


class ConsoleSessionConfig(ServerSideSessionConfig):
    _backend_class = ConsoleSessionBackend  # type: ignore[assignment]


def console_auth(settings: Settings) -> SessionAuth[CurrentOrganiser, ConsoleSessionBackend]:
    """Session auth for the console's router: every page but OPEN_PATHS needs a signed-in
    organiser (NotAuthorizedException otherwise, shown as the sign-in page); roles are
    the handlers' guards (organisers/auth.py)."""
    return SessionAuth[CurrentOrganiser, ConsoleSessionBackend](
        session_backend_config=ConsoleSessionConfig(
            key=SESSION_COOKIE, max_age=SESSION_MAX_AGE, path="/console", store=SESSION_STORE,
            secure=settings.base_url.startswith("https://"), httponly=True, samesite="lax",
        ),
        retrieve_user_handler=signed_in_organiser,
        exclude=OPEN_PATHS,
        # Every method but OPTIONS (which Litestar answers itself) is checked.
        exclude_http_methods=["OPTIONS"],
    )

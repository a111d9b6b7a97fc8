"""Writing and reading the audit log. `record` joins the caller's write transaction: a change
that rolls back leaves no entry, and an entry is never written without its change."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any

import msgspec
from piccolo.utils.encoding import dump_json

from events_service.audit.actor import current_actor
from events_service.audit.schemas import Action, AuditOut, Entity
from events_service.audit.tables import AuditEntry
from events_service.clock import now_utc
from events_service.db import run_sql
from events_service.paging import Page

__all__ = ["diff", "entries", "history", "record", "record_many", "values"]

#: Columns never copied into the log: secrets, and what only the machinery reads.
_LEFT_OUT = frozenset({"password_hash", "token_nonce", "token_hash", "secret", "updated_at", "pending_changes", "updates_due_at"})


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, msgspec.Struct):
        return msgspec.to_builtins(value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """field → [before, after] for each field of `after` whose value changed."""
    return {
        name: [_plain(before.get(name)), _plain(value)]
        for name, value in after.items()
        if name not in _LEFT_OUT and _plain(before.get(name)) != _plain(value)
    }


def values(row: dict[str, Any]) -> dict[str, Any]:
    """What a new row was made with, fit for the log."""
    return {name: _plain(value) for name, value in row.items() if name not in _LEFT_OUT}


async def record(entity: Entity, entity_id: int, action: Action, changes: dict[str, Any] | None = None) -> None:
    """One entry, by the current actor, in the caller's transaction. (SQL text: every
    registration writes one, see db.run_sql.)"""
    await run_sql(
        _INSERT,
        now_utc(),
        current_actor(),
        action.value,
        entity.value,
        entity_id,
        dump_json(_plain(changes or {})),
    )


_COLUMNS = "INSERT INTO audit_entry (at, actor, action, entity, entity_id, changes) VALUES "
_ROW = "({}, {}, {}, {}, {}, {})"
_INSERT = _COLUMNS + _ROW
#: Rows per INSERT of `record_many`: 6 values each stays far below both engines' limit on
#: the values of one statement (32,766 on SQLite, 32,767 on PostgreSQL).
_ROWS_PER_INSERT = 500


async def record_many(entity: Entity, action: Action, changes_by_id: dict[int, dict[str, Any]]) -> None:
    """`record` for many rows changed at once (an attendance report moving hundreds of
    registrations): one entry each, by the current actor, in multi-row INSERTs."""
    now, actor = now_utc(), current_actor()
    rows = [(now, actor, action.value, entity.value, entity_id, dump_json(_plain(changes))) for entity_id, changes in changes_by_id.items()]
    for start in range(0, len(rows), _ROWS_PER_INSERT):
        chunk = rows[start : start + _ROWS_PER_INSERT]
        await run_sql(_COLUMNS + ", ".join([_ROW] * len(chunk)), *[value for row in chunk for value in row])


async def entries(entity: Entity | None, entity_id: int | None, page: Page) -> tuple[list[AuditOut], int]:
    """Newest first; `updated_since` reads as "at or after"."""
    a = AuditEntry
    conditions = []
    if entity is not None:
        conditions.append(a.entity == entity.value)
    if entity_id is not None:
        conditions.append(a.entity_id == entity_id)
    if page.updated_since is not None:
        conditions.append(a.at >= page.updated_since)
    return await _select(conditions, page)


async def _select(conditions: list[Any], page: Page) -> tuple[list[AuditOut], int]:
    a = AuditEntry
    query = a.select().order_by(a.id, ascending=False).output(load_json=True)
    counting = a.count()
    for condition in conditions:
        query, counting = query.where(condition), counting.where(condition)
    rows = await page.window(query)
    return [
        AuditOut(
            id=row["id"], at=row["at"], actor=row["actor"], action=Action(row["action"]), entity=Entity(row["entity"]),
            entity_id=row["entity_id"], changes=row["changes"] if isinstance(row["changes"], dict) else {},
        )
        for row in rows
    ], await counting


async def history(entity: Entity, entity_ids: list[int], limit: int = 50) -> list[AuditOut]:
    """The newest entries of these rows (the console's History on an event's pages)."""
    if not entity_ids:
        return []
    items, _ = await _select([AuditEntry.entity == entity.value, AuditEntry.entity_id.is_in(entity_ids)], Page(limit=limit))
    return items

"""`events-service backup PATH`: a consistent copy of the SQLite database while the service
writes to it, through SQLite's online backup API (the copy is one snapshot: every transaction
committed before it started, none half). Written next to PATH first, checked, then renamed, so
PATH is never a half-written file. PostgreSQL has its own tools (README: pg_dump)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from events_service.db import engine_from_url, is_sqlite
from events_service.settings import Settings


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupResult:
    path: Path
    bytes: int


def sqlite_path(settings: Settings) -> Path:
    engine = engine_from_url(settings.db_url)
    if not is_sqlite(engine):
        raise BackupError("EVENTS_DB is PostgreSQL: back it up with pg_dump (README: Backups)")
    path = Path(engine.path)  # type: ignore[attr-defined]
    if not path.exists():
        raise BackupError(f"no database file at {path}")
    return path


def backup_sqlite(settings: Settings, target: Path) -> BackupResult:
    source_path = sqlite_path(settings)
    target = target.resolve()
    if target == source_path.resolve():
        raise BackupError("the backup cannot replace the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    # The busy timeout lets a writer's turn finish; the copy itself is one step (pages=-1), so
    # no write can slip in between its pages.
    source = sqlite3.connect(source_path, timeout=30)  # only read from
    copy = sqlite3.connect(partial)
    try:
        source.backup(copy, pages=-1)
        copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
        (verdict,) = copy.execute("PRAGMA integrity_check").fetchone()
        if verdict != "ok":
            raise BackupError(f"the copy failed its integrity check: {verdict}")
    finally:
        copy.close()
        source.close()
    os.replace(partial, target)
    return BackupResult(target, target.stat().st_size)

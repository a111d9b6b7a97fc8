"""The database: engines (engines.py), transactions and statements alike on both engines
(transactions.py), migrations (migrate.py). The names below are the package's public ones, so
`from events_service.db import write_transaction` does not depend on which file holds what."""

from events_service.db.engines import (
    close_engine,
    current_engine,
    engine_from_url,
    is_sqlite,
    open_engine,
    use_engine,
)
from events_service.db.migrate import pending_migrations, run_migrations
from events_service.db.transactions import (
    contains_text,
    is_unique_violation,
    run_sql,
    with_retry,
    write_transaction,
)

__all__ = [
    "close_engine",
    "contains_text",
    "current_engine",
    "engine_from_url",
    "is_sqlite",
    "is_unique_violation",
    "open_engine",
    "pending_migrations",
    "run_migrations",
    "run_sql",
    "use_engine",
    "with_retry",
    "write_transaction",
]

"""The schema comes only from migrations: they run from empty to head on both engines, and
they describe exactly the tables the code declares."""

from __future__ import annotations

from piccolo.apps.migrations.commands.new import AutoMigrationManager
from piccolo.engine.base import Engine

from events_service import db
from events_service.piccolo_app import APP_CONFIG
from events_service.settings import Settings


async def _columns(engine: Engine, table: str) -> set[str]:
    if db.is_sqlite(engine):
        rows = await engine.run_ddl(f'PRAGMA table_info("{table}")')
        return {row["name"] for row in rows}
    rows = await engine._run_in_new_connection(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1", [table]
    )
    return {row["column_name"] for row in rows}


async def test_migrations_create_every_declared_table_and_column(settings: Settings) -> None:
    # The `settings` fixture migrated this database from empty; a second run finds nothing to do.
    engine = db.engine_from_url(settings.db_url)
    db.use_engine(engine)
    await db.run_migrations()
    for table in APP_CONFIG.table_classes:
        declared = {column._meta.db_column_name for column in table._meta.columns}
        assert await _columns(engine, table._meta.tablename) == declared, table._meta.tablename


async def test_migrations_describe_the_tables_exactly() -> None:
    """What `piccolo migrations new --auto` would write: nothing, or a table changed without one."""
    alter_statements = await AutoMigrationManager().get_alter_statements(app_config=APP_CONFIG)
    pending = [statement for group in alter_statements for statement in group.statements]
    assert pending == [], "tables differ from migrations; run `piccolo migrations new events_service --auto`"

"""Existing events held somewhere (in person or hybrid) were held in the programme's country
(EVENTS_PROGRAMME_COUNTRY, IT unless set): their venue gets it, so cross-border participations
are counted for them too. Online events keep no venue country."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from events_service.settings import programme_country_from

ID = "2026-12-06T04:43:31:000000"
VERSION = "1.38.0"
DESCRIPTION = "venue_country of existing events with a venue"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="events_service", description=DESCRIPTION)

    async def backfill() -> None:
        engine = engine_finder()
        assert engine is not None
        country = programme_country_from()  # checked: two letters A-Z, nothing else reaches the SQL
        await engine.run_ddl(
            f"UPDATE \"event\" SET venue_country = '{country}' WHERE mode <> 'online' AND venue_country IS NULL"
        )

    manager.add_raw(backfill)
    return manager

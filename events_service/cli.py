"""The `events-service` command."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from events_service.settings import Settings

T = TypeVar("T")


def _run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` with the database open and migrated, as the server would have it."""
    from events_service.app import running_service

    async def main() -> T:
        async with running_service(settings):
            return await work()

    return asyncio.run(main())


@click.group()
def main() -> None:
    """Tech Talks and Tech Days: companies, registrations, invites, reminders, attendance."""


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), help="uvicorn worker processes")
@click.option("--no-worker", is_flag=True, help="do not dispatch mail and reminders in this process")
def serve(host: str, port: int, workers: int, no_worker: bool) -> None:
    """Serve the HTTP API (migrating first, once, before any worker starts)."""
    import uvicorn

    settings = Settings.from_env()
    _run(settings, _nothing)
    if no_worker:
        os.environ["EVENTS_RUN_WORKER"] = "0"
    click.echo(f"API docs: http://{host}:{port}/schema   (database: {settings.db_url})")
    uvicorn.run("events_service.app:create_app", factory=True, host=host, port=port, workers=workers, log_level="info")


async def _nothing() -> None:
    return None


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = Settings.from_env()
    _run(settings, _nothing)
    click.echo(f"database is up to date: {settings.db_url}")


@main.group()
def organiser() -> None:
    """Organiser accounts."""


@organiser.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice(["admin", "organiser", "checkin"]), default="organiser", show_default=True)
def organiser_create(email: str, name: str, password: str, role: str) -> None:
    """Create an organiser who can sign in at POST /api/auth/token."""
    from events_service.errors import DomainError
    from events_service.organisers.service import create_organiser

    try:
        created = _run(Settings.from_env(), lambda: create_organiser(email, name, password, role))
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"organiser {created.id} created: {created.email} ({created.role})")


@main.command()
@click.option("--if-empty", is_flag=True, help="load only into a database without events or companies")
def demo(if_empty: bool) -> None:
    """Load a realistic demo data set (companies, speakers, Tech Talks, Tech Days)."""
    from events_service.demo import database_is_empty, load_demo

    async def work() -> str:
        if if_empty and not await database_is_empty():
            return "database has data already: demo not loaded"
        summary = await load_demo()
        return f"demo loaded: {summary}"

    click.echo(_run(Settings.from_env(), work))


@main.command("import-companies")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_companies_command(csv_file: Path) -> None:
    """Import companies from a CSV file; bad rows are reported by line number, good rows kept."""
    from rich.progress import Progress

    from events_service.companies.importer import ImportFileError, import_companies

    async def work() -> object:
        with Progress(disable=not click.get_text_stream("stdout").isatty(), transient=True) as bar:
            task = bar.add_task("importing", total=None)
            return await import_companies(csv_file, progress=lambda done, total: bar.update(task, completed=done, total=total))

    try:
        report = _run(Settings.from_env(), work)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {report.created}, skipped {report.skipped} (already known), errors {len(report.errors)}")  # type: ignore[attr-defined]
    for line, reason in report.errors:  # type: ignore[attr-defined]
        click.echo(f"  line {line}: {reason}", err=True)


if __name__ == "__main__":
    main()

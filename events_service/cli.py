"""The `events-service` command."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import click

from events_service.organisers.records import Role
from events_service.settings import Settings, SettingsError, redacted_url

T = TypeVar("T")


def _settings() -> Settings:
    """The settings from the environment; one that cannot be used (a short secret key, a
    malformed list) stops the command with its reason, not a traceback."""
    try:
        return Settings.from_env()
    except SettingsError as error:
        raise click.ClickException("the settings cannot be used:\n" + "\n".join(error.problems)) from None


def _say(settings: Settings, text: str) -> None:
    """A long-running command's news: on stdout, or a log record when the logs are JSON (then
    every line the process writes is one JSON object)."""
    if settings.log_format == "json":
        logging.getLogger("events_service.cli").info(text)
    else:
        click.echo(text)


def _run(settings: Settings, work: Callable[[], Awaitable[T]]) -> T:
    """Run `work` with the database open and migrated, as the server would have it."""
    from events_service.app import running_service

    # A one-off command must not start the background mail worker as a side effect.
    settings = dataclasses.replace(settings, run_worker=False)

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

    from events_service.operations.logs import configure_logging

    settings = _settings()
    configure_logging(settings)  # the migrations' lines, before uvicorn takes over the logging
    _run(settings, _nothing)
    if no_worker:
        os.environ["EVENTS_RUN_WORKER"] = "0"
    if settings.log_format != "json":  # stdout carries nothing but JSON lines then
        click.echo(f"API docs: http://{host}:{port}/schema   (database: {redacted_url(settings.db_url)})")
    from events_service.operations.logs import uvicorn_log_config

    logging_options: dict[str, object] = {"log_level": "info"}
    if (log_config := uvicorn_log_config(settings)) is not None:
        logging_options.update(log_config=log_config, access_log=False)  # RequestLog writes a line per request
    uvicorn.run("events_service.app:create_app", factory=True, host=host, port=port, workers=workers,
                **logging_options, **_proxy_options(settings))


def _proxy_options(settings: Settings) -> dict[str, object]:
    """The client's address (what rate limits count) comes from X-Forwarded-For only when the
    peer is one of EVENTS_TRUSTED_PROXIES, and then it is the address the nearest trusted
    proxy saw; without the setting the header is ignored (uvicorn on its own believes
    127.0.0.1, so anyone on the machine could pose as anyone)."""
    if not settings.trusted_proxies:
        return {"proxy_headers": False}
    return {"proxy_headers": True, "forwarded_allow_ips": list(settings.trusted_proxies)}


async def _nothing() -> None:
    return None


@main.command()
def migrate() -> None:
    """Apply pending database migrations."""
    settings = _settings()
    _run(settings, _nothing)
    click.echo(f"database is up to date: {redacted_url(settings.db_url)}")


@main.command()
def check() -> None:
    """Check the settings, the database, pending migrations and the SMTP server: one line
    each, ok or the reason; exits with 1 when any failed (changes nothing)."""
    from events_service.operations.check import check_service, check_settings

    settings, line = check_settings()
    lines = [line]
    if settings is not None:
        lines += asyncio.run(check_service(settings))
    for line in lines:
        click.echo(str(line))
    if not all(line.ok for line in lines):
        raise SystemExit(1)


@main.command()
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup(path: Path) -> None:
    """Copy the SQLite database to PATH, consistently, while the service keeps writing."""
    from events_service.operations.backup import BackupError, backup_sqlite

    try:
        result = backup_sqlite(_settings(), path)
    except (BackupError, sqlite3.Error) as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backup written: {result.path} ({result.bytes} bytes, integrity ok)")


@main.group()
def organiser() -> None:
    """Organiser accounts."""


@organiser.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True, confirmation_prompt=True)
@click.option("--role", type=click.Choice([role.value for role in Role]), default=Role.ORGANISER.value, show_default=True)
def organiser_create(email: str, name: str, password: str, role: str) -> None:
    """Create an organiser who can sign in at POST /api/auth/token."""
    from events_service.errors import DomainError
    from events_service.organisers.service import create_organiser

    try:
        created = _run(_settings(), lambda: create_organiser(email, name, password, role))
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"organiser {created.id} created: {created.email} ({created.role})")


@organiser.command("sign-out")
@click.argument("email")
def organiser_sign_out(email: str) -> None:
    """End every console session the organiser has open, on every device (their next page
    asks them to sign in again)."""
    from events_service.organisers.schemas import CurrentOrganiser
    from events_service.organisers.service import find_organiser
    from events_service.web.session import end_sessions_of, session_store

    settings = _settings()

    async def work() -> CurrentOrganiser | None:
        found = await find_organiser(email)
        if found is not None:
            await end_sessions_of(session_store(settings), found.id)
        return found

    found = _run(settings, work)
    if found is None:
        raise click.ClickException(f"no organiser with email {email}")
    click.echo(f"every console session of {found.email} is ended")


@main.command()
@click.option("--if-empty", is_flag=True, help="load only into a database without events or companies")
def demo(if_empty: bool) -> None:
    """Load a realistic demo data set (companies, speakers, Tech Talks, Tech Days)."""
    from events_service.demo import database_is_empty, load_demo

    async def work() -> str:
        if if_empty and not await database_is_empty():
            return "database has data already: demo not loaded"
        summary = await load_demo(settings=settings)
        return f"demo loaded: {summary}"

    settings = _settings()
    click.echo(_run(settings, work))


@main.command("import-companies")
@click.argument("csv_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_companies_command(csv_file: Path) -> None:
    """Import companies from a CSV file; bad rows are reported by line number, good rows kept."""
    from rich.progress import Progress

    from events_service.companies.importer import ImportFileError, import_companies

    async def work() -> object:
        with Progress(disable=not sys.stdout.isatty(), transient=True) as bar:
            task = bar.add_task("importing", total=None)
            return await import_companies(csv_file, progress=lambda done, total: bar.update(task, completed=done, total=total))

    try:
        report = _run(_settings(), work)
    except ImportFileError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"created {report.created}, skipped {report.skipped} (already known), errors {len(report.errors)}")  # type: ignore[attr-defined]
    for line, reason in report.errors:  # type: ignore[attr-defined]
        click.echo(f"  line {line}: {reason}", err=True)


@main.command()
@click.option("--once", is_flag=True, help="send what is due now, then exit")
@click.option("--batch-size", default=50, show_default=True, type=click.IntRange(1, 1000))
@click.option(
    "--lease-seconds",
    default=60.0,
    show_default=True,
    type=click.FloatRange(min=1),
    help="how long a claimed message stays reserved for this worker",
)
def worker(once: bool, batch_size: int, lease_seconds: float) -> None:
    """Send queued mail and run the periodic jobs, until SIGTERM/SIGINT (or --once)."""
    from events_service.mail.dispatcher import DispatchStats
    from events_service.operations.logs import configure_logging
    from events_service.worker import Worker

    settings = _settings()
    configure_logging(settings)  # sends and retries at INFO, as text or JSON

    async def work() -> DispatchStats | None:
        runner = Worker(settings, batch_size=batch_size, lease_seconds=lease_seconds)
        if once:
            return await runner.run_once()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        _say(settings, f"worker {runner.dispatcher.worker_id} running (database: {redacted_url(settings.db_url)}, mail: {redacted_url(settings.smtp_url) if settings.smtp_url else settings.mail_dir})")
        await runner.run(stop)
        return None

    try:
        stats = _run(settings, work)
    except ValueError as error:  # a bad EVENTS_SMTP_URL, a lease shorter than a send
        raise click.ClickException(str(error)) from None
    if stats is not None:
        _say(settings, f"mail: {stats}")
        if stats.unreachable:
            raise click.ClickException("the SMTP server could not be reached")


@main.group()
def outbox() -> None:
    """Outgoing mail."""


@outbox.command("retry")
@click.argument("message_id", type=int)
def outbox_retry(message_id: int) -> None:
    """Send a failed (or backing-off) email again now."""
    from events_service.mail import outbox as mail_outbox

    try:
        item = _run(_settings(), lambda: mail_outbox.retry(message_id))
    except mail_outbox.MailError as error:
        raise click.ClickException(error.detail) from None
    click.echo(f"outbox message {item.id} to {item.to} queued again")



@main.group()
def contact() -> None:
    """A person's data: export all of it, or erase it (GDPR articles 15 and 17)."""


@contact.command("export")
@click.argument("email")
def contact_export(email: str) -> None:
    """Print everything held about EMAIL as JSON: contact, company, registrations, attendance, emails."""
    import contextlib
    import sys

    import msgspec

    from events_service.errors import DomainError
    from events_service.privacy.service import export_contact

    try:
        # stdout carries the JSON only: start-up chatter (migrations) goes to stderr.
        with contextlib.redirect_stdout(sys.stderr):
            data = _run(_settings(), lambda: export_contact(email))
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(msgspec.json.format(msgspec.json.encode(data), indent=2).decode())


@contact.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def contact_erase(email: str, yes: bool) -> None:
    """Erase EMAIL's personal data everywhere; registrations stay, anonymised, so company figures do not change."""
    from events_service.errors import DomainError
    from events_service.privacy.service import erase_contact

    if not yes:
        click.confirm(f"Erase every personal detail of {email}? This cannot be undone", abort=True)
    settings = _settings()
    try:
        result = _run(settings, lambda: erase_contact(email, settings))
    except DomainError as error:
        raise click.ClickException(error.detail) from None
    click.echo(
        f"erased {email}: contact {result['contact_id'] or '-'} anonymised, {result['registrations_kept']} registrations kept "
        f"({result['registrations_cancelled']} future ones cancelled), {result['emails_deleted']} emails deleted, "
        f"{result['mail_files_removed']} mail files removed, {result['attendance_intervals_anonymised']} attendance intervals anonymised, "
        f"{result['speakers_erased']} speakers erased, {result['replies_anonymised']} replies anonymised"
    )


if __name__ == "__main__":
    main()

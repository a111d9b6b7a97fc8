"""What every benchmark needs: a fresh database per engine, bulk seeding, and a small table
printer.

Benchmarks compare against a baseline measured in the same run and print the ratio; they
never compare against a stored time.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import statistics
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def engine_arguments(description: str) -> argparse.Namespace:
    return engine_parser(description).parse_args()


def engine_parser(description: str) -> argparse.ArgumentParser:
    """The engine flags every bench takes; a bench adds its own before parsing."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=os.environ.get("EVENTS_TEST_PG_URL"), help="PostgreSQL server URL (a fresh database is made on it)")
    parser.add_argument("--sqlite-only", action="store_true")
    parser.add_argument("--pg-only", action="store_true")
    return parser


async def _admin(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database(engine: str, pg_url: str | None) -> Iterator[str]:
    """A database URL nobody else uses, removed afterwards."""
    if engine == "sqlite":
        with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as folder:
            yield f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        return
    assert pg_url, "PostgreSQL needs --pg URL"
    name = f"events_bench_{secrets.token_hex(4)}"
    _run_aside(_admin(pg_url, f'CREATE DATABASE "{name}"'))
    try:
        yield urlunsplit(urlsplit(pg_url)._replace(path=f"/{name}"))
    finally:
        _run_aside(_admin(pg_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run_aside(work: Coroutine[Any, Any, None]) -> None:
    """Run a coroutine to the end from sync code, even when an event loop is running here."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        thread.submit(asyncio.run, work).result()


def engines(arguments: argparse.Namespace) -> list[str]:
    if arguments.pg_only and arguments.pg:
        return ["postgres"]
    return ["sqlite"] if arguments.sqlite_only or not arguments.pg else ["sqlite", "postgres"]


def rows_per_engine(
    description: str, run_engine: Callable[[str, str | None], Coroutine[Any, Any, list[list[object]]]]
) -> list[list[object]]:
    """A served bench's table rows: its engine flags parsed, then `run_engine(engine, pg_url)` on
    each chosen engine in turn, each in its own event loop."""
    arguments = engine_arguments(description)
    rows: list[list[object]] = []
    for engine in engines(arguments):
        rows += asyncio.run(run_engine(engine, arguments.pg))
    return rows


@asynccontextmanager
async def service_database(db_url: str, var_dir: Path) -> AsyncIterator[object]:
    from events_service.app import running_service
    from events_service.settings import Settings

    settings = Settings(db_url=db_url, secret_key="bench-secret-key-long-enough-for-signing", var_dir=var_dir, run_worker=False)
    async with running_service(settings):
        yield settings


@dataclass
class Timing:
    count: int
    seconds: float
    latencies: list[float]
    server_cpu_seconds: float | None = None  # servers_cpu_seconds() around the run

    @classmethod
    def combined(cls, timings: Sequence[Timing]) -> Timing:
        """Several runs of the same thing as one: requests over seconds summed, latencies pooled."""
        cpu = [timing.server_cpu_seconds for timing in timings if timing.server_cpu_seconds is not None]
        return cls(
            sum(timing.count for timing in timings), sum(timing.seconds for timing in timings),
            [latency for timing in timings for latency in timing.latencies],
            sum(cpu) if len(cpu) == len(timings) else None,
        )

    @property
    def server_cpu_ms(self) -> float | None:
        """Server CPU per request: what the throughput is made of on a machine with few cores."""
        return None if self.server_cpu_seconds is None else self.server_cpu_seconds / self.count * 1000

    @property
    def per_second(self) -> float:
        return self.count / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return 0.0
        ordered = sorted(self.latencies)
        return ordered[min(int(len(ordered) * share), len(ordered) - 1)] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0


def servers_cpu_seconds() -> float | None:
    """CPU time (user + system) used so far by this process's descendants (the served worker
    processes) and by every PostgreSQL process, from Linux's /proc; None elsewhere. Read it
    before and after a run: a backend that exits in between takes its share with it, so the
    PostgreSQL part assumes pooled connections that outlive the run."""
    stats = Path("/proc")
    if not (stats / "self" / "stat").exists():
        return None
    tick = os.sysconf("SC_CLK_TCK")
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    postgres: set[int] = set()
    for entry in stats.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue  # it exited meanwhile
        name_end = text.rindex(")")
        fields = text[name_end + 2 :].split()
        pid = int(entry.name)
        parents[pid] = int(fields[1])
        cpu[pid] = (int(fields[11]) + int(fields[12])) / tick
        if text[text.index("(") + 1 : name_end] == "postgres":
            postgres.add(pid)
    me = os.getpid()

    def descends_from_me(pid: int) -> bool:
        while pid > 1:
            pid = parents.get(pid, 0)
            if pid == me:
                return True
        return False

    return sum(seconds for pid, seconds in cpu.items() if pid in postgres or (pid != me and descends_from_me(pid)))


async def insert_rows(table: Any, rows: list[Any], returning: Any = None, chunk: int = 1000) -> list[int]:
    """Seed `rows` in chunks (one INSERT of many rows each); the new ids when `returning` is
    the table's id column."""
    ids: list[int] = []
    for start in range(0, len(rows), chunk):
        query = table.insert(*rows[start : start + chunk])
        if returning is not None:
            ids += [row["id"] for row in await query.returning(returning)]
        else:
            await query
    return ids


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    cells = [list(map(str, header))] + [[_format(cell) for cell in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    print(f"\n{title}")
    for index, row in enumerate(cells):
        print("  " + "  ".join(cell.rjust(width) if i else cell.ljust(width) for i, (cell, width) in enumerate(zip(row, widths, strict=True))))
        if index == 0:
            print("  " + "  ".join("-" * width for width in widths))


def _format(cell: object) -> str:
    if isinstance(cell, float):
        return f"{cell:.2f}" if cell < 100 else f"{cell:.0f}"
    return str(cell)

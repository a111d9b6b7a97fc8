"""The wheel runs on its own: built from this checkout, installed (not editable) with its
dependencies into a fresh venv outside the checkout, and run from a directory outside it, with
no PYTHONPATH: migrate, check, an organiser, serve, an event, a registration, its email, the event
page and its stylesheet. A file the package reads at run time but the wheel leaves out fails here.

The venv install takes most of the time (a minute or two; pip reuses its cache)."""

from __future__ import annotations

import email
import io
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.factories import event_payload, registration_payload
from tests.serving import HTTP_TIMEOUT, served

pytestmark = pytest.mark.integration

CHECKOUT = Path(__file__).resolve().parents[1]
#: What the build reads: the project's metadata (the README is its long description), the build
#: step that compiles the catalogs (setup.py) and the package.
BUILD_SOURCES = ("pyproject.toml", "README.md", "setup.py", "events_service")
NOT_SHIPPED = shutil.ignore_patterns("__pycache__", "*.pyc")

SECRET = "wheel-check-secret-key-long-enough-for-hs256"
ORGANISER_EMAIL = "wheel.check@programme.example"
ORGANISER_PASSWORD = "correct horse battery"
PERSON_EMAIL = "ada.lovelace@wheel.example"


def _run(command: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 600) -> str:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(command)} exited with {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built from a copy of the sources: setuptools builds inside its source tree, and a stale
    build/ or egg-info in the shared checkout must neither end up in the wheel nor be rewritten."""
    source = tmp_path_factory.mktemp("wheel-source")
    for name in BUILD_SOURCES:
        if (CHECKOUT / name).is_dir():
            shutil.copytree(CHECKOUT / name, source / name, ignore=NOT_SHIPPED)
        else:
            shutil.copy2(CHECKOUT / name, source / name)
    dist = tmp_path_factory.mktemp("wheel-dist")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(source)])
    (built,) = dist.glob("events_service-*.whl")
    return built


def _outside_environment(**events_settings: str) -> dict[str, str]:
    """This process's environment (pip's index and proxy settings) without anything that would
    let the checkout's package or settings leak into the installed one."""
    leaks = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    kept = {key: value for key, value in os.environ.items() if key not in leaks and not key.startswith("EVENTS_")}
    return {**kept, **events_settings}


@pytest.fixture(scope="module")
def installed_bin(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ of a fresh venv, outside the checkout, holding the wheel and its dependencies."""
    venv = tmp_path_factory.mktemp("wheel-venv")
    _run([sys.executable, "-m", "venv", "--clear", str(venv)])
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)], env=_outside_environment())
    yield venv / "bin"


def _package_files() -> set[str]:
    """The package's files in the checkout, named as in the wheel (events_service/…), and the
    compiled catalog (.mo) the build adds beside each .po (a checkout's own .mo, from `make
    translations-compile`, is not a source: git ignores it)."""
    sources = {
        path.relative_to(CHECKOUT).as_posix()
        for path in (CHECKOUT / "events_service").rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc", ".mo")
    }
    return sources | {name.removesuffix(".po") + ".mo" for name in sources if name.endswith("/LC_MESSAGES/messages.po")}


def test_the_wheel_holds_every_file_of_the_package(wheel: Path) -> None:
    """Modules, web templates, static files, email templates, migrations, catalogs: all of them
    (a new kind of data file needs its pattern in pyproject.toml's package-data)."""
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if name.startswith("events_service/")}
    assert sorted(_package_files() - shipped) == [], "missing from the wheel"
    assert sorted(shipped - _package_files()) == [], "in the wheel, not in the checkout"


def test_the_wheel_ships_each_catalog_compiled(wheel: Path) -> None:
    """setup.py compiles every language's .po into the .mo beside it: the same translations."""
    languages = sorted(path.parent.parent.name for path in (CHECKOUT / "events_service" / "locale").glob("*/LC_MESSAGES/messages.po"))
    assert languages == ["de", "en", "it"]
    with zipfile.ZipFile(wheel) as archive:
        for language in languages:
            folder = f"events_service/locale/{language}/LC_MESSAGES"
            source = read_po(io.BytesIO(archive.read(f"{folder}/messages.po")), locale=language)
            compiled = read_mo(io.BytesIO(archive.read(f"{folder}/messages.mo")))
            wanted = {message.id: message.string for message in source if message.id and message.string and not message.fuzzy}
            got = {message.id: message.string for message in compiled if message.id}
            assert got == wanted, language
    assert wanted, "the last catalog translates nothing"


def test_the_installed_wheel_migrates_serves_registers_and_mails(installed_bin: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"  # the working directory: not the checkout, nothing to import
    elsewhere.mkdir()
    var_dir = tmp_path / "var"
    env = _outside_environment(
        EVENTS_DB=f"sqlite:///{tmp_path / 'events.sqlite3'}",
        EVENTS_VAR_DIR=str(var_dir),
        EVENTS_SECRET_KEY=SECRET,
    )
    cli = str(installed_bin / "events-service")

    where = _run([str(installed_bin / "python"), "-c", "import events_service; print(events_service.__file__)"], env=env, cwd=elsewhere)
    assert Path(where.strip()).resolve().is_relative_to(installed_bin.parent.resolve()), f"imported from {where}"

    _run([cli, "migrate"], env=env, cwd=elsewhere)
    # What an operator runs before the first start (and CI against the installed wheel): every
    # line ok, from a directory that is not the checkout.
    checked = _run([cli, "check"], env=env, cwd=elsewhere)
    assert [line.split()[:2] for line in checked.splitlines()] == [
        ["settings", "ok"], ["database", "ok"], ["migrations", "ok"], ["smtp", "ok"]]
    _run([cli, "organiser", "create", ORGANISER_EMAIL, "--name", "Wheel Check", "--password", ORGANISER_PASSWORD], env=env, cwd=elsewhere)

    with served(env, cli=[cli], cwd=elsewhere, inherit_environment=False) as base_url:
        signed_in = httpx.post(f"{base_url}/api/auth/token", json={"email": ORGANISER_EMAIL, "password": ORGANISER_PASSWORD}, timeout=HTTP_TIMEOUT)
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

        created = httpx.post(f"{base_url}/api/events", json=event_payload(), headers=headers, timeout=HTTP_TIMEOUT)
        assert created.status_code == 201, created.text
        event = created.json()
        published = httpx.post(f"{base_url}/api/events/{event['id']}/publish", headers=headers, timeout=HTTP_TIMEOUT)
        assert published.status_code == 200, published.text

        registered = httpx.post(f"{base_url}/api/public/events/{event['id']}/registrations", json=registration_payload(PERSON_EMAIL), timeout=HTTP_TIMEOUT)
        assert registered.status_code == 201, registered.text

        page = httpx.get(f"{base_url}/e/{event['slug']}", timeout=HTTP_TIMEOUT)
        assert page.status_code == 200, page.text
        assert event["title"] in page.text
        stylesheet = re.search(r'<link rel="stylesheet" href="([^"]+)"', page.text)
        assert stylesheet is not None, "the event page links no stylesheet"
        css = httpx.get(f"{base_url}{stylesheet.group(1)}", timeout=HTTP_TIMEOUT)
        assert css.status_code == 200, css.text
        assert css.headers["content-type"].startswith("text/css")
        assert css.text.strip(), "the stylesheet is empty"

    _run([cli, "worker", "--once"], env=env, cwd=elsewhere)

    recipients = [str(email.message_from_bytes(path.read_bytes())["To"]) for path in (var_dir / "mail").glob("*.eml")]
    assert any(PERSON_EMAIL in recipient for recipient in recipients), f"mail written to {recipients}"

"""The console's registration import: a trial run shows the refused lines and writes nothing;
the import then registers the good rows."""

from __future__ import annotations

import httpx
import pytest

from events_service.registrations.tables import Registration
from tests.factories import published_event
from tests.registration_import.test_import_api import ITALIAN_CSV
from tests.web.support import console_login, csrf_token


@pytest.fixture(autouse=True)
def english_browser(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"


async def test_trial_run_then_import_from_the_console(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, capacity=3, max_per_company=2)
    await console_login(client)
    page = f"/console/events/{event['id']}/registrations-import"
    assert (await client.get(page)).status_code == 200

    def send(**fields: str) -> dict[str, object]:
        return {"files": {"file": ("list.csv", ITALIAN_CSV)}, "data": {"_csrf_token": csrf_token(client), "consent_confirmed": "yes", **fields}}

    trial = await client.post(page, **send(dry_run="yes"))
    assert trial.status_code == 200, trial.text
    assert 'id="created">4<' in trial.text
    assert 'id="import-errors"' in trial.text
    assert "Trial run" in trial.text
    assert await Registration.count() == 0
    done = await client.post(page, **send(send_confirmations="yes"))
    assert 'id="created">4<' in done.text
    assert await Registration.count() == 4
    no_consent = await client.post(page, files={"file": ("list.csv", ITALIAN_CSV)}, data={"_csrf_token": csrf_token(client)})
    assert no_consent.status_code == 422
    assert 'id="import-error"' in no_consent.text

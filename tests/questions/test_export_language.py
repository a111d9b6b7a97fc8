"""Registration exports in the language asked for (issue 16 item 2): the question columns, the
option labels and every yes/no (a yes/no question's answers and the `attended` column) in
Italian, English or German; the fixed column names stay as programs read them. The API takes
`language`; the console's export follows the console's language. Both engines."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook

from events_service.registrations.queries import CSV_COLUMNS
from events_service.registrations.tables import Registration
from tests.factories import published_event, registration_payload
from tests.web.support import console_login

DIET = {"label": {"it": "Esigenze alimentari", "en": "Dietary needs", "de": "Ernährung"}, "kind": "choice",
        "options": [{"value": "veg", "label": {"it": "Vegetariana", "en": "Vegetarian", "de": "Vegetarisch"}}]}
LUNCH = {"label": {"it": "Resti a pranzo?", "en": "Staying for lunch?", "de": "Bleiben Sie zum Mittagessen?"}, "kind": "boolean"}

#: language → (question columns, Ada's answers and attended, Bob's)
EXPECTED = {
    "it": (["Esigenze alimentari", "Resti a pranzo?"], ["Vegetariana", "sì", "sì"], ["", "no", "no"]),
    "en": (["Dietary needs", "Staying for lunch?"], ["Vegetarian", "yes", "yes"], ["", "no", "no"]),
    "de": (["Ernährung", "Bleiben Sie zum Mittagessen?"], ["Vegetarisch", "ja", "ja"], ["", "nein", "nein"]),
}


async def _event_with_answers(client: httpx.AsyncClient, organiser: dict[str, str]) -> int:
    event = await published_event(client, organiser)
    ids = []
    for body in (DIET, LUNCH):
        made = await client.post(f"/api/events/{event['id']}/questions", json=body, headers=organiser)
        assert made.status_code == 201, made.text
        ids.append(str(made.json()["id"]))
    for n, (email, answers) in enumerate([("ada.x@one.example", {ids[0]: "veg", ids[1]: True}), ("bob.y@two.example", {ids[1]: False})], 1):
        answer = await client.post(f"/api/public/events/{event['id']}/registrations", json=registration_payload(email, n, answers=answers))
        assert answer.status_code == 201, answer.text
    await Registration.update({Registration.attended: True}).where(Registration.contact.email == "ada.x@one.example")
    return event["id"]


def _csv(answer: httpx.Response) -> list[list[str]]:
    assert answer.status_code == 200, answer.text
    return list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))


def _xlsx(answer: httpx.Response) -> list[list[Any]]:
    assert answer.status_code == 200, answer.text
    return [list(row) for row in load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True)]


def _answers(row: list[Any]) -> list[Any]:
    return ["" if cell is None else cell for cell in row[-2:]]  # an empty XLSX cell reads back as None


def _people_words(row: list[Any]) -> list[Any]:
    """The answers, then `attended`."""
    return [*row[-2:], row[CSV_COLUMNS.index("attended")]]


@pytest.mark.parametrize("language", ["it", "en", "de"])
async def test_the_api_exports_answers_in_the_language_asked_for(client: httpx.AsyncClient, organiser: dict[str, str], language: str) -> None:
    event_id = await _event_with_answers(client, organiser)
    titles, ada, bob = EXPECTED[language]
    rows = _csv(await client.get(f"/api/events/{event_id}/registrations.csv", params={"language": language}, headers=organiser))
    assert rows[0] == [*CSV_COLUMNS, *titles]
    assert [_people_words(row) for row in rows[1:]] == [ada, bob]

    sheet = _xlsx(await client.get(f"/api/events/{event_id}/registrations.xlsx", params={"language": language}, headers=organiser))
    assert sheet[0] == [*CSV_COLUMNS, *titles]
    # XLSX keeps `attended` a typed boolean cell (Excel shows it in its own language)
    assert [_answers(row) for row in sheet[1:]] == [ada[:2], bob[:2]]
    assert [row[CSV_COLUMNS.index("attended")] for row in sheet[1:]] == [True, False]


async def test_without_a_language_the_api_exports_in_english_and_refuses_an_unknown_one(
    client: httpx.AsyncClient, organiser: dict[str, str]
) -> None:
    event_id = await _event_with_answers(client, organiser)
    rows = _csv(await client.get(f"/api/events/{event_id}/registrations.csv", headers=organiser))
    assert rows[0][-2:] == EXPECTED["en"][0]
    for hostile in ("fr", "", "EN", "it' OR 1=1"):
        refused = await client.get(f"/api/events/{event_id}/registrations.csv", params={"language": hostile}, headers=organiser)
        assert refused.status_code == 422, (hostile, refused.text)
        assert refused.json()["detail"].startswith("language:")
    control = await client.get(f"/api/events/{event_id}/registrations.csv", params={"language": "it\x00"}, headers=organiser)
    assert control.status_code == 400, control.text


@pytest.mark.parametrize("language", ["it", "en", "de"])
async def test_the_consoles_export_follows_the_consoles_language(client: httpx.AsyncClient, organiser: dict[str, str], language: str) -> None:
    event_id = await _event_with_answers(client, organiser)
    await console_login(client)
    titles, ada, bob = EXPECTED[language]
    rows = _csv(await client.get(f"/console/events/{event_id}/registrations.csv", headers={"accept-language": language}))
    assert rows[0][-2:] == titles
    assert [_people_words(row) for row in rows[1:]] == [ada, bob]
    sheet = _xlsx(await client.get(f"/console/events/{event_id}/registrations.xlsx", params={"lang": language}))
    assert [_answers(row) for row in sheet[1:]] == [ada[:2], bob[:2]]

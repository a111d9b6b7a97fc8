"""An event's questions over HTTP: managed by editors, seen by anyone for a published event,
answered on registration (checked: a 422 names the question, nothing written), shown in the
registration list, the CSV and the XLSX export."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
from openpyxl import load_workbook

from events_service.registrations.tables import Registration
from tests.conftest import token_headers
from tests.factories import published_event, registration_payload

DIET = {"label": {"it": "Esigenze alimentari", "en": "Dietary needs"}, "kind": "choice", "required": True,
        "options": [{"value": "none", "label": {"it": "Nessuna", "en": "None"}},
                    {"value": "veg", "label": {"it": "Vegetariana", "en": "Vegetarian"}}]}
JOB = {"label": {"it": "Ruolo", "en": "Job title"}, "kind": "text"}
TOPICS = {"label": {"it": "Cosa vuoi imparare", "en": "What do you want to learn"}, "kind": "multi",
          "options": [{"value": "ai", "label": {"it": "IA", "en": "AI"}}, {"value": "iot", "label": {"it": "IoT", "en": "IoT"}}]}
LUNCH = {"label": {"it": "Resti a pranzo?", "en": "Staying for lunch?"}, "kind": "boolean"}


async def _questions(client: httpx.AsyncClient, headers: dict[str, str], event_id: int) -> dict[str, int]:
    ids = {}
    for name, body in {"diet": DIET, "job": JOB, "topics": TOPICS, "lunch": LUNCH}.items():
        answer = await client.post(f"/api/events/{event_id}/questions", json=body, headers=headers)
        assert answer.status_code == 201, answer.text
        ids[name] = answer.json()["id"]
    return ids


async def _register(client: httpx.AsyncClient, event_id: int, email: str, answers: dict[str, Any], n: int = 1) -> httpx.Response:
    return await client.post(f"/api/public/events/{event_id}/registrations", json=registration_payload(email, n, answers=answers))


async def test_answers_are_checked_stored_listed_and_exported(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    q = await _questions(client, organiser, event["id"])
    public = await client.get(f"/api/public/events/{event['id']}/questions")
    assert [item["label"]["en"] for item in public.json()] == ["Dietary needs", "Job title", "What do you want to learn", "Staying for lunch?"]

    answers = {str(q["diet"]): "veg", str(q["job"]): "  CTO ", str(q["topics"]): ["ai", "iot"], str(q["lunch"]): False}
    created = await _register(client, event["id"], "ada.lovelace@firm1.example", answers)
    assert created.status_code == 201, created.text
    plain = await _register(client, event["id"], "bob.stone@firm2.example", {str(q["diet"]): "none"}, 2)
    assert plain.status_code == 201, plain.text

    listed = (await client.get(f"/api/events/{event['id']}/registrations", headers=organiser)).json()
    assert listed[0]["answers"] == {str(q["diet"]): "veg", str(q["job"]): "CTO", str(q["topics"]): ["ai", "iot"], str(q["lunch"]): False}
    assert listed[1]["answers"] == {str(q["diet"]): "none"}

    exported = await client.get(f"/api/events/{event['id']}/registrations.csv", headers=organiser)
    rows = list(csv.reader(io.StringIO(exported.text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][-4:] == ["Dietary needs", "Job title", "What do you want to learn", "Staying for lunch?"]
    assert rows[1][-4:] == ["Vegetarian", "CTO", "AI, IoT", "no"]
    assert rows[2][-4:] == ["None", "", "", ""]
    workbook = load_workbook(io.BytesIO((await client.get(f"/api/events/{event['id']}/registrations.xlsx", headers=organiser)).content))
    sheet = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    assert sheet[0][-4:] == ["Dietary needs", "Job title", "What do you want to learn", "Staying for lunch?"]
    assert sheet[1][-4:] == ["Vegetarian", "CTO", "AI, IoT", "no"]


async def test_wrong_answers_get_a_422_naming_the_question_and_nothing_is_written(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    q = await _questions(client, organiser, event["id"])
    diet = str(q["diet"])
    cases = [
        ({}, q["diet"], "answer_required"),
        ({diet: "fish"}, q["diet"], "unknown_option"),
        ({diet: ["veg"]}, q["diet"], "unknown_option"),
        ({diet: "veg", str(q["topics"]): ["ai", "ai"]}, q["topics"], "unknown_option"),
        ({diet: "veg", str(q["topics"]): ["cooking"]}, q["topics"], "unknown_option"),
        ({diet: "veg", str(q["lunch"]): "yes"}, q["lunch"], "invalid_answer"),
        ({diet: "veg", str(q["job"]): True}, q["job"], "invalid_answer"),
        ({diet: "veg", "999999": "x"}, "999999", "unknown_question"),
    ]
    for n, (answers, question, code) in enumerate(cases):
        answer = await _register(client, event["id"], f"p{n}.x@firm{n}.example", answers, n)
        assert answer.status_code == 422, (answers, answer.text)
        assert answer.json()["code"] == code
        assert answer.json()["extra"]["question"] == question
        assert str(question) in answer.json()["detail"]
    oversize = await _register(client, event["id"], "big.x@firm9.example", {diet: "veg", str(q["job"]): "x" * 1001}, 9)
    assert oversize.status_code == 422
    too_many = await _register(client, event["id"], "many.x@firm9.example", {str(n): "x" for n in range(31)}, 9)
    assert too_many.status_code == 422
    assert await Registration.count() == 0


async def test_a_survey_question_is_not_asked_on_registration(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    survey = await client.post(f"/api/events/{event['id']}/questions", headers=organiser,
                               json={**LUNCH, "label": {"it": "Utile?", "en": "Useful?"}, "stage": "survey", "required": True})
    assert survey.status_code == 201
    assert (await client.get(f"/api/public/events/{event['id']}/questions")).json() == []
    assert (await _register(client, event["id"], "ada.l@firm1.example", {})).status_code == 201
    refused = await _register(client, event["id"], "bob.s@firm2.example", {str(survey.json()["id"]): True}, 2)
    assert refused.json()["code"] == "unknown_question"


async def test_questions_are_managed_by_editors_only_and_checked(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    path = f"/api/events/{event['id']}/questions"
    checkin = await token_headers(client, "checkin")
    assert (await client.post(path, json=JOB)).status_code == 401
    assert (await client.post(path, json=JOB, headers=checkin)).status_code == 403
    bad = [
        {**JOB, "options": DIET["options"]},  # text with options
        {**DIET, "options": []},  # choice without
        {**DIET, "options": DIET["options"] * 2},  # the same value twice
        {**JOB, "kind": "rating"},
        {**JOB, "label": {"it": "x"}},
        {**JOB, "label": {"it": "x\n", "en": "y"}},
        {**JOB, "label": {"it": "x" * 301, "en": "y"}},
    ]
    for body in bad:
        assert (await client.post(path, json=body, headers=organiser)).status_code == 422, body
    assert (await client.get(path, headers=organiser)).json() == []
    created = (await client.post(path, json=DIET, headers=organiser)).json()
    changed = await client.patch(f"{path}/{created['id']}", json={"required": False, "label": {"it": "Dieta", "en": "Diet"}}, headers=organiser)
    assert changed.json()["required"] is False
    assert changed.json()["label"]["en"] == "Diet"
    assert (await client.patch(f"{path}/{created['id']}", json={"kind": "text"}, headers=organiser)).status_code == 422
    other = await published_event(client, organiser)
    assert (await client.delete(f"/api/events/{other['id']}/questions/{created['id']}", headers=organiser)).status_code == 404
    assert (await client.delete(f"{path}/{created['id']}", headers=organiser)).status_code == 204
    assert (await client.get(path, headers=organiser)).json() == []
    for _ in range(30):
        await client.post(path, json=JOB, headers=organiser)
    assert (await client.post(path, json=JOB, headers=organiser)).status_code == 409

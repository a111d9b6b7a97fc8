"""The survey after an event over HTTP: the thank-you email of an attended registration carries
its signed link (signed with the current key; a former key still opens it), nobody else has
one; one answer per registration (409 after, also when two arrive at the same moment);
results per event and in the company's engagement."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from typing import Any

import httpx

from events_service.app import create_app
from events_service.mail.tables import OutboxMessage
from events_service.registrations.links import make_token
from events_service.registrations.tables import Registration
from events_service.settings import Settings
from events_service.surveys.tables import SurveyResponse
from tests.attendance.support import (
    TALK_ENDS,
    TALK_STARTS,
    ZOOM_PEOPLE,
    load,
    move_event,
    register,
    talk,
    upload,
)
from tests.mailparse import text_body
from tests.support.tampering import last_changed

USEFUL = {"label": {"it": "Utile per l'azienda?", "en": "Useful for your company?"}, "kind": "boolean", "stage": "survey", "required": True}
NEXT = {"label": {"it": "Prossimi temi", "en": "Next topics"}, "kind": "multi", "stage": "survey",
        "options": [{"value": "ai", "label": {"it": "IA", "en": "AI"}}, {"value": "iot", "label": {"it": "IoT", "en": "IoT"}}]}
REMARKS = {"label": {"it": "Commenti", "en": "Remarks"}, "kind": "text", "stage": "survey"}


async def _finalised_talk(client: httpx.AsyncClient, organiser: dict[str, str]) -> tuple[dict[str, Any], dict[str, int], dict[str, str]]:
    """A talk that took place: six of ZOOM_PEOPLE attended, Paolo did not; the survey links
    found in the thank-you emails, by address."""
    event = await talk(client, organiser, title="AI generativa per le PMI", capacity=len(ZOOM_PEOPLE))
    for email, first, last, company in ZOOM_PEOPLE:
        await register(client, event["id"], email, first, last, company)
    questions = {}
    for name, body in {"useful": USEFUL, "next": NEXT, "remarks": REMARKS}.items():
        answer = await client.post(f"/api/events/{event['id']}/questions", json=body, headers=organiser)
        assert answer.status_code == 201, answer.text
        questions[name] = answer.json()["id"]
    await move_event(event["id"], TALK_STARTS, TALK_ENDS)
    await upload(client, organiser, event["id"], load("zoom_participants.csv"))
    finalised = await client.post(f"/api/events/{event['id']}/finalise-attendance", headers=organiser)
    assert finalised.status_code == 200, finalised.text
    links = {}
    for row in await OutboxMessage.select(OutboxMessage.to_address, OutboxMessage.kind, OutboxMessage.message).where(
        OutboxMessage.kind.is_in(["thank_you", "missed_you"])
    ):
        found = re.search(r"http://events\.test/surveys/(\S+)", text_body(row["message"]))
        if found:
            assert row["kind"] == "thank_you"
            links[row["to_address"]] = found.group(1)
    return event, questions, links


async def test_those_who_came_answer_once_and_the_results_count_them(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event, q, links = await _finalised_talk(client, organiser)
    assert len(links) == 6
    assert "paolo.conti@conti-trasporti.it" not in links  # no-show: no survey
    anna = links["anna.keller@keller-praezision.ch"]
    form = await client.get(f"/api/public/surveys/{anna}")
    assert form.status_code == 200, form.text
    assert [item["label"]["en"] for item in form.json()["questions"]] == ["Useful for your company?", "Next topics", "Remarks"]
    assert form.json()["answered"] is False
    assert "anna" not in form.text.lower()  # the event's survey, nothing of the person

    answers = {
        "anna.keller@keller-praezision.ch": (5, {str(q["useful"]): True, str(q["next"]): ["ai", "iot"], str(q["remarks"]): "Great"}),
        "niccolo.bernasconi@bernasconi-meccanica.ch": (4, {str(q["useful"]): True, str(q["next"]): ["ai"]}),
        "luca.bianchi@officine-bianchi.it": (2, {str(q["useful"]): False}),
    }
    for email, (rating, given) in answers.items():
        answer = await client.post(f"/api/public/surveys/{links[email]}", json={"rating": rating, "answers": given})
        assert answer.status_code == 201, answer.text
    again = await client.post(f"/api/public/surveys/{anna}", json={"rating": 1, "answers": {str(q["useful"]): False}})
    assert again.status_code == 409
    assert again.json()["code"] == "already_answered"
    assert (await client.get(f"/api/public/surveys/{anna}")).json()["answered"] is True

    results = (await client.get(f"/api/events/{event['id']}/survey", headers=organiser)).json()
    assert (results["responses"], results["attended"], results["mean_rating"]) == (3, 6, 3.67)
    assert results["ratings"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1}
    by_question = {item["question"]["id"]: item for item in results["questions"]}
    assert by_question[q["useful"]]["counts"] == {"yes": 2, "no": 1}
    assert by_question[q["next"]]["counts"] == {"ai": 2, "iot": 1}
    assert by_question[q["remarks"]]["texts"] == ["Great"]
    assert sorted((c["responses"], c["mean_rating"]) for c in results["companies"]) == [(1, 2.0), (1, 4.0), (1, 5.0)]

    company_id = (await Registration.select(Registration.company).where(Registration.contact.email == "anna.keller@keller-praezision.ch").first())["company"]
    engagement = (await client.get(f"/api/companies/{company_id}/engagement", headers=organiser)).json()
    assert (engagement["survey_responses"], engagement["survey_mean_rating"]) == (1, 5.0)


async def test_hostile_survey_requests_get_a_4xx_and_write_nothing(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    event, q, links = await _finalised_talk(client, organiser)
    anna = links["anna.keller@keller-praezision.ch"]
    paolo = await Registration.select(Registration.id, Registration.token_nonce).where(
        Registration.contact.email == "paolo.conti@conti-trasporti.it").first()
    manage_token = make_token(settings.secret_key, "manage", paolo["id"], paolo["token_nonce"])
    no_show_survey = make_token(settings.secret_key, "survey", paolo["id"], paolo["token_nonce"])
    registration_id, nonce, _ = anna.split(".")
    other_id = int(registration_id) + 1  # another registration's id under Anna's nonce and signature
    cases = [
        (await client.get(f"/api/public/surveys/{manage_token}"), 404),  # a manage token is not a survey token
        (await client.get(f"/api/public/surveys/{no_show_survey}"), 409),  # did not come
        (await client.get(f"/api/public/surveys/{other_id}.{nonce}.{anna.split('.')[2]}"), 404),
        (await client.get(f"/api/public/surveys/{last_changed(anna)}"), 404),
        (await client.post(f"/api/public/surveys/{anna}", json={"rating": 6, "answers": {str(q['useful']): True}}), 422),
        (await client.post(f"/api/public/surveys/{anna}", json={"rating": 3}), 422),  # a required answer missing
        (await client.post(f"/api/public/surveys/{anna}", json={"rating": 3, "answers": {str(q["useful"]): "yes"}}), 422),
        (await client.post(f"/api/public/surveys/{anna}", json={"rating": 3, "answers": {str(q["useful"]): True, "999": "x"}}), 422),
        (await client.post(f"/api/public/surveys/{anna}", json={"rating": 3, "answers": {str(q["useful"]): True, str(q["remarks"]): "x" * 1001}}), 422),
        (await client.post(f"/api/public/surveys/{no_show_survey}", json={"rating": 3, "answers": {str(q["useful"]): True}}), 409),
        (await client.get(f"/api/events/{event['id']}/survey"), 401),
    ]
    assert [answer.status_code for answer, _ in cases] == [status for _, status in cases], [answer.text for answer, _ in cases]
    assert await SurveyResponse.count() == 0


async def test_a_link_signed_with_a_former_key_still_opens_the_survey(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    _, q, links = await _finalised_talk(client, organiser)
    anna = links["anna.keller@keller-praezision.ch"]
    rotated = dataclasses.replace(settings, secret_key="a-brand-new-secret-key-of-more-than-32-chars", secret_key_fallbacks=(settings.secret_key,))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(rotated)), base_url="http://events.test") as after:
        assert (await after.get(f"/api/public/surveys/{anna}")).status_code == 200
    unrotated = dataclasses.replace(settings, secret_key="a-brand-new-secret-key-of-more-than-32-chars", secret_key_fallbacks=())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=create_app(unrotated)), base_url="http://events.test") as dropped:
        assert (await dropped.get(f"/api/public/surveys/{anna}")).status_code == 404


async def test_two_answers_sent_at_the_same_moment_make_one(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    _, q, links = await _finalised_talk(client, organiser)
    anna = links["anna.keller@keller-praezision.ch"]
    body = {"rating": 4, "answers": {str(q["useful"]): True}}
    answers = await asyncio.gather(*[client.post(f"/api/public/surveys/{anna}", json=body) for _ in range(8)])
    assert sorted(answer.status_code for answer in answers) == [201] + [409] * 7
    assert await SurveyResponse.count() == 1


async def test_erasing_a_person_removes_their_answers_and_unlinks_their_survey(client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings) -> None:
    from events_service.privacy.service import erase_contact, export_contact
    from events_service.questions.schemas import as_answers

    event, q, links = await _finalised_talk(client, organiser)
    diet = await client.post(f"/api/events/{event['id']}/questions", headers=organiser,
                             json={"label": {"it": "Dieta", "en": "Diet"}, "kind": "text"})
    anna = "anna.keller@keller-praezision.ch"
    await Registration.update({Registration.answers: {str(diet.json()["id"]): "no gluten"}}).where(Registration.contact.email == anna)
    answered = await client.post(f"/api/public/surveys/{links[anna]}", json={"rating": 5, "answers": {str(q["useful"]): True}})
    assert answered.status_code == 201
    exported = await export_contact(anna)
    assert as_answers(exported["registrations"][0]["answers"]) == {str(diet.json()["id"]): "no gluten"}

    await erase_contact(anna, settings)
    rows = await Registration.select(Registration.answers).where(Registration.id == exported["registrations"][0]["id"])
    assert rows == [{"answers": None}]
    responses = await SurveyResponse.select(SurveyResponse.registration, SurveyResponse.rating)
    assert responses == [{"registration": None, "rating": 5}]
    results = (await client.get(f"/api/events/{event['id']}/survey", headers=organiser)).json()
    assert results["responses"] == 1

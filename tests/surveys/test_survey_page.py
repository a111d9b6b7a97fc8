"""The page the thank-you email's survey link opens: it asks, refuses a form without a rating
or a required answer, records one answer, and says so when the link is used again."""

from __future__ import annotations

import httpx

from events_service.surveys.tables import SurveyResponse
from tests.surveys.test_surveys_api import _finalised_talk
from tests.web.support import csrf_token


async def test_the_emailed_link_opens_a_page_that_records_one_answer(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    _, q, links = await _finalised_talk(client, organiser)
    page = f"/surveys/{links['anna.keller@keller-praezision.ch']}"
    shown = await client.get(f"{page}?lang=it")
    assert shown.status_code == 200
    assert "Utile per l&#39;azienda?" in shown.text or "Utile per l'azienda?" in shown.text
    useful, topics = f"answer_{q['useful']}", f"answer_{q['next']}"

    no_rating = await client.post(page, data={useful: "yes", "_csrf_token": csrf_token(client)})
    assert no_rating.status_code == 422
    assert 'id="rating-error"' in no_rating.text
    no_answer = await client.post(page, data={"rating": "4", "_csrf_token": csrf_token(client)})
    assert no_answer.status_code == 422
    assert f'id="{useful}-error"' in no_answer.text
    assert await SurveyResponse.count() == 0

    done = await client.post(page, data={"rating": "4", useful: "no", topics: ["iot"], "_csrf_token": csrf_token(client)})
    assert done.status_code == 200, done.text
    assert 'id="survey-done"' in done.text
    again = await client.post(page, data={"rating": "1", useful: "yes", "_csrf_token": csrf_token(client)})
    assert 'id="survey-done"' in again.text
    assert 'id="survey-done"' in (await client.get(page)).text
    rows = await SurveyResponse.select(SurveyResponse.rating).order_by(SurveyResponse.id)
    assert rows == [{"rating": 4}]
    assert (await client.get("/surveys/1.forged.token")).status_code == 404

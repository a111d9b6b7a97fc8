"""The public registration form asks the event's questions in the page's language, puts a
refusal next to its question, and stores the answers as the API does."""

from __future__ import annotations

import httpx

from events_service.questions.schemas import as_answers
from events_service.registrations.tables import Registration
from tests.factories import partita_iva, published_event
from tests.web.support import csrf_token

DIET = {"label": {"it": "Esigenze alimentari", "en": "Dietary needs"}, "kind": "choice", "required": True,
        "options": [{"value": "none", "label": {"it": "Nessuna", "en": "None"}},
                    {"value": "veg", "label": {"it": "Vegetariana", "en": "Vegetarian"}}]}
TOPICS = {"label": {"it": "Cosa vuoi imparare", "en": "What do you want to learn"}, "kind": "multi",
          "options": [{"value": "ai", "label": {"it": "IA", "en": "AI"}}, {"value": "iot", "label": {"it": "IoT", "en": "IoT"}}]}
LUNCH = {"label": {"it": "Resti a pranzo?", "en": "Staying for lunch?"}, "kind": "boolean"}


def _form(**answers: object) -> dict[str, object]:
    return {"email": "ada.rossi@azienda.example", "first_name": "Ada", "last_name": "Rossi", "company_country": "IT",
            "company_vat": partita_iva(7), "company_name": "Rossi Meccanica Srl", "consent_privacy": "yes", **answers}


async def test_the_form_asks_checks_and_stores_the_answers(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser)
    ids = []
    for body in (DIET, TOPICS, LUNCH):
        ids.append((await client.post(f"/api/events/{event['id']}/questions", json=body, headers=organiser)).json()["id"])
    diet, topics, lunch = (f"answer_{n}" for n in ids)

    page = await client.get(f"/e/{event['slug']}/register?lang=it")
    assert "Esigenze alimentari" in page.text
    assert "Vegetariana" in page.text
    assert f'name="{topics}" value="iot"' in page.text
    english = await client.get(f"/e/{event['slug']}/register?lang=en")
    assert "Dietary needs" in english.text

    refused = await client.post(f"/e/{event['slug']}/register", data={**_form(**{topics: "iot"}), "_csrf_token": csrf_token(client)})
    assert refused.status_code == 422
    assert f'id="{diet}-error"' in refused.text
    assert await Registration.count() == 0
    wrong = await client.post(f"/e/{event['slug']}/register", data={**_form(**{diet: "fish"}), "_csrf_token": csrf_token(client)})
    assert wrong.status_code == 422
    assert f'id="{diet}-error"' in wrong.text

    done = await client.post(
        f"/e/{event['slug']}/register",
        data={**_form(**{diet: "veg", lunch: "yes"}), topics: ["ai", "iot"], "_csrf_token": csrf_token(client)},
    )
    assert done.status_code == 303, done.text
    stored = await Registration.select(Registration.answers).first()
    assert as_answers(stored["answers"]) == {str(ids[0]): "veg", str(ids[1]): ["ai", "iot"], str(ids[2]): True}


async def test_the_console_adds_and_removes_questions(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    from tests.web.support import console_login, post_form

    event = await published_event(client, organiser)
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"
    await console_login(client)
    page = f"/console/events/{event['id']}/questions"
    added = await post_form(client, page, {"label_it": "Dieta", "label_en": "Diet", "label_de": "", "kind": "choice",
                                           "stage": "registration", "required": "yes", "options": "veg | Vegetariana | Vegetarian\nnone | Nessuna"})
    assert added.status_code == 303, added.text
    listed = (await client.get(f"/api/events/{event['id']}/questions", headers=organiser)).json()
    assert [(q["label"]["en"], q["kind"], q["required"], [o["value"] for o in q["options"]]) for q in listed] == [
        ("Diet", "choice", True, ["veg", "none"])
    ]
    assert listed[0]["options"][1]["label"] == {"it": "Nessuna", "en": "Nessuna", "de": None}
    refused = await post_form(client, page, {"label_it": "Dieta", "label_en": "Diet", "label_de": "", "kind": "choice",
                                             "stage": "registration", "options": ""})
    assert refused.status_code == 422
    assert 'id="question-error"' in refused.text
    removed = await post_form(client, f"{page}/{listed[0]['id']}/delete", {}, page=page)
    assert removed.status_code == 303
    assert (await client.get(f"/api/events/{event['id']}/questions", headers=organiser)).json() == []


async def test_the_console_registrations_list_shows_the_answers(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    from tests.factories import registration_payload
    from tests.web.support import console_login

    event = await published_event(client, organiser)
    diet = (await client.post(f"/api/events/{event['id']}/questions", json=DIET, headers=organiser)).json()["id"]
    registered = await client.post(f"/api/public/events/{event['id']}/registrations",
                                    json=registration_payload("ada.rossi@azienda.example", 7, answers={str(diet): "veg"}))
    assert registered.status_code == 201, registered.text
    client.headers["Accept-Language"] = "en-GB,en;q=0.8"
    await console_login(client)
    page = await client.get(f"/console/events/{event['id']}/registrations")
    assert "<th scope=\"col\">Dietary needs</th>" in page.text
    assert '<td class="answer">Vegetarian</td>' in page.text

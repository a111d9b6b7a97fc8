"""The public pages through the app (no browser): listing, event page, registration form and
its errors, the registrant's own page and cancelling, language, CSRF, escaping."""

from __future__ import annotations

import httpx

from events_service.mail.tables import OutboxMessage
from events_service.registrations.tables import Registration
from tests.factories import event_payload, partita_iva, published_event, swiss_uid
from tests.web.support import csrf_token, field_error, input_value, post_form

HOSTILE = '<script>alert("x")</script> & "IoT"'


def form(email: str = "ada.rossi@azienda.example", **overrides: str) -> dict[str, str]:
    data = {
        "email": email,
        "first_name": "Ada",
        "last_name": "Rossi",
        "company_country": "IT",
        "company_vat": partita_iva(7),
        "company_name": "Rossi Meccanica Srl",
        "consent_privacy": "yes",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


async def register(client: httpx.AsyncClient, slug: str, **overrides: str) -> httpx.Response:
    return await post_form(client, f"/e/{slug}/register", form(**overrides))


async def test_home_lists_published_events_and_filters(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    day = await published_event(client, organiser, tech_day=True, topics=["robotics"])
    draft = await client.post("/api/events", json=event_payload(title="Secret draft talk"), headers=organiser)
    assert draft.status_code == 201

    page = await client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert talk["title"] in page.text
    assert day["title"] in page.text
    assert "Secret draft talk" not in page.text
    assert f'href="/e/{talk["slug"]}"' in page.text

    only_days = await client.get("/", params={"kind": "tech_day"})
    assert day["title"] in only_days.text
    assert talk["title"] not in only_days.text
    by_topic = await client.get("/", params={"topic": "iot"})
    assert talk["title"] in by_topic.text
    assert day["title"] not in by_topic.text


async def test_language_from_header_query_and_cookie(client: httpx.AsyncClient) -> None:
    italian = await client.get("/")
    assert '<html lang="it">' in italian.text
    assert "Prossimi eventi" in italian.text
    english = await client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9,it;q=0.5"})
    assert '<html lang="en">' in english.text
    assert "Upcoming events" in english.text

    switched = await client.get("/", params={"lang": "en"})
    assert "Upcoming events" in switched.text
    assert "lang=en" in switched.headers["set-cookie"]
    # The cookie keeps the choice, over the browser's preference.
    again = await client.get("/privacy", headers={"Accept-Language": "it"})
    assert '<html lang="en">' in again.text
    assert "Privacy notice" in again.text
    back = await client.get("/privacy", params={"lang": "it"})
    assert "Informativa privacy" in back.text


async def test_event_page_shows_speakers_agenda_seats_and_calendar_links(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    page = await client.get(f"/e/{day['slug']}", params={"lang": "en"})
    assert page.status_code == 200
    text = page.text
    assert "Marco Rossi" in text
    assert "Anna Bianchi" in text
    assert "Agenda" in text
    assert "Cobots on the shop floor" in text
    assert '<span class="big" id="seats-left">80</span>' in text
    assert "calendar.google.com" in text
    assert "outlook" in text.lower()
    assert f'href="/events/{day["id"]}.ics"' in text
    assert f'href="/e/{day["slug"]}/register"' in text
    # Never the speakers' emails or a join link on a public page.
    assert "marco.rossi@supsi.example" not in text
    talk = await published_event(client, organiser)
    assert "meet.example.org" not in (await client.get(f"/e/{talk['slug']}")).text
    ics = await client.get(f"/events/{day['id']}.ics")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")


async def test_unknown_and_draft_events_are_404_pages(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    draft = (await client.post("/api/events", json=event_payload(), headers=organiser)).json()
    for path in ("/e/no-such-event", f"/e/{draft['slug']}", f"/e/{draft['slug']}/register", "/r/1.abc.def"):
        answer = await client.get(path, params={"lang": "en"})
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html")
        assert "Not found" in answer.text


async def test_hostile_text_is_escaped(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(client, organiser, title=HOSTILE, description="<img src=x onerror=alert(1)>")
    for path in ("/", f"/e/{event['slug']}", f"/e/{event['slug']}/register"):
        text = (await client.get(path)).text
        assert "<script>alert" not in text, path
        assert "<img src=x" not in text, path
        assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; &#34;IoT&#34;" in text, path
    # What a person types comes back escaped too.
    answer = await register(client, event["slug"], first_name='"><script>x()</script>', company_vat="IT123")
    assert answer.status_code == 422
    assert "<script>x()" not in answer.text
    assert "&#34;&gt;&lt;script&gt;x()" in answer.text


async def test_register_confirms_and_shows_the_manage_page(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    answer = await register(client, talk["slug"], consent_marketing="yes")
    assert answer.status_code == 303, answer.text
    location = answer.headers["location"]
    assert location.startswith("/r/")
    assert location.endswith("?welcome=1")

    page = await client.get(location + "&lang=en")
    assert page.status_code == 200
    assert "You are registered" in page.text
    assert 'id="status">Confirmed<' in page.text
    assert 'href="https://meet.example.org/j/123456"' in page.text  # the join link: confirmed
    assert "/calendar/personal/" not in page.text  # the feed link travels only in the person's emails
    assert await Registration.count() == 1
    assert await OutboxMessage.count().where(OutboxMessage.kind == "confirmed") == 1
    # The link in the emails (/registrations/<token>) leads here.
    token = location.split("/")[2].split("?")[0]
    redirect = await client.get(f"/registrations/{token}")
    assert redirect.status_code == 302
    assert redirect.headers["location"] == f"/r/{token}"


async def test_register_with_colleagues_and_hybrid_mode(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    event = await published_event(
        client, organiser, tech_day=True, mode="hybrid", online_capacity=20, online_url="https://meet.example.org/j/9"
    )
    answer = await register(
        client, event["slug"], attendance_mode="online",
        colleague_email_1="bruno.verdi@azienda.example", colleague_first_name_1="Bruno", colleague_last_name_1="Verdi",
    )
    assert answer.status_code == 303, answer.text
    rows = await Registration.select(Registration.attendance_mode, Registration.status).order_by(Registration.id)
    assert rows == [{"attendance_mode": "online", "status": "confirmed"}, {"attendance_mode": "online", "status": "confirmed"}]


async def test_invalid_vat_is_shown_next_to_the_field_with_what_was_typed(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    answer = await register(client, talk["slug"], company_vat="IT12345678900", email="ada@azienda.example")
    assert answer.status_code == 422
    assert field_error(answer.text, "company_vat", ).startswith("Partita IVA non valida")
    assert input_value(answer.text, "email") == "ada@azienda.example"
    assert input_value(answer.text, "company_vat") == "IT12345678900"
    assert input_value(answer.text, "company_name") == "Rossi Meccanica Srl"
    assert 'aria-invalid="true"' in answer.text
    # A Swiss UID with a wrong check digit, in English.
    await client.get("/", params={"lang": "en"})
    swiss = await register(client, talk["slug"], company_country="CH", company_vat="CHE-123.456.789")
    assert field_error(swiss.text, "company_vat").startswith("This VAT number is not valid")
    assert await Registration.count() == 0


async def test_missing_fields_consent_and_bad_email(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    answer = await register(client, talk["slug"], first_name="", consent_privacy=None, email="not-an-email",
                            colleague_email_1="x@y.example")
    assert answer.status_code == 422
    assert field_error(answer.text, "first_name") == "Campo obbligatorio."
    assert field_error(answer.text, "email") == "Indirizzo email non valido."
    assert field_error(answer.text, "consent_privacy").startswith("Non possiamo iscriverti")
    assert field_error(answer.text, "colleague_first_name_1") == "Campo obbligatorio."
    assert await Registration.count() == 0


async def test_service_refusals_land_on_their_field(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    assert (await register(client, talk["slug"])).status_code == 303
    twice = await register(client, talk["slug"])
    assert twice.status_code == 422
    assert field_error(twice.text, "email") == "Questa email è già iscritta a questo evento."
    new_company = await register(client, talk["slug"], email="b@nuova.example", company_vat=swiss_uid(3), company_country="CH", company_name="")
    assert field_error(new_company.text, "company_name").startswith("La tua azienda è nuova")


async def test_forms_without_the_csrf_token_are_refused(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    await client.get(f"/e/{talk['slug']}/register")
    missing = await client.post(f"/e/{talk['slug']}/register", data=form())
    assert missing.status_code == 403
    assert "text/html" in missing.headers["content-type"]
    wrong = await client.post(f"/e/{talk['slug']}/register", data={**form(), "_csrf_token": "forged"})
    assert wrong.status_code == 403
    assert await Registration.count() == 0
    # The header works as well as the field.
    header = await client.post(f"/e/{talk['slug']}/register", data=form(), headers={"x-csrftoken": csrf_token(client)})
    assert header.status_code == 303
    # The JSON API and calendar stay outside CSRF.
    api = await client.post(f"/api/events/{talk['id']}/publish", headers=organiser)
    assert api.status_code == 200


async def test_cancel_from_the_manage_page_with_a_confirmation_step(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    location = (await register(client, talk["slug"])).headers["location"]
    token = location.split("/")[2].split("?")[0]
    confirm = await client.get(f"/r/{token}/cancel", params={"lang": "en"})
    assert confirm.status_code == 200
    assert "Cancel your registration?" in confirm.text
    assert await Registration.count().where(Registration.status == "cancelled") == 0

    done = await post_form(client, f"/r/{token}/cancel", {}, page=f"/r/{token}/cancel")
    assert done.status_code == 303
    assert done.headers["location"] == f"/r/{token}?cancelled=1"
    page = await client.get(done.headers["location"])
    assert "Your registration has been cancelled." in page.text
    assert 'id="status">Cancelled<' in page.text
    assert "meet.example.org" not in page.text
    assert f"/r/{token}/cancel" not in page.text
    assert await Registration.count().where(Registration.status == "cancelled") == 1
    # Asking again shows the page, not a second confirmation.
    assert (await client.get(f"/r/{token}/cancel")).status_code == 303
    forged = await post_form(client, f"/r/{token}x/cancel", {}, page="/")
    assert forged.status_code == 404


async def test_tech_day_manage_page_has_a_qr_checkin_code(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    day = await published_event(client, organiser, tech_day=True)
    location = (await register(client, day["slug"])).headers["location"]
    page = await client.get(location)
    assert "<svg" in page.text
    assert "Il tuo codice di accesso" in page.text


async def test_closed_registration_shows_no_form(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    talk = await published_event(client, organiser)
    assert (await client.post(f"/api/events/{talk['id']}/cancel", headers=organiser)).status_code == 200
    page = await client.get(f"/e/{talk['slug']}/register")
    assert page.status_code == 200
    assert "Questo evento è stato annullato." in page.text
    assert "<form" not in page.text.split("</header>")[1]
    answer = await register(client, talk["slug"])
    assert answer.status_code == 422 and "annullato" in answer.text.lower() or "cancelled" in answer.text


async def test_german_is_a_catalog_for_the_public_pages(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    """German (for the Swiss partners) from ?lang=de or the browser's de-CH: the public pages'
    words come from its catalog; the switch names each language in its own words."""
    day = await published_event(client, organiser, tech_day=True)
    swiss = await client.get("/privacy", headers={"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"})
    assert '<html lang="de">' in swiss.text
    assert "Datenschutzerklärung" in swiss.text
    page = await client.get(f"/e/{day['slug']}", params={"lang": "de"})
    assert '<html lang="de">' in page.text
    assert "Programm" in page.text
    assert "freie Plätze" in page.text
    assert "Zum Kalender hinzufügen" in page.text
    assert ">Italiano</a>" in page.text
    assert ">English</a>" in page.text
    assert ">Deutsch</a>" in page.text
    assert "lang=de" in page.headers["set-cookie"]  # the registration below speaks German

    answer = await register(client, day["slug"], email="")
    assert answer.status_code == 422
    assert field_error(answer.text, "email") == "Dieses Feld ist erforderlich."
    registered = await register(client, day["slug"])
    assert registered.status_code == 303, registered.text
    manage = await client.get(registered.headers["location"])
    assert "Sie sind angemeldet" in manage.text
    assert 'id="status">Bestätigt<' in manage.text
    (row,) = await Registration.select(Registration.language)
    assert row["language"] == "de"  # so its emails are German too (tests/calendar/test_languages_e2e.py)

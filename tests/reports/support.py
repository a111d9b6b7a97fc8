"""A hand-built programme for the funder's indicators, where every number is known in advance.

company (country, province/canton, size)   events (all in November 2026 unless said)
  Lariana  IT  LC  small                   Tech Day Lecco   targeted, in person, venue IT
  Ticino   CH  TI  micro                   Talk online      targeted, online (no venue country)
  Comasca  IT  CO  medium                  Day Lugano       public, in person, venue CH
  Brianza  IT  MB  large                   Talk October     targeted, online, 1 October: outside the period
                                           Talk to come     targeted, after the period's end (no figure)

  Tech Day Lecco: ada (Lariana) checked in; carlo (Ticino) checked in: a Swiss company at an
                  Italian venue; ezio (Comasca) a no-show; fede (Comasca) cancelled.
  Talk online:    ada (again: a person at two events), bea (Lariana, erased later) and carlo
                  attended by the imported report.
  Day Lugano:     dino (Brianza) and carlo checked in.
  Talk October:   ivo (Comasca) attended: outside the period.

  participations (targeted events): ada x2, bea, carlo x2 = 5; IT 3 (IT-LC 3), CH 2 (CH-TI 2)
  cross-border: carlo at Lecco = 1 (carlo online is not; carlo at Lugano is at home)
  public events 1, targeted events 2 (October is outside, the coming talk has not begun)
  enterprises supported: Lariana, Ticino, Brianza = 3 (IT 2, CH 1; small, micro, large 1 each)
  expert meetings: 0 (no Innovation Experts domain yet)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.attendance.support import checkin_code, move_event, register, upload
from tests.factories import partita_iva, published_event, swiss_uid

PERIOD = {"from": "2026-11-01", "to": "2026-11-30"}
COMPANIES = {
    "Lariana": ("Meccanica Lariana Srl", partita_iva(201), "IT", "LC", "small"),
    "Ticino": ("Ticino Robotics SA", swiss_uid(202), "CH", "TI", "micro"),
    "Comasca": ("Tessitura Comasca Spa", partita_iva(203), "IT", "CO", "medium"),
    "Brianza": ("Brianza Digitale Srl", partita_iva(204), "IT", "MB", "large"),
}
BEA = "bea.lariana@lariana.example"
LUGANO = {"name": "Campus Est USI-SUPSI", "address": "Via la Santa 1", "city": "Lugano", "country": "CH"}

EXPECTED = {
    "from": "2026-11-01",
    "to": "2026-11-30",
    "participations": {"total": 5, "by_country": {"IT": 3, "CH": 2}, "by_region": {"IT-LC": 3, "CH-TI": 2}},
    "public_events": 1,
    "targeted_events": 2,
    "enterprises_supported": {"total": 3, "by_country": {"IT": 2, "CH": 1}, "by_size_class": {"large": 1, "micro": 1, "small": 1}},
    "cross_border_participations": 1,
    "expert_meetings": 0,
}


async def funder_programme(client: httpx.AsyncClient, headers: dict[str, str]) -> dict[str, Any]:
    companies = {}
    for key, (name, vat, country, region, size) in COMPANIES.items():
        created = await client.post("/api/companies", headers=headers, json={
            "name": name, "vat_id": vat, "country": country, "region": region, "size_class": size})
        assert created.status_code == 201, created.text
        companies[key] = created.json()
    lecco = await published_event(client, headers, tech_day=True, title="Tech Day Lecco")
    online = await published_event(client, headers, title="Talk online")
    lugano = await published_event(client, headers, tech_day=True, title="Day Lugano", venue=LUGANO, audience="public")
    october = await published_event(client, headers, title="Talk October")
    coming = await published_event(client, headers, title="Talk to come")

    async def person(event: dict[str, Any], email: str, company: str) -> dict[str, Any]:
        first, last = email.split("@")[0].split(".")
        return await register(client, event["id"], email, first.capitalize(), last.capitalize(), companies[company]["vat_id"])

    regs = {
        "lecco": {who: await person(lecco, f"{who}.{company.lower()}@{company.lower()}.example", company)
                  for who, company in (("ada", "Lariana"), ("carlo", "Ticino"), ("ezio", "Comasca"), ("fede", "Comasca"))},
        "online": {who: await person(online, f"{who}.{company.lower()}@{company.lower()}.example", company)
                   for who, company in (("ada", "Lariana"), ("bea", "Lariana"), ("carlo", "Ticino"))},
        "lugano": {who: await person(lugano, f"{who}.{company.lower()}@{company.lower()}.example", company)
                   for who, company in (("dino", "Brianza"), ("carlo", "Ticino"))},
        "october": {"ivo": await person(october, "ivo.comasca@comasca.example", "Comasca")},
        "coming": {"ezio": await person(coming, "ezio.comasca@comasca.example", "Comasca")},
    }
    cancelled = await client.post(f"/api/public/registrations/{regs['lecco']['fede']['manage_token']}/cancel")
    assert cancelled.status_code == 200, cancelled.text
    for event, who in ((lecco, "ada"), (lecco, "carlo"), (lugano, "dino"), (lugano, "carlo")):
        code = await checkin_code(client, regs["lugano" if event is lugano else "lecco"][who])
        checked = await client.post(f"/api/events/{event['id']}/checkins", json={"code": code}, headers=headers)
        assert checked.status_code == 200, checked.text

    await move_event(lecco["id"], datetime(2026, 11, 10, 8, 0, tzinfo=UTC), datetime(2026, 11, 10, 16, 0, tzinfo=UTC))
    await move_event(lugano["id"], datetime(2026, 11, 20, 8, 0, tzinfo=UTC), datetime(2026, 11, 20, 16, 0, tzinfo=UTC))
    talk_starts = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
    await move_event(online["id"], talk_starts, talk_starts + timedelta(minutes=90))
    await move_event(october["id"], datetime(2026, 10, 1, 15, 0, tzinfo=UTC), datetime(2026, 10, 1, 16, 0, tzinfo=UTC))
    report = (
        b"Name (original name),User Email,Join time,Leave time,Duration (minutes),Guest\r\n"
        b"Ada Lariana,ada.lariana@lariana.example,11/24/2026 05:00:00 PM,11/24/2026 06:20:00 PM,80,No\r\n"
        b"Bea Lariana,bea.lariana@lariana.example,11/24/2026 05:00:00 PM,11/24/2026 06:30:00 PM,90,No\r\n"
        b"Carlo Ticino,carlo.ticino@ticino.example,11/24/2026 05:00:00 PM,11/24/2026 05:50:00 PM,50,No\r\n"
    )
    assert (await upload(client, headers, online["id"], report)).json()["attended"] == 3
    ivo = "Display Name,Attendee Email,Join Time,Leave Time\r\nIvo Comasca,ivo.comasca@comasca.example,2026-10-01 17:00:00,2026-10-01 18:00:00\r\n"
    assert (await upload(client, headers, october["id"], ivo.encode())).json()["attended"] == 1
    return {"companies": companies, "events": {"lecco": lecco, "online": online, "lugano": lugano, "october": october, "coming": coming},
            "registrations": regs}

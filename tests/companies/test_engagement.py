"""A company's engagement: the events its people registered for, attended, and for how long."""

import httpx

from tests.attendance.support import small_programme


async def test_company_engagement(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    programme = await small_programme(client, organiser)
    lariana = programme["companies"]["Lariana"]
    answer = await client.get(f"/api/companies/{lariana['id']}/engagement", headers=organiser)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["company"]["vat_id"] == lariana["vat_id"]
    assert (body["events_registered"], body["events_attended"], body["minutes_attended"]) == (2, 2, 60)
    assert [(e["title"], e["kind"], e["registrations"], e["attended"], e["minutes_attended"]) for e in body["events"]] == [
        ("Tech Day Lecco", "tech_day", 1, 1, 0),
        ("AI generativa per le PMI", "tech_talk", 2, 1, 60),
    ]
    assert body["events"][1]["starts_at"].startswith("2026-11-24T16:00:00")
    comasca = (await client.get(f"/api/companies/{programme['companies']['Comasca']['id']}/engagement", headers=organiser)).json()
    assert (comasca["events_registered"], comasca["events_attended"], comasca["minutes_attended"]) == (2, 1, 0)
    assert [e["title"] for e in comasca["events"]] == ["Tech Day Lecco", "Robotica collaborativa"]
    assert (await client.get("/api/companies/999999/engagement", headers=organiser)).status_code == 404

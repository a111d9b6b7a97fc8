"""The expert's agenda, the evening before: one email per expert per day listing each booked
meeting with company and topic (not a cancelled one), received at a real SMTP sink; not before
the evening, never twice, even from two workers at once. SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import email
import email.policy
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest

from events_service.experts.agenda import AGENDA_HOUR, agenda_due, send_agendas
from events_service.i18n import translator
from events_service.languages import DEFAULT_LANGUAGE
from events_service.settings import Settings
from events_service.worker import PERIODIC_JOBS
from tests.experts.support import client, deliver, expert, registrant, slots, tech_day
from tests.support.smtp import SmtpSink

__all__ = ["client"]


#: The agenda's subject before the day, in the language experts are written to.
_AGENDA_SUBJECT = translator(DEFAULT_LANGUAGE)("Your meetings on {day}").split("{")[0]


def _agendas(sink: SmtpSink, address: str) -> list[str]:
    found = []
    for item in sink.handler.received:
        message = email.message_from_bytes(item.raw, policy=email.policy.default)
        if address in item.recipients and str(message["Subject"]).startswith(_AGENDA_SUBJECT):
            found.append(message.get_body(preferencelist=("plain",)).get_content())
    return found


@pytest.mark.unit
def test_the_evening_before_is_from_six_pm_to_midnight_local() -> None:
    starts = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)  # 10:00 in Rome
    rome = ZoneInfo("Europe/Rome")
    evening = datetime.combine(starts.astimezone(rome).date() - timedelta(days=1), time(AGENDA_HOUR), tzinfo=rome)
    assert agenda_due(starts, "Europe/Rome", evening - timedelta(seconds=1)) is None
    assert agenda_due(starts, "Europe/Rome", evening) == starts.date()
    assert agenda_due(starts, "Europe/Rome", evening + timedelta(hours=5, minutes=59)) == starts.date()
    assert agenda_due(starts, "Europe/Rome", evening + timedelta(hours=6)) is None  # the day has begun


async def test_each_expert_gets_one_agenda_the_evening_before(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings, sink: SmtpSink
) -> None:
    assert any(job.name == "expert-agendas" for job in PERIODIC_JOBS)  # the worker runs it
    day = await tech_day(client, organiser)
    elena, marco = await expert(client, organiser), await expert(client, organiser, name="Marco Bassi")
    elena_slots, marco_slots = await slots(client, organiser, day, elena["id"]), await slots(client, organiser, day, marco["id"])
    people = [await registrant(client, day["id"], f"p{n}.rossi@azienda{n}.example", n) for n in (1, 2, 3)]
    booked = [
        await client.post(f"/api/public/registrations/{people[0]}/meetings", json={"slot_id": elena_slots[0]["id"], "topic": "cobots"}),
        await client.post(f"/api/public/registrations/{people[1]}/meetings", json={"slot_id": elena_slots[2]["id"], "topic": "heat pumps"}),
        await client.post(f"/api/public/registrations/{people[2]}/meetings", json={"slot_id": elena_slots[1]["id"], "topic": "export"}),
        await client.post(f"/api/public/registrations/{people[2]}/meetings", json={"slot_id": marco_slots[0]["id"], "topic": "vision"}),
    ]
    assert [b.status_code for b in booked] == [201, 201, 201, 201], [b.text for b in booked]
    cancelled = await client.post(f"/api/public/registrations/{people[0]}/meetings", json={"slot_id": marco_slots[2]["id"], "topic": "robots"})
    assert (await client.post(f"/api/public/meetings/{cancelled.json()['manage_token']}/cancel")).status_code == 200

    starts = datetime.fromisoformat(elena_slots[0]["starts_at"])
    zone = ZoneInfo(day["timezone"])
    evening = datetime.combine(starts.astimezone(zone).date() - timedelta(days=1), time(AGENDA_HOUR), tzinfo=zone)
    assert await send_agendas(settings, now=evening - timedelta(minutes=1)) == 0
    at = evening + timedelta(minutes=3)
    # Each agenda is queued once between the two schedulers; which one queues which may split
    # (one may win Elena's while the other wins Marco's), so the sum is the rule, not [0, 2].
    assert sum(await asyncio.gather(send_agendas(settings, now=at), send_agendas(settings, now=at))) == 2
    assert await send_agendas(settings, now=at + timedelta(hours=1)) == 0  # once per expert per day

    await deliver(settings, sink, at)
    to_elena, to_marco = _agendas(sink, "elena.conti@experts.example"), _agendas(sink, "marco.bassi@experts.example")
    assert len(to_elena) == 1 and len(to_marco) == 1, (to_elena, to_marco)
    assert "Azienda 1 Srl" in to_elena[0] and "cobots" in to_elena[0]
    assert "Azienda 2 Srl" in to_elena[0] and "heat pumps" in to_elena[0]
    assert "Azienda 3 Srl" in to_elena[0] and "export" in to_elena[0]
    assert to_elena[0].index("cobots") < to_elena[0].index("export") < to_elena[0].index("heat pumps")  # in the day's order
    assert "Azienda 3 Srl" in to_marco[0] and "vision" in to_marco[0]
    assert "robots" not in to_marco[0] and "Azienda 1 Srl" not in to_marco[0]  # the cancelled meeting

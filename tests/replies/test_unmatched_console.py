"""Issue 19 item 4: the replies tied to no event (a UID that is not one of our invites, another
host's invite UID, a message with no calendar answer) are listed on the console's reply
mailbox page, newest first, with sender, answer, shortened UID and reason, for editors only;
an event's own replies stay on the event's page. Sender and UID are text, never markup. Both
engines."""

from __future__ import annotations

import re

import httpx

from events_service.calendar.entries import invite_uid
from events_service.replies.decisions import IgnoreReason, ReplyAction
from events_service.replies.queries import UNACTED_SHOWN
from events_service.replies.service import process_message
from events_service.replies.tables import InviteReply
from events_service.settings import Settings
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_processing import ANNA, BRUNO, _full_event
from tests.replies.test_unacted_console import MALLORY, _rows
from tests.web.support import console_login

#: Our UID's shape, but for another host: an invite another service sent (or a guess).
FOREIGN_UID = invite_uid(7, 42, "0123456789abcdef", "calendar.other.example")


def _uid_titles(html: str) -> list[str]:
    return re.findall(r'<td><span title="(.*?)">', html)


async def _page(client: httpx.AsyncClient, query: str = "", language: str = "en") -> httpx.Response:
    return await client.get(f"/console/replies{query}", headers={"Accept-Language": language})


async def test_unknown_and_foreign_uids_are_listed_with_their_reason(
    client: httpx.AsyncClient, organiser: dict[str, str], settings: Settings
) -> None:
    event_id, uid = await _full_event(client, organiser)
    await process_message(reply_email("outlook", reply_calendar(uid="040000008200E00074C5B7101A82E008@outlook.example", attendee=MALLORY), sender=MALLORY), settings)
    await process_message(reply_email("gmail", reply_calendar(uid=FOREIGN_UID, attendee=BRUNO, partstat="ACCEPTED", client="gmail"), sender=BRUNO), settings)
    # An answer to one of our invites, ignored: it belongs to the event's page, not this one.
    await process_message(reply_email("outlook", reply_calendar(uid=uid, attendee=ANNA), sender=MALLORY), settings)
    await console_login(client)

    page = await _page(client)

    assert page.status_code == 200
    rows = _rows(page.text)
    assert [(row[1], row[2], row[4]) for row in rows] == [
        (BRUNO, "ACCEPTED", "not one of our invites"),
        (MALLORY, "DECLINED", "not one of our invites"),
    ]
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", row[0]) for row in rows)
    # The UID shortened on the page, whole in its title.
    assert _uid_titles(page.text) == [FOREIGN_UID, "040000008200E00074C5B7101A82E008@outlook.example"]
    assert re.search(r'title="event-7-registration-42[^"]*">event-7-registration-42-0123456…</span>', page.text)
    assert uid not in page.text
    assert '<a href="/console/replies" aria-current="page">' in page.text
    event_rows = _rows((await client.get(f"/console/events/{event_id}", headers={"Accept-Language": "en"})).text)
    assert [(row[1], row[3]) for row in event_rows] == [(MALLORY, "the sender is not the attendee")]


async def test_a_message_without_a_calendar_answer_is_listed_in_italian(client: httpx.AsyncClient, settings: Settings) -> None:
    await process_message(b"From: someone@else.example\r\nMessage-ID: <plain@else.example>\r\nSubject: hi\r\n\r\njust text\r\n", settings)
    await console_login(client)

    page = await _page(client, language="it")

    assert [(row[1], row[4]) for row in _rows(page.text)] == [("someone@else.example", "nessuna risposta di calendario nel messaggio")]
    assert "Risposte che non corrispondono a nessun evento" in page.text


async def test_sender_and_uid_are_text(client: httpx.AsyncClient, settings: Settings) -> None:
    hostile_sender = '"<script>alert(1)</script>"@evil.example'
    hostile_uid = '<script>alert(2)</script>"><img src=x onerror=alert(3)>'
    await process_message(reply_email("outlook", reply_calendar(uid=hostile_uid, attendee=MALLORY), sender=hostile_sender), settings)
    await console_login(client)

    page = await _page(client)

    assert page.status_code == 200
    assert "<script>alert(" not in page.text and "<img src=x" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text
    assert _uid_titles(page.text) == ["&lt;script&gt;alert(2)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(3)&gt;"]
    assert len(_rows(page.text)) == 1


async def test_only_editors_see_the_mailbox(client: httpx.AsyncClient, settings: Settings) -> None:
    await process_message(reply_email("outlook", reply_calendar(uid="stranger@elsewhere.example", attendee=MALLORY), sender=MALLORY), settings)

    anonymous = await _page(client)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/console/login")
    await console_login(client, "checkin")
    refused = await _page(client)
    assert refused.status_code == 403
    assert MALLORY not in refused.text and "stranger@elsewhere" not in refused.text
    assert 'href="/console/replies"' not in (await client.get("/console/checkin")).text

    client.cookies.clear()
    await console_login(client, "admin")
    assert [row[1] for row in _rows((await _page(client)).text)] == [MALLORY]


async def test_pages_back_through_older_replies(client: httpx.AsyncClient, settings: Settings) -> None:
    await InviteReply.insert(
        *(
            InviteReply(message_id=f"<flood-{n}@evil.example>", uid=f"flood-{n}@evil.example", sender=f"flood-{n}@evil.example",
                        partstat="DECLINED", action=ReplyAction.IGNORE, reason=IgnoreReason.UNKNOWN_UID)
            for n in range(UNACTED_SHOWN + 1)
        )
    )
    await console_login(client)

    first = await _page(client)
    senders = [row[1] for row in _rows(first.text)]
    assert len(senders) == UNACTED_SHOWN and senders[0] == f"flood-{UNACTED_SHOWN}@evil.example"
    older = re.search(r'href="/console/replies\?before=(\d+)"', first.text)
    assert older is not None
    second = await _page(client, f"?before={older.group(1)}")
    assert [row[1] for row in _rows(second.text)] == ["flood-0@evil.example"]
    assert not re.search(r"href=\"/console/replies\?before=\d+\"", second.text)

    # A hostile page mark is refused like any invalid query parameter of the console, and says nothing.
    for hostile in ("abc", "0", "-1", "99999999999", "%00"):
        refused = await _page(client, f"?before={hostile}")
        assert refused.status_code in (400, 422), (hostile, refused.status_code)
        assert "flood-" not in refused.text

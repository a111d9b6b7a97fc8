"""Calendar documents: every one is parsed back with icalendar and checked.

Raw-byte checks (CRLF, folding, `Z` suffixes, property counts) look at the
serialised text because a parser forgives exactly the mistakes clients do not.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event

from events_service.calendar.ics import (
    PRODID,
    CalendarEntry,
    build_invite,
    build_publish,
    google_calendar_link,
    outlook_link,
)

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2025, 3, 1, 8, 0, 0, tzinfo=UTC)
ORGANIZER = "events@sme.example"
ATTENDEE = "anna@company.example"

# 2025-03-30 is the spring-forward day in Rome: 02:00 CET jumps to 03:00 CEST,
# so this "two hour" slot on the wall clock lasts one real hour.
DST_START = datetime(2025, 3, 30, 1, 30, tzinfo=ROME)  # CET, UTC+1
DST_END = datetime(2025, 3, 30, 3, 30, tzinfo=ROME)  # CEST, UTC+2

HOSTILE_TEXTS = [
    'Talk: AI; ML, and "quotes" \\ backslash',
    "line one\nATTENDEE:mailto:evil@x\nEND:VEVENT\nBEGIN:VEVENT",
    "semi;colon,comma:colon\\n literal-backslash-n",
    "emoji 🎉🚀 and accents àèìòù ß 漢字",
    "x" * 1_000 + "😀" * 500 + "é" * 500,  # 2,000 characters
    "trailing space and tab\t ",
]


def make_entry(**overrides: object) -> CalendarEntry:
    values: dict[str, object] = {
        "uid": "reg-42.event-7@events.sme.example",
        "sequence": 0,
        "summary": "Tech Talk: Edge AI for SMEs",
        "description": "How small companies use edge AI.",
        "starts_at": datetime(2025, 5, 6, 15, 0, tzinfo=ROME),
        "ends_at": datetime(2025, 5, 6, 16, 30, tzinfo=ROME),
        "location": "Online",
        "url": "https://events.sme.example/events/7",
    }
    values.update(overrides)
    return CalendarEntry(**values)  # type: ignore[arg-type]


def invite(
    entry: CalendarEntry,
    method: str = "REQUEST",
    *,
    attendee_name: str = "Anna Rossi",
    organizer_name: str = "SME Programme",
    **kwargs: object,
) -> bytes:
    return build_invite(
        entry,
        organizer_email=ORGANIZER,
        organizer_name=organizer_name,
        attendee_email=ATTENDEE,
        attendee_name=attendee_name,
        method=method,  # type: ignore[arg-type]
        now=NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def parse(raw: bytes) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(raw)
    events = calendar.events
    assert len(events) == 1
    return calendar, events[0]


def unfolded_lines(raw: bytes) -> list[str]:
    """Content lines after undoing RFC 5545 folding (CRLF + one space)."""
    text = raw.decode("utf-8").replace("\r\n ", "").replace("\r\n\t", "")
    return [line for line in text.split("\r\n") if line]


def property_names(raw: bytes) -> list[str]:
    # A name ends at the first ';' (parameters) or ':' (value); the values
    # checked here never contain either before the name ends.
    names = []
    for line in unfolded_lines(raw):
        cut = min(i for i in (line.find(";"), line.find(":"), len(line)) if i >= 0)
        names.append(line[:cut])
    return names


def raw_value(raw: bytes, name: str) -> list[str]:
    return [
        line.split(":", 1)[1]
        for line in unfolded_lines(raw)
        if line.startswith((f"{name}:", f"{name};"))
    ]


def decode_text(value: str) -> str:
    """Undo RFC 5545 TEXT escaping (section 3.3.11), as a client would."""
    return re.sub(
        r"\\([\\;,nN])",
        lambda m: "\n" if m.group(1) in "nN" else m.group(1),
        value,
    )


# --- iTIP REQUEST ------------------------------------------------------------


def test_request_has_every_itip_required_property() -> None:
    calendar, event = parse(invite(make_entry(sequence=3)))

    assert calendar["METHOD"] == "REQUEST"
    assert calendar["PRODID"] == PRODID
    assert calendar["VERSION"] == "2.0"
    for name in ("ORGANIZER", "DTSTAMP", "DTSTART", "DTEND", "UID", "SUMMARY", "SEQUENCE"):
        assert name in event, name
    assert len(event.attendees) >= 1
    assert event.uid == "reg-42.event-7@events.sme.example"
    assert event.sequence == 3
    assert event["SUMMARY"] == "Tech Talk: Edge AI for SMEs"
    assert event["DESCRIPTION"] == "How small companies use edge AI."
    assert event["LOCATION"] == "Online"
    assert event["URL"] == "https://events.sme.example/events/7"
    assert event["STATUS"] == "CONFIRMED"
    assert event.DTSTAMP == NOW


def test_request_organizer_and_attendee_parameters() -> None:
    _, event = parse(invite(make_entry()))

    organizer = event["ORGANIZER"]
    assert str(organizer) == f"mailto:{ORGANIZER}"
    assert organizer.params["CN"] == "SME Programme"
    (attendee,) = event.attendees
    assert str(attendee) == f"mailto:{ATTENDEE}"
    assert attendee.params["CN"] == "Anna Rossi"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    # The invite asks for an answer: Outlook/Gmail show Accept/Decline and send a REPLY back.
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "TRUE"


def test_cancel_asks_for_no_reply() -> None:
    _, event = parse(invite(make_entry(sequence=1, status="CANCELLED"), "CANCEL"))

    (attendee,) = event.attendees
    assert attendee.params["RSVP"] == "FALSE"


def test_request_has_display_alarm_before_start() -> None:
    _, event = parse(invite(make_entry(), alarm_minutes=30))

    alarms = event.walk("VALARM")
    assert len(alarms) == 1
    assert alarms[0]["ACTION"] == "DISPLAY"
    assert alarms[0]["DESCRIPTION"] == "Tech Talk: Edge AI for SMEs"
    trigger = alarms[0].TRIGGER
    assert trigger == timedelta(minutes=-30)


def test_request_without_alarm_when_disabled() -> None:
    _, event = parse(invite(make_entry(), alarm_minutes=None))
    assert event.walk("VALARM") == []


def test_request_rejects_a_cancelled_entry() -> None:
    with pytest.raises(ValueError, match="CANCEL"):
        invite(make_entry(status="CANCELLED"), "REQUEST")


def test_output_is_reproducible_for_the_same_input() -> None:
    # No random calendar-level UID: equal input gives equal bytes.
    entry = make_entry()
    assert invite(entry) == invite(entry)
    assert b"\r\nUID:" in invite(entry)
    calendar, _ = parse(invite(entry))
    assert "UID" not in calendar


# --- iTIP CANCEL and the lifecycle of one UID ----------------------------------


def test_cancel_keeps_uid_raises_sequence_and_cancels() -> None:
    entry = make_entry(sequence=1)
    _, request = parse(invite(entry))
    calendar, cancel = parse(invite(replace(entry, sequence=2), "CANCEL"))

    assert calendar["METHOD"] == "CANCEL"
    assert cancel.uid == request.uid
    assert cancel.sequence > request.sequence
    assert cancel["STATUS"] == "CANCELLED"
    assert str(cancel["ORGANIZER"]) == f"mailto:{ORGANIZER}"
    assert [str(a) for a in cancel.attendees] == [f"mailto:{ATTENDEE}"]
    assert "DTSTAMP" in cancel
    assert cancel.walk("VALARM") == []


def test_uid_stable_and_sequence_increasing_over_request_update_cancel() -> None:
    original = make_entry(sequence=0)
    moved = replace(
        original,
        sequence=1,
        starts_at=original.starts_at + timedelta(days=1),
        ends_at=original.ends_at + timedelta(days=1),
        location="Aula Magna, Lugano",
    )
    cancelled = replace(moved, sequence=2)

    documents = [invite(original), invite(moved), invite(cancelled, "CANCEL")]
    parsed = [parse(raw) for raw in documents]

    assert [cal["METHOD"] for cal, _ in parsed] == ["REQUEST", "REQUEST", "CANCEL"]
    assert len({event.uid for _, event in parsed}) == 1
    sequences = [event.sequence for _, event in parsed]
    assert sequences == sorted(set(sequences))  # strictly increasing
    assert parsed[1][1].start == moved.starts_at
    assert parsed[2][1]["STATUS"] == "CANCELLED"


# --- PUBLISH -----------------------------------------------------------------


def test_publish_feed_properties_and_one_vevent_per_entry() -> None:
    entries = [make_entry(uid=f"event-{i}@sme.example", summary=f"Talk {i}") for i in range(3)]
    entries.append(make_entry(uid="event-gone@sme.example", status="CANCELLED"))
    raw = build_publish(entries, calendar_name="Tech Talks", refresh_minutes=90, now=NOW)
    calendar = Calendar.from_ical(raw)

    assert calendar["METHOD"] == "PUBLISH"
    assert calendar["X-WR-CALNAME"] == "Tech Talks"
    assert calendar.refresh_interval == timedelta(minutes=90)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert raw_value(raw, "REFRESH-INTERVAL") == ["PT90M"]
    assert raw_value(raw, "X-PUBLISHED-TTL") == ["PT90M"]
    assert [e.uid for e in calendar.events] == [e.uid for e in entries]
    assert [e["STATUS"] for e in calendar.events] == ["CONFIRMED"] * 3 + ["CANCELLED"]
    names = property_names(raw)
    assert "ATTENDEE" not in names
    assert "ORGANIZER" not in names
    assert "BEGIN:VALARM" not in unfolded_lines(raw)
    assert all(event.DTSTAMP == NOW for event in calendar.events)


def test_publish_of_no_entries_is_still_a_valid_calendar() -> None:
    calendar = Calendar.from_ical(build_publish([], calendar_name="Empty", now=NOW))
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar.events == []


def test_publish_rejects_non_positive_refresh() -> None:
    with pytest.raises(ValueError, match="refresh_minutes"):
        build_publish([make_entry()], calendar_name="x", refresh_minutes=0)


# --- time: UTC with Z, across the DST change ----------------------------------


@pytest.mark.parametrize("method", ["REQUEST", "CANCEL", "PUBLISH"])
def test_times_are_utc_with_z_across_dst_change(method: str) -> None:
    entry = make_entry(
        starts_at=DST_START,
        ends_at=DST_END,
        last_modified=datetime(2025, 3, 1, 10, 0, tzinfo=ROME),
    )
    if method == "PUBLISH":
        raw = build_publish([entry], calendar_name="Feed", now=NOW)
    else:
        raw = invite(entry, method)
    _, event = parse(raw)

    assert raw_value(raw, "DTSTART") == ["20250330T003000Z"]
    assert raw_value(raw, "DTEND") == ["20250330T013000Z"]
    assert raw_value(raw, "DTSTAMP") == ["20250301T080000Z"]
    assert raw_value(raw, "LAST-MODIFIED") == ["20250301T090000Z"]
    assert b"TZID" not in raw
    assert b"VTIMEZONE" not in raw
    assert event.start == DST_START.astimezone(UTC)
    assert event.end == DST_END.astimezone(UTC)
    assert event.end - event.start == timedelta(hours=1)


def test_entry_validation_compares_real_instants_in_the_repeated_hour() -> None:
    # 2025-10-26 02:30 CEST (fold=0) is 00:30Z; 02:15 CET (fold=1) is 01:15Z.
    # Compared by wall clock the end would look earlier than the start.
    start = datetime(2025, 10, 26, 2, 30, tzinfo=ROME, fold=0)
    end = datetime(2025, 10, 26, 2, 15, tzinfo=ROME, fold=1)
    entry = make_entry(starts_at=start, ends_at=end)

    _, event = parse(invite(entry))
    assert event.end - event.start == timedelta(minutes=45)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("starts_at", datetime(2025, 5, 6, 15, 0)),  # noqa: DTZ001 - naive on purpose
        ("ends_at", datetime(2025, 5, 6, 16, 0)),  # noqa: DTZ001
        ("last_modified", datetime(2025, 5, 1, 9, 0)),  # noqa: DTZ001
    ],
)
def test_entry_rejects_naive_datetimes(field: str, value: datetime) -> None:
    with pytest.raises(ValueError, match=field):
        make_entry(**{field: value})


def test_entry_rejects_end_not_after_start() -> None:
    start = datetime(2025, 5, 6, 15, 0, tzinfo=ROME)
    with pytest.raises(ValueError, match="after"):
        make_entry(starts_at=start, ends_at=start)


def test_invite_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="now"):
        build_invite(
            make_entry(),
            organizer_email=ORGANIZER,
            organizer_name="x",
            attendee_email=ATTENDEE,
            attendee_name="y",
            method="REQUEST",
            now=datetime(2025, 1, 1),  # noqa: DTZ001 - naive on purpose
        )


def test_default_dtstamp_is_the_current_utc_time() -> None:
    before = datetime.now(UTC).replace(microsecond=0)
    raw = build_invite(
        make_entry(),
        organizer_email=ORGANIZER,
        organizer_name="x",
        attendee_email=ATTENDEE,
        attendee_name="y",
        method="REQUEST",
    )
    after = datetime.now(UTC)
    _, event = parse(raw)
    assert before <= event.DTSTAMP <= after
    assert raw_value(raw, "DTSTAMP")[0].endswith("Z")


# --- wire format: CRLF and folding --------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_crlf_everywhere_and_lines_fold_at_75_octets(text: str) -> None:
    entry = make_entry(summary=text, description=text, location=text)
    documents = [
        invite(entry, attendee_name=text),
        invite(replace(entry, sequence=1), "CANCEL", attendee_name=text),
        build_publish([entry], calendar_name=text, now=NOW),
    ]
    for raw in documents:
        assert raw.endswith(b"\r\n")
        assert b"\n" not in raw.replace(b"\r\n", b"")  # no bare LF
        assert b"\r" not in raw.replace(b"\r\n", b"")  # no bare CR
        for line in raw.split(b"\r\n"):
            assert len(line) <= 75, line
            line.decode("utf-8")  # folding never splits a multi-byte character


# --- hostile text -------------------------------------------------------------


@pytest.mark.parametrize("text", HOSTILE_TEXTS)
def test_hostile_text_round_trips_and_adds_no_property(text: str) -> None:
    benign = make_entry(
        summary="benign", description="benign", location="benign", categories=("benign",)
    )
    hostile = replace(benign, summary=text, description=text, location=text, categories=(text,))

    for build in (
        lambda e: invite(e),
        lambda e: build_publish([e], calendar_name="Feed", now=NOW),
    ):
        raw = build(hostile)
        _, event = parse(raw)
        assert event["SUMMARY"] == text
        assert event["DESCRIPTION"] == text
        assert event["LOCATION"] == text
        assert event.categories == [text]
        assert property_names(raw) == property_names(build(benign))


def test_hostile_calendar_name_is_escaped_and_flattened() -> None:
    name = 'Feed\r\nX-INJECTED:1; a,b "q" \\ 🎉'
    raw = build_publish([make_entry()], calendar_name=name, now=NOW)
    calendar = Calendar.from_ical(raw)

    assert "X-INJECTED" not in property_names(raw)
    assert property_names(raw).count("X-WR-CALNAME") == 1
    # icalendar 7.3 parses X-WR-CALNAME/NAME as vUnknown (kept escaped), so
    # decode them as TEXT the way calendar clients do.
    for prop in ("X-WR-CALNAME", "NAME"):
        assert raw_value(raw, prop) == ['Feed X-INJECTED:1\\; a\\,b "q" \\\\ 🎉']
        assert decode_text(calendar[prop]) == 'Feed X-INJECTED:1; a,b "q" \\ 🎉'


def test_crlf_and_control_characters_are_normalised() -> None:
    # iCalendar TEXT has one newline escape and forbids control characters.
    text = "a\r\nATTENDEE:mailto:evil@x\rb\x00c\x1bd\x7fe\tf"
    raw = invite(make_entry(summary=text))
    _, event = parse(raw)
    assert event["SUMMARY"] == "a\nATTENDEE:mailto:evil@x\nbcde\tf"
    assert property_names(raw).count("ATTENDEE") == 1


@pytest.mark.parametrize(("description", "location"), [("", None), ("", ""), ("\x00\x01", "\x1b")])
def test_empty_description_and_location_are_left_out(
    description: str, location: str | None
) -> None:
    # Text that is empty once control characters go must not leave "DESCRIPTION:".
    raw = invite(make_entry(description=description, location=location, url=None))
    names = property_names(raw)
    _, event = parse(raw)
    assert "LOCATION" not in event
    assert "URL" not in event
    # The only DESCRIPTION left is the alarm's text.
    assert "DESCRIPTION" not in event
    assert names.count("DESCRIPTION") == 1


@pytest.mark.parametrize(
    "name",
    [
        'Anna "The Boss" Rossi',
        "Anna\r\nATTENDEE:mailto:evil@x",
        'Anna";RSVP=TRUE:mailto:evil@x\nATTENDEE;CN="Evil',
        "Rossi, Anna; Dr.: CEO",
        "Anna\nORGANIZER:mailto:evil@x",
        "^caret^ 😀 " + "n" * 2_000,
    ],
)
def test_attendee_name_injection_cannot_add_a_property(name: str) -> None:
    raw = invite(make_entry(), attendee_name=name, organizer_name=name)
    names = property_names(raw)
    assert names.count("ATTENDEE") == 1
    assert names.count("ORGANIZER") == 1
    assert names == property_names(invite(make_entry()))

    _, event = parse(raw)
    (attendee,) = event.attendees
    assert str(attendee) == f"mailto:{ATTENDEE}"
    assert str(event["ORGANIZER"]) == f"mailto:{ORGANIZER}"
    expected_cn = " ".join(name.replace('"', "").split())
    for address in (attendee, event["ORGANIZER"]):
        cn = address.params["CN"]
        assert cn == expected_cn
        assert '"' not in cn
        assert "\n" not in cn
        assert "\r" not in cn
    # Ours, not the name's: the injected `RSVP=TRUE` stays inside the quoted CN.
    assert (attendee.params["RSVP"], attendee.params["PARTSTAT"]) == ("TRUE", "NEEDS-ACTION")
    assert set(attendee.params) == {"CN", "ROLE", "PARTSTAT", "RSVP"}
    # Clients without RFC 6868 would show ^' and ^n literally.
    assert b"^'" not in raw
    assert b"^n" not in raw


def test_blank_attendee_name_omits_cn() -> None:
    _, event = parse(invite(make_entry(), attendee_name=' "\r\n" '))
    (attendee,) = event.attendees
    assert "CN" not in attendee.params


@pytest.mark.parametrize(
    "email",
    [
        "anna@x.example\r\nATTENDEE:mailto:evil@x",
        'anna"@x.example',
        "anna@x.example;RSVP=TRUE",
        "anna x@example",
        "not-an-address",
        "",
    ],
)
def test_unusable_attendee_email_is_rejected(email: str) -> None:
    with pytest.raises(ValueError, match="e-mail"):
        build_invite(
            make_entry(),
            organizer_email=ORGANIZER,
            organizer_name="x",
            attendee_email=email,
            attendee_name="y",
            method="REQUEST",
            now=NOW,
        )


def test_url_with_line_break_is_refused_not_written() -> None:
    entry = make_entry(url="https://x.example/\r\nATTENDEE:mailto:evil@x")
    with pytest.raises(ValueError, match="CR or LF"):
        invite(entry)


# --- web "add to calendar" links ----------------------------------------------


def query_of(link: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(link)
    query = parse_qs(parts.query, keep_blank_values=True, strict_parsing=True)
    assert all(len(values) == 1 for values in query.values())
    return f"{parts.scheme}://{parts.netloc}{parts.path}", {
        key: values[0] for key, values in query.items()
    }


LINK_TEXT = 'Talk & Q&A = 100% "AI" #1 + more?\nline two 🎉'


def test_google_link_parses_back_to_the_entry() -> None:
    entry = make_entry(
        summary=LINK_TEXT,
        description=LINK_TEXT,
        location="Via Roma 1, Milano",
        starts_at=DST_START,
        ends_at=DST_END,
    )
    base, query = query_of(google_calendar_link(entry))

    assert base == "https://calendar.google.com/calendar/render"
    assert query["action"] == "TEMPLATE"
    assert query["text"] == LINK_TEXT
    assert query["dates"] == "20250330T003000Z/20250330T013000Z"
    assert query["details"] == f"{LINK_TEXT}\n\n{entry.url}"
    assert query["location"] == "Via Roma 1, Milano"
    link = google_calendar_link(entry)
    assert " " not in link
    assert "+" not in urlsplit(link).query  # quote (%20), not quote_plus (+)


def test_outlook_link_parses_back_to_the_entry() -> None:
    entry = make_entry(
        summary=LINK_TEXT,
        description=LINK_TEXT,
        location="Via Roma 1, Milano",
        starts_at=DST_START,
        ends_at=DST_END,
    )
    link = outlook_link(entry)
    base, query = query_of(link)

    assert base == "https://outlook.live.com/calendar/0/deeplink/compose"
    assert query["path"] == "/calendar/action/compose"
    assert query["rru"] == "addevent"
    assert query["subject"] == LINK_TEXT
    assert query["startdt"] == "2025-03-30T00:30:00Z"
    assert query["enddt"] == "2025-03-30T01:30:00Z"
    assert datetime.fromisoformat(query["startdt"]) == DST_START
    assert query["body"] == f"{LINK_TEXT}\n\n{entry.url}"
    assert query["location"] == "Via Roma 1, Milano"
    assert "+" not in urlsplit(link).query  # quote, not quote_plus


def test_links_omit_missing_location_and_url() -> None:
    entry = make_entry(location=None, url=None, description="Just text")
    for link, body_key in ((google_calendar_link(entry), "details"), (outlook_link(entry), "body")):
        _, query = query_of(link)
        assert "location" not in query
        assert query[body_key] == "Just text"

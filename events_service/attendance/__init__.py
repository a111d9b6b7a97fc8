"""Attendance: check-in at the door, and webinar reports (a file, or a platform's API).

Every source of webinar attendance ends in one function, ``service.merge_report``::

    from events_service.attendance.parsers import Interval, ParsedReport, Participant
    from events_service.attendance.service import merge_report

    report = ParsedReport(
        platform="zoom",                     # "zoom" | "teams" | "webex"
        rows=len(records),                   # rows (records) read from the source
        participants=[Participant(name="Anna Bianchi", email="anna@x.example",
                                  intervals=[Interval(joined_utc, left_utc)])],
        errors=[],                           # "line N: why" for records that could not be used
    )
    result = await merge_report(event_id, report)   # -> schemas.AttendanceImportResult

A file import parses with ``parsers.parse_report`` and calls it; an API pull builds the same
record from the platform's answer. Idempotent: the same participants merged again add nothing.
"""

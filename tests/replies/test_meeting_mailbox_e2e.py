"""The expert meeting's whole loop with real parts, both engines: book over HTTP → both sides'
meeting invites arrive at the SMTP sink (aiosmtpd) asking for an answer → the registrant's
Outlook Decline is APPENDed into a real Dovecot mailbox → the worker's job reads it with
aioimaplib → the meeting is cancelled, its slot free at once, and the CANCEL reaches both
sides (the expert included); the message is moved to Processed."""

from __future__ import annotations

import httpx

from events_service.experts.tables import ExpertMeeting
from events_service.replies.mailbox import PROCESSED_FOLDER, read_replies
from events_service.replies.tables import InviteReply
from events_service.settings import Settings
from tests.calendar.conftest import Mailbox
from tests.replies.shapes import reply_calendar, reply_email
from tests.replies.test_mailbox_e2e import _count, _deliver, dovecot, reading
from tests.replies.test_meeting_replies import ELENA, LUCA, _booked, _free_slot_ids
from tests.support.imap import DovecotServer
from tests.support.smtp import SmtpSink

__all__ = ["dovecot", "reading"]


async def test_decline_of_a_meeting_in_the_mailbox_cancels_it_and_tells_the_expert(
    client: httpx.AsyncClient, organiser: dict[str, str], reading: Settings, sink: SmtpSink, dovecot: DovecotServer
) -> None:
    booked = await _booked(client, organiser)
    mailbox = Mailbox(reading, sink)
    meeting_invites = {mail.to: mail for mail in await mailbox.dispatch() if str(mail.vevent["UID"]).startswith("meeting-")}
    assert set(meeting_invites) == {LUCA, ELENA}
    for address, mail in meeting_invites.items():
        assert mail.method == "REQUEST"
        attendee = mail.vevent["ATTENDEE"]
        assert (str(attendee), attendee.params["RSVP"], attendee.params["PARTSTAT"]) == (f"mailto:{address}", "TRUE", "NEEDS-ACTION")
        assert str(mail.vevent["ORGANIZER"]) == f"mailto:{reading.organizer_address}"
    uid = str(meeting_invites[LUCA].vevent["UID"])
    assert uid == booked.uid
    assert str(meeting_invites[ELENA].vevent["UID"]) == uid
    assert booked.slot_id not in await _free_slot_ids(client, booked.event_id)

    await _deliver(dovecot, reply_email("outlook", reply_calendar(uid=uid, attendee=LUCA), sender=LUCA, subject="Declined: Meeting"))
    assert await read_replies(reading) == 1

    meeting = await ExpertMeeting.select(ExpertMeeting.status, ExpertMeeting.rsvp).where(ExpertMeeting.id == booked.meeting_id).first()
    assert meeting == {"status": "cancelled", "rsvp": "declined"}
    assert booked.slot_id in await _free_slot_ids(client, booked.event_id)  # free at once
    cancels = {mail.to: mail for mail in await mailbox.dispatch()}
    assert set(cancels) == {LUCA, ELENA}
    for mail in cancels.values():
        assert mail.method == "CANCEL"
        assert (str(mail.vevent["UID"]), int(mail.vevent["SEQUENCE"]), str(mail.vevent["STATUS"])) == (uid, 1, "CANCELLED")
    assert (await _count(dovecot, "INBOX"), await _count(dovecot, PROCESSED_FOLDER)) == (0, 1)
    (logged,) = await InviteReply.select(InviteReply.action, InviteReply.meeting)
    assert logged == {"action": "cancel", "meeting": booked.meeting_id}
    assert await read_replies(reading) == 0  # the next round finds nothing new

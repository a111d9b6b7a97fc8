"""Answers to our invites read from the organiser mailbox (issue 19): a Decline frees the seat,
Accept/Tentative are recorded, anything else is listed with the reason."""

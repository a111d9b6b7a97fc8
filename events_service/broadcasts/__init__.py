"""Messages from the organisers to an event's registrants (a room change, the slides link),
by audience, through the outbox: each recipient once per message, and a request repeated with
the same Idempotency-Key makes no second message."""

"""The audit log (API.md "Integrators"): every change to an event, a registration, a company
or an organiser, by whom, written in the same transaction as the change (log.py).

Below the domains, beside mail/ and webhooks/: the domains call `log.record(...)`; who is
acting (actor.py) is set by the HTTP layer for the request and read here, so no service
signature has to carry it."""

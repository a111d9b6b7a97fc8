"""Webhooks (API.md "Integrators"): subscriptions per event type, and deliveries written in
the same transaction as the change they report (outbox.py), delivered by the worker
(delivery.py), signed as the Standard Webhooks specification says (signing.py).

Below the domains, beside mail/: the domains call `outbox.emit(type, data)`; this package
knows no domain."""

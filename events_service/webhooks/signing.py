"""Signing as the Standard Webhooks specification says (standardwebhooks.com): the secret is
`whsec_` + base64 of random bytes; `webhook-signature` is `v1,` +
base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}")), sent beside
`webhook-id` and `webhook-timestamp` (integer seconds). The HMAC is the specification's own
Python library (`standardwebhooks`, maintained by the specification's authors), so what a
receiver verifies with it is what we sign.
"""

from __future__ import annotations

import base64
import secrets
from datetime import UTC, datetime

from standardwebhooks.webhooks import Webhook

SECRET_PREFIX = "whsec_"
#: 32 random bytes (the specification asks for 24 to 64).
SECRET_BYTES = 32


def new_secret() -> str:
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def signed_headers(secret: str, webhook_id: str, at: datetime, body: bytes) -> dict[str, str]:
    """The headers of one attempt: the timestamp is the attempt's, so a retry is signed anew."""
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(int(at.astimezone(UTC).timestamp())),
        "webhook-signature": Webhook(secret).sign(webhook_id, at, body),
        "content-type": "application/json",
    }

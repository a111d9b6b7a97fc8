"""API tokens (API.md "Integrators"): made by an admin, shown once, hashed at rest, with a
role, revocable at once; `Authorization: Bearer evt_…` beside password sign-in."""

from __future__ import annotations

import hashlib

import httpx

from events_service.organisers.tables import ApiToken
from tests.conftest import token_headers


async def _make(client: httpx.AsyncClient, admin: dict[str, str], role: str = "organiser", name: str = "CRM sync") -> dict:
    answer = await client.post("/api/tokens", json={"name": name, "role": role}, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_token_is_shown_once_hashed_at_rest_and_works(client: httpx.AsyncClient) -> None:
    admin = await token_headers(client, "admin")
    made = await _make(client, admin)
    assert made["token"].startswith("evt_")
    assert made["role"] == "organiser"
    listed = (await client.get("/api/tokens", headers=admin)).json()
    assert [t["id"] for t in listed] == [made["id"]]
    assert "token" not in listed[0]
    assert listed[0]["last_used_at"] is None
    stored = await ApiToken.select().where(ApiToken.id == made["id"]).first()
    assert made["token"] not in str(stored)
    assert stored["token_hash"] == hashlib.sha256(made["token"].encode()).hexdigest()

    events = await client.get("/api/events", headers=_bearer(made["token"]))
    assert events.status_code == 200, events.text
    used = (await client.get("/api/tokens", headers=admin)).json()[0]
    assert used["last_used_at"] is not None


async def test_revoked_token_stops_at_once(client: httpx.AsyncClient) -> None:
    admin = await token_headers(client, "admin")
    made = await _make(client, admin)
    assert (await client.get("/api/outbox", headers=_bearer(made["token"]))).status_code == 200
    revoked = await client.delete(f"/api/tokens/{made['id']}", headers=admin)
    assert revoked.status_code == 204
    refused = await client.get("/api/outbox", headers=_bearer(made["token"]))
    assert refused.status_code == 401
    assert "revoked" in refused.json()["detail"]
    listed = (await client.get("/api/tokens", headers=admin)).json()
    assert listed[0]["revoked_at"] is not None
    again = await client.delete(f"/api/tokens/{made['id']}", headers=admin)
    assert again.status_code == 204
    missing = await client.delete("/api/tokens/999999", headers=admin)
    assert missing.status_code == 404


async def test_token_role_is_enforced(client: httpx.AsyncClient) -> None:
    admin = await token_headers(client, "admin")
    checkin = await _make(client, admin, role="checkin", name="door scanner")
    organiser = await _make(client, admin, role="organiser")
    assert (await client.get("/api/events", headers=_bearer(checkin["token"]))).status_code == 403
    # An organiser token is not an admin: it cannot make itself more tokens.
    escalate = await client.post("/api/tokens", json={"name": "more", "role": "admin"}, headers=_bearer(organiser["token"]))
    assert escalate.status_code == 403
    assert len((await client.get("/api/tokens", headers=admin)).json()) == 2


async def test_only_admins_manage_tokens(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    assert (await client.post("/api/tokens", json={"name": "x"}, headers=organiser)).status_code == 403
    assert (await client.get("/api/tokens", headers=organiser)).status_code == 403
    assert (await client.get("/api/tokens")).status_code == 401
    assert (await client.delete("/api/tokens/1", headers=organiser)).status_code == 403


async def test_unknown_and_forged_tokens_are_refused(client: httpx.AsyncClient) -> None:
    admin = await token_headers(client, "admin")
    made = await _make(client, admin)
    for token in ("evt_" + "A" * 43, made["token"] + "x", made["token"][:-1], "evt_", "evt_" + "x" * 5000, "evt_\u00e9\u00e9"):
        answer = await client.get("/api/events", headers={"Authorization": f"Bearer {token}".encode()})
        assert answer.status_code == 401, (token[:20], answer.text)


async def test_hostile_token_requests_write_nothing(client: httpx.AsyncClient) -> None:
    admin = await token_headers(client, "admin")
    for body in ({"name": ""}, {"name": "x" * 201}, {"name": "a\nb"}, {"name": "x", "role": "root"}, {"name": "x", "extra": 1}, {}):
        answer = await client.post("/api/tokens", json=body, headers=admin)
        assert answer.status_code in (400, 422), (body, answer.text)
    assert await ApiToken.count() == 0

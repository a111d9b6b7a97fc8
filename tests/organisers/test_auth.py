import httpx

from events_service.organisers.service import create_organiser
from tests.conftest import token_headers
from tests.factories import event_payload


async def test_token_for_right_credentials_and_401_for_wrong(client: httpx.AsyncClient) -> None:
    await create_organiser("Lucia.Verdi@Programme.example", "Lucia Verdi", "a long password", "organiser")
    good = await client.post("/api/auth/token", json={"email": "lucia.verdi@programme.example", "password": "a long password"})
    assert good.status_code == 200
    assert good.json()["token_type"] == "bearer"
    assert good.json()["access_token"].count(".") == 2

    wrong_password = await client.post("/api/auth/token", json={"email": "lucia.verdi@programme.example", "password": "nope"})
    unknown_email = await client.post("/api/auth/token", json={"email": "nobody@programme.example", "password": "a long password"})
    assert wrong_password.status_code == 401
    assert unknown_email.status_code == 401
    assert wrong_password.json()["detail"] == unknown_email.json()["detail"]


async def test_api_requires_a_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/companies")).status_code == 401
    assert (await client.get("/api/events", headers={"Authorization": "Bearer not.a.token"})).status_code == 401
    assert (await client.get("/api/public/events")).status_code == 200


async def test_checkin_role_may_not_create_events_or_companies(client: httpx.AsyncClient) -> None:
    headers = await token_headers(client, "checkin")
    assert (await client.post("/api/events", json=event_payload(), headers=headers)).status_code == 403
    answer = await client.post("/api/companies", json={"name": "X", "vat_id": "IT00000000000", "country": "IT"}, headers=headers)
    assert answer.status_code == 403
    assert "checkin" in answer.json()["detail"]


async def test_admin_may_do_what_organisers_do(client: httpx.AsyncClient) -> None:
    headers = await token_headers(client, "admin")
    assert (await client.post("/api/events", json=event_payload(), headers=headers)).status_code == 201


async def test_openapi_document_is_served(client: httpx.AsyncClient) -> None:
    answer = await client.get("/schema/openapi.json")
    assert answer.status_code == 200
    paths = answer.json()["paths"]
    assert "/api/events" in paths
    assert "/api/auth/token" in paths

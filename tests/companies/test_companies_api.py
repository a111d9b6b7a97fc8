import httpx

from events_service.companies.tables import Company
from tests.factories import partita_iva, swiss_uid


async def test_create_normalises_italian_and_swiss_vat_ids(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    vat = partita_iva(42)
    spaced = f"it {vat[2:5]} {vat[5:]}"
    answer = await client.post(
        "/api/companies",
        json={"name": "Meccanica Lariana Srl", "vat_id": spaced, "country": "IT", "region": "LC", "size_class": "small"},
        headers=organiser,
    )
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["vat_id"] == vat
    assert body["region"] == "LC"
    assert body["size_class"] == "small"

    swiss = swiss_uid(7)
    compact = swiss.replace("-", "").replace(".", "").lower()
    answer = await client.post("/api/companies", json={"name": "Ticino Robotics SA", "vat_id": compact, "country": "CH"}, headers=organiser)
    assert answer.status_code == 201, answer.text
    assert answer.json()["vat_id"] == swiss


async def test_invalid_vat_id_is_422_and_writes_nothing(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    vat = partita_iva(42)
    wrong_check_digit = vat[:-1] + str((int(vat[-1]) + 1) % 10)
    cases = [
        {"name": "A", "vat_id": wrong_check_digit, "country": "IT"},
        {"name": "B", "vat_id": "CHE-116.281.711", "country": "CH"},
        {"name": "C", "vat_id": vat, "country": "CH"},
        {"name": "D", "vat_id": "DE136695976", "country": "IT"},
        {"name": "E", "vat_id": "12345", "country": "US"},
        {"name": "", "vat_id": vat, "country": "IT"},
        {"name": "F", "vat_id": vat, "country": "IT", "size_class": "huge"},
        {"name": "G", "vat_id": vat, "country": "IT", "unknown": 1},
    ]
    for payload in cases:
        answer = await client.post("/api/companies", json=payload, headers=organiser)
        assert answer.status_code == 422, (payload, answer.text)
        assert answer.json()["detail"], payload
    assert await Company.count() == 0


async def test_eu_vat_id_validated_through_eu_module(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    answer = await client.post("/api/companies", json={"name": "Bayern GmbH", "vat_id": "DE 136 695 976", "country": "DE"}, headers=organiser)
    assert answer.status_code == 201
    assert answer.json()["vat_id"] == "DE136695976"


async def test_duplicate_vat_id_is_409_even_when_spelt_differently(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    vat = partita_iva(99)
    first = await client.post("/api/companies", json={"name": "One", "vat_id": vat, "country": "IT"}, headers=organiser)
    assert first.status_code == 201
    again = await client.post("/api/companies", json={"name": "Two", "vat_id": vat[2:], "country": "it"}, headers=organiser)
    assert again.status_code == 409
    assert str(first.json()["id"]) in again.json()["detail"]
    assert await Company.count() == 1


async def test_find_read_and_patch(client: httpx.AsyncClient, organiser: dict[str, str]) -> None:
    ids = []
    for n, name in enumerate(["Alfa Plast", "Beta Legno", "Gamma Plastica"]):
        answer = await client.post("/api/companies", json={"name": name, "vat_id": partita_iva(n), "country": "IT"}, headers=organiser)
        ids.append(answer.json()["id"])
    found = await client.get("/api/companies", params={"q": "plast"}, headers=organiser)
    assert [c["name"] for c in found.json()] == ["Alfa Plast", "Gamma Plastica"]
    by_vat = await client.get("/api/companies", params={"q": partita_iva(1)[2:]}, headers=organiser)
    assert [c["name"] for c in by_vat.json()] == ["Beta Legno"]

    read = await client.get(f"/api/companies/{ids[0]}", headers=organiser)
    assert read.status_code == 200
    assert read.json()["name"] == "Alfa Plast"
    assert (await client.get("/api/companies/999999", headers=organiser)).status_code == 404

    patched = await client.patch(f"/api/companies/{ids[0]}", json={"region": "CO", "sector": "plastics"}, headers=organiser)
    assert patched.status_code == 200
    assert patched.json()["region"] == "CO"
    assert patched.json()["name"] == "Alfa Plast"

    taken = await client.patch(f"/api/companies/{ids[0]}", json={"vat_id": partita_iva(1)}, headers=organiser)
    assert taken.status_code == 409
    bad = await client.patch(f"/api/companies/{ids[0]}", json={"vat_id": "IT123"}, headers=organiser)
    assert bad.status_code == 422
    unchanged = await client.get(f"/api/companies/{ids[0]}", headers=organiser)
    assert unchanged.json()["vat_id"] == partita_iva(0)
    assert (await client.get("/api/companies", params={"limit": 0}, headers=organiser)).status_code in (400, 422)

"""Organisers in the console (issue 16, item 8): an admin creates, disables and re-roles
accounts; anyone changes their own password; a forgotten password is reset through an
emailed, single-use, expiring link. Over HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import httpx

from events_service.audit.tables import AuditEntry
from events_service.clock import now_utc
from events_service.mail.tables import OutboxMessage
from events_service.organisers.tables import Organiser, PasswordReset
from tests.web.support import PASSWORD, console_login, post_form

NEW_PASSWORD = "a much better passphrase"


async def _bearer(client: httpx.AsyncClient, address: str, password: str) -> httpx.Response:
    return await client.post("/api/auth/token", json={"email": address, "password": password})


async def _id_of(address: str) -> int:
    return (await Organiser.select(Organiser.id).where(Organiser.email == address).first())["id"]


async def _create(client: httpx.AsyncClient, address: str, role: str = "organiser") -> httpx.Response:
    return await post_form(
        client, "/console/organisers", {"name": "Giulia Neri", "email": address, "password": PASSWORD, "role": role}, page="/console/organisers"
    )


async def test_admin_creates_re_roles_disables_and_enables(client: httpx.AsyncClient) -> None:
    admin = await console_login(client, "admin")
    made = await _create(client, "giulia.neri@programme.example")
    assert made.status_code == 303
    listing = await client.get("/console/organisers")
    assert "giulia.neri@programme.example" in listing.text
    token = (await _bearer(client, "giulia.neri@programme.example", PASSWORD)).json()["access_token"]
    her = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/events", headers=her)).status_code == 200
    giulia = await _id_of("giulia.neri@programme.example")

    assert (await post_form(client, f"/console/organisers/{giulia}/role", {"role": "checkin"}, page="/console/organisers")).status_code == 303
    assert (await client.get("/api/events", headers=her)).status_code == 403  # the role counts at once

    assert (await post_form(client, f"/console/organisers/{giulia}/disable", {}, page="/console/organisers")).status_code == 303
    assert (await client.get("/api/events", headers=her)).status_code == 401  # her token stops at once
    assert (await _bearer(client, "giulia.neri@programme.example", PASSWORD)).status_code == 401
    assert (await post_form(client, f"/console/organisers/{giulia}/enable", {}, page="/console/organisers")).status_code == 303
    assert (await _bearer(client, "giulia.neri@programme.example", PASSWORD)).status_code == 200

    actions = [row["action"] for row in await AuditEntry.select(AuditEntry.action).where(
        (AuditEntry.entity == "organiser") & (AuditEntry.entity_id == giulia)).order_by(AuditEntry.id)]
    assert actions == ["created", "role_changed", "disabled", "enabled"]
    me = await _id_of(admin)
    actors = {row["actor"] for row in await AuditEntry.select(AuditEntry.actor).where(AuditEntry.entity_id == giulia)}
    assert actors == {f"organiser:{me}"}


async def test_admins_cannot_lock_the_programme_out(client: httpx.AsyncClient) -> None:
    admin = await console_login(client, "admin")
    me = await _id_of(admin)
    refused = await post_form(client, f"/console/organisers/{me}/disable", {}, page="/console/organisers")
    assert refused.status_code == 409
    demoted = await post_form(client, f"/console/organisers/{me}/role", {"role": "organiser"}, page="/console/organisers")
    assert demoted.status_code == 409
    assert (await Organiser.select(Organiser.role).where(Organiser.id == me).first())["role"] == "admin"
    bad_role = await post_form(client, f"/console/organisers/{me}/role", {"role": "root"}, page="/console/organisers")
    assert bad_role.status_code == 422
    duplicate = await _create(client, admin)
    assert duplicate.status_code == 409
    short = await post_form(client, "/console/organisers", {"name": "X", "email": "x@programme.example", "password": "short", "role": "organiser"})
    assert short.status_code == 422
    assert await Organiser.count() == 1


async def test_only_admins_manage_accounts(client: httpx.AsyncClient) -> None:
    await console_login(client, "organiser")
    assert (await client.get("/console/organisers")).status_code == 403
    refused = await post_form(client, "/console/organisers", {"name": "X", "email": "x@programme.example", "password": PASSWORD}, page="/console")
    assert refused.status_code == 403
    assert await Organiser.count() == 1


async def test_anyone_changes_their_own_password(client: httpx.AsyncClient) -> None:
    me = await console_login(client, "checkin")
    page = "/console/account/password"
    wrong = await post_form(client, page, {"current_password": "not it", "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}, page=page)
    assert wrong.status_code == 422
    differ = await post_form(client, page, {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": "other"}, page=page)
    assert differ.status_code == 422
    changed = await post_form(client, page, {"current_password": PASSWORD, "new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}, page=page)
    assert changed.status_code == 303
    assert (await _bearer(client, me, PASSWORD)).status_code == 401
    assert (await _bearer(client, me, NEW_PASSWORD)).status_code == 200


def _reset_link(message: str) -> str:
    parsed = email.message_from_string(message, policy=email.policy.default)
    text = parsed.get_body(("plain",)).get_content()
    return re.search(r"http://events\.test(/console/password-reset/\S+)", text).group(1)


async def test_forgotten_password_is_reset_once_through_an_emailed_link(client: httpx.AsyncClient) -> None:
    page = "/console/password-reset"
    unknown = await post_form(client, page, {"email": "nobody@programme.example"}, page=page)
    await console_login(client, "organiser")
    client.cookies.clear()
    address = (await Organiser.select(Organiser.email).first())["email"]
    known = await post_form(client, page, {"email": address.upper()}, page=page)
    assert unknown.status_code == known.status_code == 200
    assert 'id="reset-sent"' in unknown.text
    assert 'id="reset-sent"' in known.text
    mails = await OutboxMessage.select().where(OutboxMessage.kind == "password_reset")
    assert len(mails) == 1
    assert mails[0]["to_address"] == address
    link = _reset_link(mails[0]["message"])

    form = await client.get(link)
    assert form.status_code == 200
    differ = await post_form(client, link, {"new_password": NEW_PASSWORD, "new_password_again": "nope"}, page=link)
    assert differ.status_code == 422
    done = await post_form(client, link, {"new_password": NEW_PASSWORD, "new_password_again": NEW_PASSWORD}, page=link)
    assert done.status_code == 303
    assert (await _bearer(client, address, NEW_PASSWORD)).status_code == 200
    again = await post_form(client, link, {"new_password": "yet another password", "new_password_again": "yet another password"})
    assert again.status_code == 422  # single use
    assert (await client.get(link)).status_code == 410
    assert (await _bearer(client, address, NEW_PASSWORD)).status_code == 200

    # A link past its hour no longer works; a newer link makes the older one useless.
    await post_form(client, page, {"email": address}, page=page)
    await post_form(client, page, {"email": address}, page=page)
    mails = await OutboxMessage.select().where(OutboxMessage.kind == "password_reset").order_by(OutboxMessage.id)
    older, newer = _reset_link(mails[1]["message"]), _reset_link(mails[2]["message"])
    assert (await client.get(older)).status_code == 410
    await PasswordReset.update({PasswordReset.expires_at: now_utc() - timedelta(minutes=1)}).where(PasswordReset.used_at.is_null())
    expired = await post_form(client, newer, {"new_password": "too late password", "new_password_again": "too late password"})
    assert expired.status_code == 422
    assert (await _bearer(client, address, NEW_PASSWORD)).status_code == 200
    forged = await client.get("/console/password-reset/" + "A" * 43)
    assert forged.status_code == 410
    assert [row["action"] for row in await AuditEntry.select(AuditEntry.action).where(AuditEntry.entity == "organiser")].count("password_reset") == 1

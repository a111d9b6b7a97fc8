from __future__ import annotations

from typing import Any

from litestar import Controller, post
from litestar.di import NamedDependency
from litestar.params import JSONBody
from litestar.status_codes import HTTP_200_OK

from events_service.organisers.auth import requires_role
from events_service.privacy import service
from events_service.privacy.schemas import ContactEmail
from events_service.settings import Settings

ADMINS = requires_role()


class PrivacyController(Controller):
    path = "/api/contacts"
    tags = ["privacy"]
    guards = [ADMINS]

    @post("/export", status_code=HTTP_200_OK, summary="Everything held about a person (admins)")
    async def export(self, data: JSONBody[ContactEmail]) -> dict[str, Any]:
        return await service.export_contact(data.email)

    @post("/erase", status_code=HTTP_200_OK, summary="Erase a person's personal data; company figures stay (admins)")
    async def erase(self, data: JSONBody[ContactEmail], settings: NamedDependency[Settings]) -> dict[str, int | None]:
        return await service.erase_contact(data.email, settings)

"""The shapes of a registration import: the upload and its answer."""

from __future__ import annotations

from dataclasses import dataclass

import msgspec
from litestar.datastructures import UploadFile


@dataclass
class RegistrationUpload:
    """The multipart form. `consent_confirmed`: the organiser states that the people on the
    list agreed to the privacy notice (a public registration asks each person; a list cannot)."""

    file: UploadFile
    dry_run: bool = False
    send_confirmations: bool = True
    consent_confirmed: bool = False


class RowError(msgspec.Struct):
    line: int
    reason: str
    code: str | None = None


class ImportResult(msgspec.Struct):
    """`rows` read (blank lines aside); `created` registrations (confirmed or waitlisted);
    `skipped` people already registered for the event (a re-import changes nothing); `errors`
    the rows refused, each with its line in the file. A dry run says the same and writes nothing."""

    rows: int
    created: int
    skipped: int
    errors: list[RowError]
    dry_run: bool
    confirmed: int = 0
    waitlisted: int = 0
    columns: dict[str, str] = msgspec.field(default_factory=dict)

"""A refused report file, worded in the organiser's language.

The service raises `InvalidReport` with an English `detail`, a stable `code` (`report_<why>`,
from parsers.ReportFormatError or spreadsheets.SpreadsheetError) and, when no attendance table
fitted, `extra = {"found": [header cells of the file], "looked_for": [the columns wanted]}`.
The API words it for the `Accept-Language` of the request, the console for the page's language.
"""

from __future__ import annotations

from events_service.errors import DomainError
from events_service.i18n import N_, Translate, translator
from events_service.languages import LANGUAGES

_MESSAGES = {
    "report_columns_not_found": N_(
        "No attendance table found in the file. Columns found: {found}. Columns looked for: {looked_for}."
    ),
    "report_no_times": N_(
        "The report has no join and leave times (it was exported as totals). "
        "Export the participant report with one row per join and leave, and upload it again."
    ),
    "report_platform_unknown": N_(
        "The file has attendance columns, but none that tell Zoom, Teams or Webex apart: choose the platform."
    ),
    "report_empty": N_("The file is empty."),
    "report_binary": N_("The file does not contain text: upload the report exported as CSV or XLSX."),
    "report_pdf": N_("The file is a PDF document: upload the report exported as CSV or XLSX."),
    "report_old_excel": N_("The file is an old Excel workbook (.xls): save it as .xlsx or CSV and upload it again."),
    "report_bad_xlsx": N_("The file is a damaged Excel workbook (.xlsx), or another zip archive."),
    "report_xlsx_too_large": N_("The Excel workbook is too large, or compressed beyond any real report."),
    "report_malformed_csv": N_("The CSV file is malformed (a quote is never closed)."),
}


def report_error_message(error: DomainError, translate: Translate) -> str:
    """The error's message in the language of `translate`; the English detail for any other."""
    template = _MESSAGES.get(error.code or "")
    if template is None:
        return error.detail
    extra = error.extra or {}
    found = ", ".join(str(cell) for cell in extra.get("found") or []) or "—"
    looked_for = "; ".join(str(cell) for cell in extra.get("looked_for") or []) or "—"
    return translate(template).format(found=found, looked_for=looked_for)


def language_of(accept_language: str | None) -> str:
    """The first language of an Accept-Language header that the service speaks; English else
    (an API client that sends none gets the English the API speaks everywhere)."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().split("-")[0].casefold()
        if code in LANGUAGES:
            return code
    return "en"


def localise(error: DomainError, accept_language: str | None) -> DomainError:
    """The same error with its detail in the requester's language (code and extra unchanged)."""
    error.detail = report_error_message(error, translator(language_of(accept_language)))
    return error

"""A certificate of attendance as PDF bytes, from the layout organisers read and edit
(template.toml) and the facts of one registration. Pure CPU work, no database: callers run
it in a thread.

fpdf2 draws it: pure Python (installs in a second with fontTools, already used by nothing
else but small), embeds only the glyphs a document uses from a TrueType font, so Italian,
German, Polish or Czech names print as typed (DejaVu Sans, shipped in fonts/ with its
licence). Loading and subsetting the two fonts is most of a certificate's cost (tens of
milliseconds); a document copied from one prepared with the fonts loaded would share fpdf2's
font object, which writing a PDF cuts down in place, so every certificate loads its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

import msgspec
import segno
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from events_service.i18n import N_, translator

FONTS = Path(str(resources.files("events_service") / "certificates" / "fonts"))
DEFAULT_TEMPLATE = Path(str(resources.files("events_service") / "certificates" / "template.toml"))
FAMILY = "DejaVu"

#: The default template's words, marked for `make translations` (a TOML file is not extracted);
#: tests/certificates check that every text of template.toml is here.
TEMPLATE_MESSAGES = (
    N_("Certificate of attendance"),
    N_("This is to certify that"),
    N_("of {company}"),
    N_("attended the event"),
    N_("held on {date}"),
    N_("Minutes attended: {minutes}"),
    N_("Present in person (checked in at the door)"),
    N_("Verification code: {code}"),
    N_("Check this certificate at {verify_url}"),
)


# ---------------------------------------------------------------- the layout (template.toml)


class Page(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    size: Literal["A4", "Letter"] = "A4"
    orientation: Literal["landscape", "portrait"] = "landscape"
    margin_mm: float = 18
    top_mm: float = 40


class Line(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    text: str
    size: float = 14
    bold: bool = False
    space_before_mm: float = 0
    when: Literal["always", "company", "minutes", "checked_in"] = "always"


class Box(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    x_mm: float
    y_mm: float
    width_mm: float


class QrBox(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    x_mm: float
    y_mm: float
    size_mm: float
    text: str = "Verification code: {code}"
    hint: str = "Check this certificate at {verify_url}"


class Layout(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    page: Page
    line: tuple[Line, ...]
    qr: QrBox
    logo: Box | None = None
    signature: Box | None = None


class TemplateError(ValueError):
    """A template that cannot be read: the message names the file and the mistake."""


def load_layout(path: Path | None = None) -> Layout:
    """The layout in `path` (the shipped template.toml when None)."""
    source = path or DEFAULT_TEMPLATE
    try:
        return msgspec.toml.decode(source.read_bytes(), type=Layout)
    except (OSError, msgspec.DecodeError, msgspec.ValidationError) as error:
        raise TemplateError(f"certificate template {source}: {error}") from None


# ---------------------------------------------------------------- one certificate


@dataclass(frozen=True)
class CertificateFacts:
    """What one certificate says, already in the registration's language where it is words."""

    registration_id: int
    language: str
    name: str
    company: str | None
    event: str
    date: str
    minutes: int | None  # None: checked in at the door, no report of minutes
    code: str
    verify_url: str
    programme: str


@dataclass(frozen=True)
class Decorations:
    """What the settings add: the logo file and the name under the signature line."""

    logo: Path | None = None
    signatory: str | None = None


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _fill(text: str, values: dict[str, str]) -> str:
    # Only {word} placeholders: str.format would also read attributes ({name.__class__}).
    return _PLACEHOLDER.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def _shown(line: Line, facts: CertificateFacts) -> bool:
    return {
        "always": True,
        "company": bool(facts.company),
        "minutes": facts.minutes is not None,
        "checked_in": facts.minutes is None,
    }[line.when]


def _blank(size: str, orientation: str) -> FPDF:
    """A blank document with both fonts loaded."""
    pdf = FPDF(orientation="L" if orientation == "landscape" else "P", unit="mm", format=size)
    pdf.add_font(FAMILY, "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FAMILY, "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(False)
    return pdf


def _draw_qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code as vector squares (sharp at any zoom, no image to embed); one rectangle per
    run of dark modules in a row."""
    symbol = segno.make_qr(data, error="m", mask=0)
    matrix = list(symbol.matrix)
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        start = None
        for column, value in enumerate([*row, 0]):
            if value & 1 and start is None:
                start = column
            elif not value & 1 and start is not None:
                pdf.rect(x + start * module, y + row_index * module, (column - start) * module, module, style="F")
                start = None


def render_certificate(facts: CertificateFacts, layout: Layout, decorations: Decorations = Decorations()) -> bytes:
    _ = translator(facts.language)
    values = {
        "name": facts.name,
        "company": facts.company or "",
        "event": facts.event,
        "date": facts.date,
        "minutes": str(facts.minutes) if facts.minutes is not None else "",
        "programme": facts.programme,
        "code": facts.code,
        "verify_url": facts.verify_url,
    }
    pdf = _blank(layout.page.size, layout.page.orientation)
    pdf.set_title(_("Certificate of attendance"))
    pdf.set_author(facts.programme)
    pdf.set_lang(facts.language)
    margin = layout.page.margin_mm
    pdf.set_margins(margin, margin, margin)
    pdf.add_page()
    if layout.logo and decorations.logo:
        pdf.image(str(decorations.logo), x=layout.logo.x_mm, y=layout.logo.y_mm, w=layout.logo.width_mm)
    pdf.set_y(layout.page.top_mm)
    for line in layout.line:
        if not _shown(line, facts):
            continue
        pdf.set_y(pdf.get_y() + line.space_before_mm)
        pdf.set_font(FAMILY, "B" if line.bold else "", line.size)
        pdf.multi_cell(0, line.size * 0.5, _fill(_(line.text), values), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    qr = layout.qr
    _draw_qr(pdf, facts.verify_url, qr.x_mm, qr.y_mm, qr.size_mm)
    pdf.set_font(FAMILY, "", 9)
    pdf.set_xy(qr.x_mm, qr.y_mm + qr.size_mm + 2)
    pdf.cell(text=_fill(_(qr.text), values), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FAMILY, "", 7)
    pdf.set_x(qr.x_mm)
    pdf.cell(text=_fill(_(qr.hint), values))
    if layout.signature and decorations.signatory:
        box = layout.signature
        pdf.set_draw_color(0, 0, 0)
        pdf.line(box.x_mm, box.y_mm, box.x_mm + box.width_mm, box.y_mm)
        pdf.set_font(FAMILY, "", 11)
        pdf.set_xy(box.x_mm, box.y_mm + 2)
        pdf.multi_cell(box.width_mm, 5, decorations.signatory, align="C")
    return bytes(pdf.output())

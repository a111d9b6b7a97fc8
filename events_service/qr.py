"""QR codes: one library (segno) draws them for pages and emails alike, error correction M."""

from __future__ import annotations

import io

import segno

__all__ = ["qr_png", "qr_svg"]

#: Any of the eight masks makes a valid code that scanners read (tests read every size back
#: with zxing-cpp); choosing the "best" one costs segno ~15 ms a code, a fixed one ~5 ms.
_MASK = 0


def qr_png(data: str, scale: int = 6) -> bytes:
    """A PNG QR code for ``data`` with the standard 4-module quiet zone (the check-in code in
    emails). About 7-8 ms a code (segno, pure Python: the matrix, then the PNG at compression
    level 1, as the image is mostly runs of one value); zxing-cpp with a hand-written PNG
    writer took ~1-2 ms, a cost the second QR library was not worth."""
    buffer = io.BytesIO()
    _symbol(data).save(buffer, kind="png", scale=scale, border=4, compresslevel=1)
    return buffer.getvalue()


def qr_svg(data: str) -> str:
    """A QR code as inline SVG markup (the check-in code on the manage page)."""
    buffer = io.BytesIO()
    _symbol(data).save(buffer, kind="svg", scale=5, border=2, xmldecl=False, svgns=True, title="QR")
    return buffer.getvalue().decode()


def _symbol(data: str) -> segno.QRCode:
    """The code both drawings share: error correction M, the fixed mask."""
    return segno.make_qr(data, error="m", mask=_MASK)

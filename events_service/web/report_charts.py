"""The reports page's charts: horizontal bars measured here, drawn as SVG by
templates/console/_bar_chart.html. Server-side, no script: each bar carries its value as text
and a fill pattern (hatching, dots, cross-hatching) besides its colour, so a chart reads the
same printed in black and white or by someone who does not tell colours apart; each bar links
to the rows it counts."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

#: One pattern per chart of a page, so that neighbouring charts differ without colour too.
PATTERNS = ("hatch", "dots", "cross", "stripes")


@dataclass(frozen=True)
class BarItem:
    label: str
    value: float
    text: str  # the value as shown: "12", "67 %"
    href: str | None = None


@dataclass(frozen=True)
class Bar:
    label: str
    text: str
    href: str | None
    y: int
    width: float


@dataclass(frozen=True)
class BarChart:
    chart_id: str
    pattern: str
    bars: list[Bar]
    width: int
    height: int
    label_width: int
    plot_width: int
    bar_height: int


def bar_chart(chart_id: str, items: Sequence[BarItem], *, pattern: str = PATTERNS[0], maximum: float | None = None,
              label_width: int = 170, plot_width: int = 360, row_height: int = 28) -> BarChart:
    """Bars scaled to `maximum` (the largest value when not given: a rate chart passes 100)."""
    top = maximum if maximum is not None else max([1.0, *[item.value for item in items]])
    scale = plot_width / top if top else 0
    bar_height = row_height - 8
    bars = [
        Bar(label=_short(item.label), text=item.text, href=item.href, y=10 + index * row_height,
            width=round(max(item.value, 0) * scale, 1))
        for index, item in enumerate(items)
    ]
    return BarChart(chart_id=chart_id, pattern=pattern if pattern in PATTERNS else PATTERNS[0], bars=bars,
                    width=label_width + plot_width + 70, height=20 + len(items) * row_height,
                    label_width=label_width, plot_width=plot_width, bar_height=bar_height)


def _short(label: str, length: int = 24) -> str:
    return label if len(label) <= length else label[: length - 1] + "…"

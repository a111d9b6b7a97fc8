"""The dashboard's chart: horizontal bars per event (confirmed registrations, and attended
among them), measured here and drawn as SVG by the dashboard's template."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class ChartBar:
    label: str
    confirmed: int
    attended: int
    capacity: int
    y: int
    confirmed_width: float
    attended_width: float


@dataclass
class Chart:
    bars: list[ChartBar]
    width: int
    height: int
    label_width: int
    plot_width: int
    maximum: int
    ticks: list[tuple[float, int]]


def registrations_chart(rows: list[dict[str, Any]], *, label_width: int = 260, plot_width: int = 420, row_height: int = 44) -> Chart:
    """Horizontal bars per event: confirmed registrations, and attended among them."""
    maximum = max([1, *[max(row["confirmed"], row["attended"]) for row in rows]])
    scale = plot_width / maximum
    bars = []
    for index, row in enumerate(rows):
        label = row["title"] if len(row["title"]) <= 34 else row["title"][:33] + "…"
        bars.append(
            ChartBar(label=label, confirmed=row["confirmed"], attended=row["attended"], capacity=row["capacity"],
                     y=30 + index * row_height, confirmed_width=round(row["confirmed"] * scale, 1),
                     attended_width=round(row["attended"] * scale, 1))
        )
    step = max(1, -(-maximum // 4))
    ticks = [(round(label_width + value * scale, 1), value) for value in range(0, maximum + 1, step)]
    return Chart(bars=bars, width=label_width + plot_width + 40, height=40 + len(rows) * row_height,
                 label_width=label_width, plot_width=plot_width, maximum=maximum, ticks=ticks)

"""A score over time with its 95% interval as an SVG image: the line of the score, the interval as a band
around it, a point per period (hollow where the period has too few answers to read into), and the
periods without answers left as gaps. Drawn by hand (pygal has no band): plain SVG, no script, in the
console's chart look (``chart_style``: white ground, the console's ink, one accent). The page shows the
same figures in a table for screen readers and for anyone who wants the numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 18, 46
INK, SUBTLE, ACCENT, BAND = "#1b2430", "#c9d0da", "#1f5fbf", "#cfdcf3"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"


@dataclass(frozen=True)
class Point:
    label: str
    value: float | None
    low: float | None
    high: float | None
    too_few: bool


def _ticks(low: float, high: float) -> list[float]:
    span = high - low
    step = next(s for s in (0.5, 1, 2, 5, 10, 20, 25, 50) if span / s <= 6)
    first = step * -(-low // step)
    ticks, tick = [], first
    while tick <= high + 1e-9:
        ticks.append(round(tick, 2))
        tick += step
    return ticks


def score_chart(title: str, points: Sequence[Point], low: float, high: float, unit: str = "") -> str:
    """``points`` (oldest first) on a vertical axis from ``low`` to ``high`` as an SVG document."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(index: int) -> float:
        return LEFT + (plot_w * (index + 0.5) / max(1, len(points)))

    def y(value: float) -> float:
        value = min(high, max(low, value))
        return TOP + plot_h * (high - value) / (high - low)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="{FONT}" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#ffffff"/>',
    ]
    for tick in _ticks(low, high):
        ty = y(tick)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{ty:.1f}" y2="{ty:.1f}" stroke="{SUBTLE}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 6}" y="{ty + 4:.1f}" text-anchor="end" fill="{INK}">'
            f"{tick:g}{escape(unit)}</text>"
        )
    segments: list[list[int]] = [[]]
    for index, point in enumerate(points):
        if point.value is None:
            segments.append([])
        else:
            segments[-1].append(index)
    for segment in segments:
        banded = [i for i in segment if points[i].low is not None and points[i].high is not None]
        if len(banded) >= 2:
            upper = " ".join(f"{x(i):.1f},{y(points[i].high or 0):.1f}" for i in banded)
            lower = " ".join(f"{x(i):.1f},{y(points[i].low or 0):.1f}" for i in reversed(banded))
            parts.append(f'<polygon points="{upper} {lower}" fill="{BAND}" opacity="0.8"/>')
        if len(segment) >= 2:
            line = " ".join(f"{x(i):.1f},{y(points[i].value or 0):.1f}" for i in segment)
            parts.append(f'<polyline points="{line}" fill="none" stroke="{ACCENT}" stroke-width="2.5"/>')
    for index, point in enumerate(points):
        if point.value is None:
            continue
        if point.low is not None and point.high is not None:
            parts.append(
                f'<line x1="{x(index):.1f}" x2="{x(index):.1f}" '
                f'y1="{y(point.low):.1f}" y2="{y(point.high):.1f}" '
                f'stroke="{ACCENT}" stroke-width="1.5"/>'
            )
        fill = "#ffffff" if point.too_few else ACCENT
        parts.append(
            f'<circle cx="{x(index):.1f}" cy="{y(point.value):.1f}" r="4.5" fill="{fill}" '
            f'stroke="{ACCENT}" stroke-width="2"/>'
        )
    every = max(1, -(-len(points) // 8))
    for index, point in enumerate(points):
        if index % every == 0:
            parts.append(
                f'<text x="{x(index):.1f}" y="{HEIGHT - BOTTOM + 18}" text-anchor="middle" fill="{INK}">'
                f"{escape(point.label)}</text>"
            )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 8}" fill="{INK}" font-size="12">Band and bars: 95% interval. '
        "Hollow point: too few answers to read into.</text>"
    )
    if not any(point.value is not None for point in points):
        parts.append(
            f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" fill="{INK}" font-size="16">'
            "No answers in this period</text>"
        )
    parts.append("</svg>")
    return "".join(parts)

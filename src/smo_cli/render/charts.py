"""Inline SVG charts for standalone HTML reports: a trend line per KPI and horizontal bars.

The SVG is written here, not in a template, so what goes into it is controlled: coordinates are
numbers this module computes (formatted with a fixed precision, never a caller's string) and
every piece of text - labels, which may be query group names the officer typed, and captions -
passes through `markupsafe.escape`. The result is `Markup`, safe to place in an autoescaped page.
No script, no external reference, no font download: the page stays inert and works offline.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

# Colours by meaning (never from data): the report's palette, readable in greyscale print.
COLOURS = {"positive": "#2e7d32", "neutral": "#8d8d99", "negative": "#c62828",
           "none": "#c9c9d1", "own": "#1f5fa8", "competitor": "#e08a00", "other": "#8d8d99",
           "line": "#1f5fa8", "target": "#e08a00"}


@dataclass(frozen=True)
class Bar:
    label: str                  # shown left of the bar (escaped)
    value: float                # the bar's length, against the largest bar
    caption: str                # shown right of the bar, e.g. "42 (12.5%)" (escaped)
    colour: str = "own"         # a key of COLOURS


def _num(value: float) -> str:
    """A coordinate: finite, two decimals at most, never a caller's text."""
    if not math.isfinite(value):
        value = 0.0
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _short(label: str, length: int = 20) -> str:
    # A label wider than its column would be cut off at the chart's left edge.
    return label if len(label) <= length else label[:length - 1].rstrip() + "…"


def trend_line(values: Sequence[float | None], *, label: str, target: float | None = None,
               width: int = 110, height: int = 18) -> Markup:
    """A small line chart of a KPI over its periods (oldest first); a missing value breaks the
    line, the last value is a dot, and a target (if any) is a dashed line."""
    pad = 3.0
    known = [v for v in values if v is not None and math.isfinite(v)]
    scale = [*known, *([target] if target is not None and math.isfinite(target) else [])]
    title = escape(label)
    head = (f'<svg class="trend" role="img" '
            f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f"<title>{title}</title>")
    if not known:
        return Markup(head + "</svg>")
    low, high = min(scale), max(scale)
    if high == low:                     # a flat line sits in the middle
        low, high = low - 1, high + 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)

    def y_of(value: float) -> float:
        return height - pad - (value - low) / (high - low) * (height - 2 * pad)

    parts = [head]
    if target is not None and math.isfinite(target):
        parts.append(f'<line x1="{_num(pad)}" x2="{_num(width - pad)}" y1="{_num(y_of(target))}" '
                     f'y2="{_num(y_of(target))}" stroke="{COLOURS["target"]}" '
                     'stroke-width="1" stroke-dasharray="3 2"/>')
    segment: list[str] = []
    runs: list[list[str]] = []
    last: tuple[float, float] | None = None
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            if segment:
                runs.append(segment)
            segment = []
            continue
        point = (pad + index * step, y_of(value))
        segment.append(f"{_num(point[0])},{_num(point[1])}")
        last = point
    if segment:
        runs.append(segment)
    for run in runs:
        if len(run) > 1:
            parts.append(f'<polyline fill="none" stroke="{COLOURS["line"]}" stroke-width="1.6" '
                         f'points="{" ".join(run)}"/>')
    if last is not None:
        parts.append(f'<circle cx="{_num(last[0])}" cy="{_num(last[1])}" r="2.4" '
                     f'fill="{COLOURS["line"]}"/>')
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(bars: Sequence[Bar], *, title: str, width: int = 340, bar_height: int = 12,
              label_width: int = 120, caption_width: int = 80) -> Markup:
    """Horizontal bars, longest first as given; each with its label and caption."""
    gap = 5
    height = max(len(bars), 1) * (bar_height + gap) + gap
    room = max(width - label_width - caption_width - 8, 10)
    largest = max((b.value for b in bars if math.isfinite(b.value)), default=0.0)
    parts = [f'<svg class="bars" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
             f"<title>{escape(title)}</title>"]
    for index, bar in enumerate(bars):
        top = gap + index * (bar_height + gap)
        length = room * bar.value / largest if largest > 0 and bar.value > 0 else 0.0
        middle = top + bar_height / 2 + 4
        colour = COLOURS.get(bar.colour, COLOURS["other"])
        parts.append(f'<text x="{_num(label_width - 4)}" y="{_num(middle)}" '
                     f'text-anchor="end" font-size="10">{escape(_short(bar.label))}</text>')
        parts.append(f'<rect x="{_num(label_width)}" y="{_num(top)}" width="{_num(length)}" '
                     f'height="{bar_height}" fill="{colour}"/>')
        parts.append(f'<text x="{_num(label_width + length + 4)}" y="{_num(middle)}" '
                     f'font-size="10">{escape(bar.caption)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))

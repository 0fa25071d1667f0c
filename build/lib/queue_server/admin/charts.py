"""Charts drawn on the server as inline SVG: no script, no CDN, readable by screen readers
(a title and a summary), and every bar names its value on hover."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape


@dataclass(frozen=True)
class Series:
    """One set of bars: its name and one value per label."""

    name: str
    name_en: str
    values: Sequence[float | None]
    css: str


def nice_top(value: float) -> float:
    """A round axis maximum at or above the value (1, 2, 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)  # pragma: no cover


def _number(value: float) -> str:
    return f"{value:g}" if float(value).is_integer() else f"{value:.1f}"


def _figure(chart_id: str, title: str, title_en: str, svg: str) -> Markup:
    """The chart under its visible title (the SVG's own title is for screen readers only)."""
    return Markup(
        f'<figure class="chart-figure"><figcaption id="{escape(chart_id)}-caption">'
        f'{escape(title)} <small lang="en">{escape(title_en)}</small></figcaption>{svg}</figure>'
    )


def bar_chart(
    chart_id: str,
    title: str,
    title_en: str,
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    width: int = 760,
    height: int = 260,
) -> Markup:
    """Grouped vertical bars: one group per label, one bar per series."""
    left, right, top, bottom = 44, 12, 30, 42
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s.values if v is not None]
    top_value = nice_top(max(values, default=0))
    n = max(1, len(labels))
    group_w = plot_w / n
    bar_w = max(2.0, min(28.0, group_w * 0.8 / max(1, len(series))))
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{escape(chart_id)}-t {escape(chart_id)}-d">',
        f'<title id="{escape(chart_id)}-t">{escape(title)} {escape(title_en)}</title>',
    ]
    summary = "；".join(
        f"{s.name} 合计 {_number(sum(v for v in s.values if v is not None))}" for s in series
    )
    parts.append(f'<desc id="{escape(chart_id)}-d">{escape(summary)}</desc>')
    for tick in range(5):
        value = top_value * tick / 4
        y = top + plot_h - plot_h * tick / 4
        parts.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
            f'<text class="axis" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(value)}</text>"
        )
    every = max(1, math.ceil(n / 16))  # at most 16 labels under the axis
    for i, label in enumerate(labels):
        x0 = left + group_w * i + (group_w - bar_w * len(series)) / 2
        for j, s in enumerate(series):
            bar = s.values[i] if i < len(s.values) else None
            if bar is None:
                continue
            h = plot_h * bar / top_value
            x = x0 + j * bar_w
            parts.append(
                f'<rect class="bar {escape(s.css)}" x="{x:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar_w - 1:.1f}" height="{h:.1f}" data-label="{escape(label)}" '
                f'data-value="{_number(bar)}"><title>{escape(label)} {escape(s.name)}: '
                f"{_number(bar)}</title></rect>"
            )
        if i % every == 0:
            cx = left + group_w * (i + 0.5)
            parts.append(
                f'<text class="axis" x="{cx:.1f}" y="{height - bottom + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    x = left
    for s in series:
        parts.append(
            f'<rect class="bar {escape(s.css)}" x="{x}" y="8" width="12" height="12"/>'
            f'<text class="legend" x="{x + 16}" y="18">{escape(s.name)} {escape(s.name_en)}</text>'
        )
        x += 24 + 9 * (len(s.name) * 2 + len(s.name_en))
    parts.append("</svg>")
    return _figure(chart_id, title, title_en, "".join(parts))


def hbar_chart(
    chart_id: str,
    title: str,
    title_en: str,
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    unit: str = "",
    css: str = "wait",
    width: int = 760,
) -> Markup:
    """Horizontal bars, one per group (e.g. the average wait of each category)."""
    row_h, left, right, top = 24, 220, 60, 8
    height = top * 2 + row_h * max(1, len(labels))
    top_value = nice_top(max((v for v in values if v is not None), default=0))
    plot_w = width - left - right
    parts = [
        f'<svg id="{escape(chart_id)}" class="chart" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-labelledby="{escape(chart_id)}-t">',
        f'<title id="{escape(chart_id)}-t">{escape(title)} {escape(title_en)}</title>',
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        y = top + i * row_h
        short = label if len(label) <= 16 else label[:15] + "…"
        parts.append(
            f'<text class="axis" x="{left - 8}" y="{y + 16}" text-anchor="end">{escape(short)}</text>'
        )
        if value is None:
            parts.append(f'<text class="axis" x="{left + 4}" y="{y + 16}">—</text>')
            continue
        w = plot_w * value / top_value
        parts.append(
            f'<rect class="bar {escape(css)}" x="{left}" y="{y + 4}" width="{w:.1f}" '
            f'height="{row_h - 8}" data-label="{escape(label)}" data-value="{_number(value)}">'
            f"<title>{escape(label)}: {_number(value)}{escape(unit)}</title></rect>"
            f'<text class="value" x="{left + w + 4:.1f}" y="{y + 16}">{_number(value)}'
            f"{escape(unit)}</text>"
        )
    parts.append("</svg>")
    return _figure(chart_id, title, title_en, "".join(parts))

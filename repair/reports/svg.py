"""Inline SVG bar charts: no JavaScript, no external assets, readable in any browser and in a diff."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

BAR_HEIGHT = 18
GAP = 6
LABEL_WIDTH = 260
BAR_WIDTH = 360
VALUE_WIDTH = 90


def bar_chart(title: str, labels: Sequence[str], values: Sequence[float], chart_id: str,
              fmt: Callable[[float], str] = lambda v: f"{v:g}", highlight: Sequence[bool] = ()) -> str:
    """A horizontal bar chart, one bar per label; `highlight` marks bars drawn in the accent colour."""
    if not labels:
        return f'<p class="empty" id="{escape(chart_id)}">{escape(title)}: nothing to chart.</p>'
    top = max(max(values), 0.0) or 1.0
    height = 28 + len(labels) * (BAR_HEIGHT + GAP)
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    rows = []
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 24 + index * (BAR_HEIGHT + GAP)
        length = max(1.0, BAR_WIDTH * max(value, 0.0) / top)
        accent = index < len(highlight) and highlight[index]
        shown = label if len(label) <= 40 else "…" + label[-39:]
        rows.append(
            f'<g class="bar"><title>{escape(label)}: {escape(fmt(value))}</title>'
            f'<text x="{LABEL_WIDTH - 6}" y="{y + 13}" text-anchor="end">{escape(shown)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" '
            f'class="{"accent" if accent else "plain"}"/>'
            f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{y + 13}">{escape(fmt(value))}</text></g>')
    return (f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" role="img" '
            f'aria-label="{escape(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
            f'<text x="0" y="14" class="chart-title">{escape(title)}</text>{"".join(rows)}</svg>')

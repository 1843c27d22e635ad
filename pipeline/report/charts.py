"""Small inline-SVG charts for `report.html`: horizontal bars, overlaid histograms, a timeline.

Each function returns one self-contained `<svg>` element (no scripts, no external references,
every label escaped) to paste straight into HTML. Drawing these by hand replaced matplotlib in
the build report, where figure drawing and PNG encoding took ~4 s of a 21 s pairs build on 2000
samples. Each bar and bin carries its number (`data-value` / `data-count`) and a hover `<title>`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from html import escape

import numpy as np

WIDTH = 640
PLOT_HEIGHT = 260  # histograms
ROW = 20  # px per bar in bar charts
LEFT, RIGHT, TOP, BOTTOM = 58, 16, 30, 44  # plot margins: y tick labels, title, x ticks + label
COLOURS = ("#4878a8", "#e07b39")  # first one as in the old matplotlib bars; the second for overlays
NUM_BINS = 40  # as the matplotlib report had
MIN_LOG = 1e-3  # smallest value a log axis shows; smaller values go into the first bin
MAX_LABEL = 32  # bar labels longer than this are cut (the full label is in the bar's <title>)


def nice_ticks(lo: float, hi: float, target: int = 5, integer: bool = False) -> list[float]:
    """Round tick values (1, 2 or 5 times a power of ten) covering [lo, hi], outward; whole
    numbers only when `integer` (counts)."""
    if not hi > lo:
        hi = lo + 1.0
    raw = (hi - lo) / target
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 5, 10) if m * mag >= raw * (1 - 1e-9))
    step = max(step, 1.0) if integer else step
    first, last = math.floor(lo / step + 1e-9), math.ceil(hi / step - 1e-9)
    return [round(k * step, 12) for k in range(first, last + 1)]


def log_ticks(lo: float, hi: float) -> list[float]:
    """Powers of ten inside [lo, hi]; 2x and 5x multiples too when fewer than two decades fit;
    round linear steps inside the range when even those give fewer than three (a range inside
    one decade, e.g. image sides 96-240 px: 100, 150, 200)."""
    decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1)
    for multiples, enough in (((1,), 2), ((1, 2, 5), 3)):
        ticks = [m * 10.0**k for k in decades for m in multiples if lo <= m * 10.0**k <= hi * (1 + 1e-9)]
        if len(ticks) >= enough:
            return ticks
    inside = [t for t in nice_ticks(lo, hi) if lo * (1 - 1e-9) <= t <= hi * (1 + 1e-9)]
    return inside if len(inside) >= 2 else [lo, hi]


# Aspect ratios people name (width:height), for an aspect-ratio axis; thinned when many fit.
ASPECT_RATIOS = (
    (1, 4),
    (1, 3),
    (1, 2),
    (2, 3),
    (3, 4),
    (1, 1),
    (4, 3),
    (3, 2),
    (16, 9),
    (2, 1),
    (3, 1),
    (4, 1),
)
COMMON_ASPECTS = {(1, 4), (1, 2), (3, 4), (1, 1), (4, 3), (2, 1), (4, 1)}


def aspect_ticks(lo: float, hi: float) -> list[tuple[float, str]]:
    """(width / height, "W:H") for the named aspect ratios inside [lo, hi]."""
    ticks = [(w / h, f"{w}:{h}") for w, h in ASPECT_RATIOS if lo <= w / h <= hi]
    if len(ticks) > 7:
        ticks = [(v, label) for v, label in ticks if tuple(map(int, label.split(":"))) in COMMON_ASPECTS]
    return ticks


def fmt(v: float) -> str:
    """Short tick label: 0.01, 250, 2.5k, 10k, 1M."""
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:g}M"
    if a >= 1e3 and v / 1e3 == round(v / 1e3, 1):
        return f"{v / 1e3:g}k"
    return f"{v:.3g}" if a < 1e3 else f"{v:.0f}"


def _text(x: float, y: float, s: str, anchor: str = "middle", **attrs: str) -> str:
    extra = "".join(f' {k.replace("_", "-")}="{v}"' for k, v in attrs.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(s)}</text>'


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    """The chart; `title` is its accessible name and a small grey subtitle (the page puts the
    heading above the chart, in HTML)."""
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="11" fill="#333">'
    )
    return "".join(
        [
            head,
            f"<title>{escape(title)}</title>",
            _text(width / 2, 16, title, font_size="12", fill="#666", **{"class": "subtitle"}),
            *body,
            "</svg>",
        ]
    )


def _x_axis(
    ticks: list[float], xmap, left: float, right: float, y: float, label: str, labels: list[str] | None = None
) -> list[str]:
    out = [f'<line class="axis" x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="#333"/>']
    for i, t in enumerate(ticks):
        x = xmap(t)
        out.append(f'<line x1="{x:.1f}" y1="{y:.1f}" x2="{x:.1f}" y2="{y + 4:.1f}" stroke="#333"/>')
        out.append(_text(x, y + 15, labels[i] if labels else fmt(t), **{"class": "xtick"}))
    out.append(_text((left + right) / 2, y + 34, label, font_size="12"))
    return out


def _y_axis(ticks: list[float], ymap, left: float, right: float, label: str) -> list[str]:
    """Grid lines at each tick, labels on the left, the axis label rotated."""
    out = []
    for t in ticks:
        y = ymap(t)
        out.append(f'<line x1="{left:.1f}" y1="{y:.1f}" x2="{right:.1f}" y2="{y:.1f}" stroke="#e4e4e4"/>')
        out.append(_text(left - 6, y + 4, fmt(t), "end", **{"class": "ytick"}))
    mid = (ymap(ticks[0]) + ymap(ticks[-1])) / 2
    out.append(
        f'<text transform="translate(14 {mid:.1f}) rotate(-90)" text-anchor="middle" '
        f'font-size="12">{escape(label)}</text>'
    )
    return out


def bar_chart(title: str, counts: Mapping[str, float], xlabel: str = "count") -> str:
    """Horizontal bars, largest on top, each value printed at its bar's end."""
    items = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
    names = [str(k) for k, _ in items]
    shown = [k if len(k) <= MAX_LABEL else k[: MAX_LABEL - 1] + "…" for k in names]
    values = [f"{v:,}" if float(v).is_integer() else f"{v:,.3g}" for _, v in items]
    left = 12 + 7 * max((len(s) for s in shown), default=4)  # <= 7 px per character at 11 px
    right = WIDTH - 14 - 7 * max((len(s) for s in values), default=1)
    ticks = nice_ticks(0, max((v for _, v in items), default=0) or 1, integer=True)
    height = TOP + ROW * len(items) + BOTTOM

    def xmap(v: float) -> float:
        return left + (right - left) * v / ticks[-1]

    body = []
    for i, ((_, v), name, label, value) in enumerate(zip(items, names, shown, values, strict=True)):
        y, w = TOP + i * ROW, xmap(max(v, 0)) - left
        body.append(
            f'<rect class="bar" x="{left:.1f}" y="{y + 3:.1f}" width="{w:.1f}" height="{ROW - 6}" '
            f'fill="{COLOURS[0]}" data-value="{v}"><title>{escape(name)}: {value}</title></rect>'
        )
        body.append(_text(left - 6, y + ROW / 2 + 4, label, "end", **{"class": "label"}))
        body.append(_text(left + w + 4, y + ROW / 2 + 4, value, "start", **{"class": "value"}))
    body += _x_axis(ticks, xmap, left, right, TOP + ROW * len(items) + 2, xlabel)
    return _svg(WIDTH, height, title, body)


def histogram_edges(values: np.ndarray, log_x: bool) -> tuple[np.ndarray, bool]:
    """NUM_BINS bins over all series together; geometric when log_x and the values are not all
    equal (the rule the matplotlib report had), else linear. Returns (edges, is_log)."""
    lo, hi = max(values.min(), MIN_LOG), max(values.max(), MIN_LOG)
    if log_x and hi > lo:
        return np.geomspace(lo, hi, NUM_BINS + 1), True
    return np.histogram_bin_edges(values, NUM_BINS), False


def histogram(
    title: str,
    series: Mapping[str, Sequence[float]],
    xlabel: str,
    log_x: bool = True,
    named_ticks: Callable[[float, float], list[tuple[float, str]]] | None = None,
) -> str:
    """Overlaid histograms on shared bins; a legend when there is more than one series.
    `named_ticks(lo, hi)` gives (value, label) ticks for the x axis instead of numbers (e.g.
    `aspect_ticks`); with fewer than two inside the range the numbers are used."""
    arrays = {k: np.asarray(v, dtype=float) for k, v in series.items()}
    arrays = {k: v[np.isfinite(v)] for k, v in arrays.items()}
    right, bottom = WIDTH - RIGHT, PLOT_HEIGHT - BOTTOM
    values = np.concatenate([np.zeros(0), *arrays.values()])
    if not values.size:
        return _svg(WIDTH, PLOT_HEIGHT, title, [_text((LEFT + right) / 2, (TOP + bottom) / 2, "no data")])
    edges, is_log = histogram_edges(values, log_x)
    # Clip into the bins so every value is counted (values below MIN_LOG land in the first bin).
    counts = {k: np.histogram(np.clip(v, edges[0], edges[-1]), edges)[0] for k, v in arrays.items()}
    yticks = nice_ticks(0, max(int(c.max(initial=0)) for c in counts.values()) or 1, integer=True)
    lo, hi = (math.log10(edges[0]), math.log10(edges[-1])) if is_log else (edges[0], edges[-1])
    xticks = log_ticks(edges[0], edges[-1]) if is_log else [t for t in nice_ticks(lo, hi) if lo <= t <= hi]
    named = named_ticks(edges[0], edges[-1]) if named_ticks else []
    xlabels = None
    if len(named) >= 2:
        xticks, xlabels = [v for v, _ in named], [label for _, label in named]

    def xmap(v: float) -> float:
        return LEFT + (right - LEFT) * ((math.log10(v) if is_log else v) - lo) / (hi - lo)

    def ymap(c: float) -> float:
        return bottom - (bottom - TOP) * c / yticks[-1]

    body = _y_axis(yticks, ymap, LEFT, right, "samples")
    opacity = 0.6 if len(counts) > 1 else 0.9
    for n, (name, c) in enumerate(counts.items()):
        colour = COLOURS[n % len(COLOURS)]
        for a, b, k in zip(edges[:-1], edges[1:], c, strict=True):
            if k:
                x0, x1, y = xmap(a), xmap(b), ymap(k)
                body.append(
                    f'<rect class="bin" x="{x0:.2f}" y="{y:.1f}" width="{x1 - x0:.2f}" '
                    f'height="{bottom - y:.1f}" '
                    f'fill="{colour}" fill-opacity="{opacity}" data-series="{escape(name)}" data-count="{k}">'
                    f"<title>{escape(name)} {fmt(a)}–{fmt(b)}: {k}</title></rect>"
                )
    body += _x_axis(xticks, xmap, LEFT, right, bottom, xlabel + (" (log scale)" if is_log else ""), xlabels)
    if len(counts) > 1:
        for n, name in enumerate(counts):
            y = TOP + 4 + 16 * n
            body.append(
                f'<rect class="legend" x="{right - 110}" y="{y}" width="10" height="10" '
                f'fill="{COLOURS[n % len(COLOURS)]}" fill-opacity="{opacity}"/>'
            )
            body.append(_text(right - 95, y + 9, name, "start"))
    return _svg(WIDTH, PLOT_HEIGHT, title, body)


def span_chart(title: str, rows: Sequence[tuple[str, float, float, str]], xlabel: str, x_max: float) -> str:
    """One horizontal bar per row from its start to its end on a shared axis from 0 to `x_max`
    (a timeline); rows are (label, start, end, note), the note printed after the bar. A span of
    zero length is drawn 2 px wide so that it shows."""
    shown = [label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…" for label, *_ in rows]
    left = 12 + 7 * max((len(s) for s in shown), default=4)
    right = WIDTH - RIGHT - 7 * max((len(note) for *_, note in rows), default=0) - 6
    ticks = nice_ticks(0, max(x_max, max((end for _, _, end, _ in rows), default=0)) or 1)
    height = TOP + ROW * len(rows) + BOTTOM

    def xmap(v: float) -> float:
        return left + (right - left) * v / ticks[-1]

    body = []
    for i, ((label, start, end, note), short) in enumerate(zip(rows, shown, strict=True)):
        y, x0 = TOP + i * ROW, xmap(start)
        w = max(xmap(end) - x0, 2.0)
        body.append(
            f'<rect class="span" x="{x0:.1f}" y="{y + 3:.1f}" width="{w:.1f}" height="{ROW - 6}" '
            f'fill="{COLOURS[0]}" data-start="{start}" data-end="{end}">'
            f"<title>{escape(label)}: {fmt(start)}–{fmt(end)} {escape(xlabel)}</title></rect>"
        )
        body.append(_text(left - 6, y + ROW / 2 + 4, short, "end", **{"class": "label"}))
        body.append(_text(x0 + w + 4, y + ROW / 2 + 4, note, "start", **{"class": "value"}))
    body += _x_axis(ticks, xmap, left, right, TOP + ROW * len(rows) + 2, xlabel)
    return _svg(WIDTH, height, title, body)

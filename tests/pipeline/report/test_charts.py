"""pipeline.report.charts: well-formed, self-contained SVG whose bars and bins carry exact numbers."""

from __future__ import annotations

import math
import random
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from pipeline.report import charts as S

NS = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)  # raises on anything that is not well-formed XML
    assert root.tag == f"{NS}svg"
    for bad in ("<script", "href", "url(", "<image", "<foreignObject"):
        assert bad not in svg  # no scripts, no external or embedded references
    return root


def _rects(root: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in root.iter(f"{NS}rect") if r.get("class") == cls]


def _texts(root: ET.Element, cls: str) -> list[str]:
    return [t.text for t in root.iter(f"{NS}text") if t.get("class") == cls]


def test_bar_chart_one_bar_per_item_largest_on_top_and_longest():
    root = _parse(S.bar_chart("reasons", {"a": 3, "b": 10, "c": 1, "d": 0}))
    bars = _rects(root, "bar")
    assert [b.get("data-value") for b in bars] == ["10", "3", "1", "0"]  # sorted, largest first
    assert [float(b.get("y")) for b in bars] == sorted(float(b.get("y")) for b in bars)  # top to bottom
    widths = [float(b.get("width")) for b in bars]
    assert max(widths) == widths[0] and widths[-1] == 0
    assert widths[1] == pytest.approx(widths[0] * 0.3, abs=0.1)  # to scale: 3 / 10
    assert _texts(root, "label") == ["b", "a", "c", "d"]
    assert _texts(root, "value") == ["10", "3", "1", "0"]


def test_bar_chart_escapes_labels_and_titles():
    svg = S.bar_chart("<title> & more", {"a<b>&c": 2, "x" * 50: 1})
    assert "a&lt;b&gt;&amp;c" in svg and "a<b>" not in svg
    root = _parse(svg)
    assert root.find(f"{NS}title").text == "<title> & more"
    labels = _texts(root, "label")
    assert labels[0] == "a<b>&c"
    assert labels[1] == "x" * (S.MAX_LABEL - 1) + "…"  # cut, but the bar's tooltip keeps it whole
    assert _rects(root, "bar")[1].find(f"{NS}title").text == "x" * 50 + ": 1"


def test_bar_chart_without_items_is_still_a_chart():
    root = _parse(S.bar_chart("nothing", {}))
    assert _rects(root, "bar") == []


def _bins(root: ET.Element, series: str | None = None) -> list[ET.Element]:
    return [r for r in _rects(root, "bin") if series is None or r.get("data-series") == series]


def test_histogram_counts_sum_to_number_of_values_including_zeros_on_a_log_axis():
    rng = random.Random(1)
    values = [rng.lognormvariate(5, 1.5) for _ in range(997)] + [0.0, 0.0, 1e-6]
    root = _parse(S.histogram("sizes", {"px": values}, "pixels"))
    bins = _bins(root)
    assert sum(int(b.get("data-count")) for b in bins) == 1000
    assert 0 < len(bins) <= S.NUM_BINS
    # geometric bins: equal widths on the log axis
    widths = [float(b.get("width")) for b in bins]
    assert max(widths) - min(widths) < 0.05


def test_histogram_log_ticks_at_powers_of_ten():
    root = _parse(S.histogram("lengths", {"n": [3, 40, 700, 5000]}, "characters"))
    assert _texts(root, "xtick") == ["10", "100", "1k"]
    assert any("log scale" in (t.text or "") for t in root.iter(f"{NS}text"))


def test_histogram_overlays_share_bins_and_get_a_legend():
    root = _parse(S.histogram("sizes", {"width": [100, 200, 400, 800], "height": [50, 100, 100]}, "px"))
    assert sum(int(b.get("data-count")) for b in _bins(root, "width")) == 4
    assert sum(int(b.get("data-count")) for b in _bins(root, "height")) == 3
    assert len(_rects(root, "legend")) == 2
    fills = {b.get("data-series"): b.get("fill") for b in _bins(root)}
    assert fills == {"width": S.COLOURS[0], "height": S.COLOURS[1]}
    assert all(b.get("fill-opacity") == "0.6" for b in _bins(root))
    assert _rects(_parse(S.histogram("one", {"a": [1, 2]}, "x")), "legend") == []


@pytest.mark.parametrize(
    "series",
    [{"a": [2.0, 2.0, 2.0]}, {"a": [0, 0]}, {"a": []}, {"a": [], "b": [7]}, {"a": [float("nan"), 5]}],
)
def test_histogram_degenerate_inputs_do_not_crash(series):
    root = _parse(S.histogram("odd", series, "x"))
    finite = sum(1 for v in series.values() for x in v if math.isfinite(x))
    assert sum(int(b.get("data-count")) for b in _bins(root)) == finite


def test_histogram_edges_follow_the_old_rule():
    edges, is_log = S.histogram_edges(np.array([1.0, 10.0, 1000.0]), log_x=True)
    assert is_log and len(edges) == S.NUM_BINS + 1
    assert edges[0] == pytest.approx(1.0) and edges[-1] == pytest.approx(1000.0)
    assert np.allclose(edges[1:] / edges[:-1], edges[1] / edges[0])  # geometric
    edges, is_log = S.histogram_edges(np.array([5.0, 5.0]), log_x=True)  # hi == lo: linear
    assert not is_log and len(edges) == S.NUM_BINS + 1
    edges, is_log = S.histogram_edges(np.array([1.0, 3.0]), log_x=False)
    assert not is_log and np.allclose(np.diff(edges), 2 / S.NUM_BINS)


def test_span_chart_draws_each_span_to_scale_on_a_shared_axis():
    rows = [
        ("read", 0.0, 2.0, "100 in 2.00 s"),
        ("fetch", 1.0, 9.0, "90 in 8.00 s"),
        ("write", 9.5, 9.5, "90"),
    ]
    root = _parse(S.span_chart("stages", rows, "seconds", 10.0))
    spans = _rects(root, "span")
    assert [(s.get("data-start"), s.get("data-end")) for s in spans] == [
        ("0.0", "2.0"),
        ("1.0", "9.0"),
        ("9.5", "9.5"),
    ]
    x = [float(s.get("x")) for s in spans]
    w = [float(s.get("width")) for s in spans]
    assert w[1] == pytest.approx(4 * w[0], abs=0.1)  # 8 s against 2 s
    assert x[1] - x[0] == pytest.approx(w[0] / 2, abs=0.1)  # starts 1 s later
    assert w[2] == 2.0  # a zero-length span still shows
    assert _texts(root, "label") == ["read", "fetch", "write"]
    assert _texts(root, "value") == ["100 in 2.00 s", "90 in 8.00 s", "90"]
    assert _texts(root, "xtick") == ["0", "2", "4", "6", "8", "10"]


def test_aspect_ratio_axis_is_labelled_with_named_ratios():
    assert S.aspect_ticks(0.7, 1.5) == [(0.75, "3:4"), (1.0, "1:1"), (4 / 3, "4:3"), (1.5, "3:2")]
    wide = S.aspect_ticks(0.2, 5)  # too many fit: only the common ones
    assert [label for _, label in wide] == ["1:4", "1:2", "3:4", "1:1", "4:3", "2:1", "4:1"]
    root = _parse(S.histogram("aspect", {"a": [0.5, 1.0, 1.0, 2.0]}, "w : h", named_ticks=S.aspect_ticks))
    assert _texts(root, "xtick") == ["1:2", "3:4", "1:1", "4:3", "2:1"]  # 8 fit 1:2..2:1: thinned
    # with fewer than two named ratios in range, the numbers stay
    root = _parse(S.histogram("aspect", {"a": [1.01, 1.2]}, "w : h", named_ticks=S.aspect_ticks))
    assert all(":" not in t for t in _texts(root, "xtick"))


@pytest.mark.parametrize("seed", range(30))
def test_nice_ticks_cover_the_range_with_round_even_steps(seed):
    rng = random.Random(seed)
    lo = rng.choice([0, rng.uniform(-1e3, 1e3)])
    hi = lo + 10 ** rng.uniform(-3, 7)
    ticks = S.nice_ticks(lo, hi)
    assert ticks[0] <= lo and ticks[-1] >= hi and 3 <= len(ticks) <= 12
    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0])
    assert f"{steps[0]:.3e}"[:5] in ("1.000", "2.000", "5.000")  # 1, 2 or 5 times a power of ten
    assert all(t == int(t) for t in S.nice_ticks(0, 3, integer=True))


def test_log_ticks_and_labels():
    assert S.log_ticks(3, 5000) == [10, 100, 1000]
    assert S.log_ticks(0.05, 0.3) == [0.05, 0.1, 0.2]  # under two decades: 1-2-5 steps
    assert S.log_ticks(96, 240) == [100, 150, 200]  # inside one decade: round linear steps
    assert S.log_ticks(31, 40) == [32, 34, 36, 38, 40]
    assert [S.fmt(v) for v in (0, 0.01, 0.25, 250, 1000, 2500, 1234, 10_000, 3e6)] == [
        "0",
        "0.01",
        "0.25",
        "250",
        "1k",
        "2.5k",
        "1234",
        "10k",
        "3M",
    ]

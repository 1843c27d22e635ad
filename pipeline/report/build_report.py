"""`report.html` next to a build's `manifest.json`: what the build kept, what it dropped and why,
pictures of both, and how fast each stage ran.

One self-contained HTML file (pipeline/report/page.py: inline SVG charts, inline JPEG
thumbnails, no scripts, a Content-Security-Policy that allows no request) so it opens offline
from a bucket download. The page reads top down: a summary (kept, dropped, top reasons, time),
galleries of kept samples and of rejected inputs (pipeline/report/galleries.py), the stage
throughput the driver recorded in the manifest (pipeline/report/throughput_view.py), then the
counts and distributions, each chart under its heading.

Per-sample numbers come from the parquet sidecars (`NAME-SSSSS.parquet`) and the rejects tables
(`rejects-SSSSS.parquet`); columns differ by job (pairs: width/height/caption; m3w: texts/images;
videos: width/height/caption), so every chart is drawn only from the columns that exist, and only
those columns are read. The report runs on one machine after the build, so its cost is bounded
whatever the build's size: every rejects table is read (two columns, counted by Arrow), but the
distributions come from at most MAX_SIDECARS sidecars, evenly spaced over the shards (the page says
so when it samples), and the galleries open a few shards. `flamingo report DIR` regenerates it;
`run_job` calls `write_report` after the manifest, and a report failure is logged and written to
`report_error.txt`, never raised.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import logging
import re
import traceback
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from pipeline.io.shard_files import read_parquet
from pipeline.report import charts as svg_charts
from pipeline.report import galleries
from pipeline.report.galleries import evenly_spaced
from pipeline.report.page import chart, esc, page
from pipeline.report.throughput_view import bound_sentence, throughput_section
from schemas.manifest import MANIFEST_NAME, shard_names

log = logging.getLogger(__name__)

REPORT_NAME = "report.html"
ERROR_NAME = "report_error.txt"
LANGUAGE_KEYS = ("language", "lang")
TOP_LANGUAGES = 15
# Sidecars read for the distributions: 256 shards of 1000 samples is a quarter-million samples.
MAX_SIDECARS = 256
SIDECAR_COLUMNS = [
    "original_width",
    "original_height",
    "width",
    "height",
    "images",
    "texts",
    "caption",
    "text",
    *LANGUAGE_KEYS,
    "metadata",
    "extra",
]
# What can go wrong while drawing a report from files a build just wrote: unreadable or odd files
# (OSError incl. Beam's BeamIOError, Arrow errors), unexpected values (ValueError/TypeError/KeyError
# from malformed JSON cells or stats, e.g. numpy's binning). Anything else is a bug and raises.
REPORT_ERRORS = (OSError, ValueError, TypeError, KeyError, pa.ArrowException)  # SchemaError is a ValueError


@dataclass
class ReportData:
    image_sizes: list[tuple[int, int]] = field(default_factory=list)  # (width, height) of source images
    text_lengths: list[int] = field(default_factory=list)  # characters per sample
    languages: Counter[str] = field(default_factory=Counter)
    rejects_by_stage_reason: Counter[tuple[str, str]] = field(default_factory=Counter)
    sidecars_read: int = 0
    sidecars_total: int = 0


def _match(pattern: str) -> list[Any]:
    return sorted((m for r in FileSystems.match([pattern]) for m in r.metadata_list), key=lambda m: m.path)


def _pairs(widths: list, heights: list) -> list[tuple[int, int]]:
    return [(int(w), int(h)) for w, h in zip(widths, heights, strict=True) if w and h and w > 0 and h > 0]


def _image_sizes(table: pa.Table) -> list[tuple[int, int]]:
    names = set(table.column_names)
    # Source sizes say more about the crawl than the resized ones (which are all image_size).
    for w, h in (("original_width", "original_height"), ("width", "height")):
        if {w, h} <= names:
            sizes = _pairs(table[w].to_pylist(), table[h].to_pylist())
            if sizes:
                return sizes
    if "images" in names:  # m3w documents: a list of ImageRef structs per row
        refs = [im for row in table["images"].to_pylist() if row for im in row if im]
        for w, h in (("original_width", "original_height"), ("width", "height")):
            sizes = _pairs([im.get(w) for im in refs], [im.get(h) for im in refs])
            if sizes:
                return sizes
    return []


def _text_lengths(table: pa.Table) -> list[int]:
    names = set(table.column_names)
    if "texts" in names:
        return [sum(len(t) for t in row if t) for row in table["texts"].to_pylist() if row is not None]
    for col in ("caption", "text"):
        if col in names:
            return [len(t) for t in table[col].to_pylist() if t is not None]
    return []


def _languages(table: pa.Table) -> Counter[str]:
    names = set(table.column_names)
    for col in LANGUAGE_KEYS:
        if col in names:
            return Counter(str(v) for v in table[col].to_pylist() if v)
    out: Counter[str] = Counter()
    for col in ("metadata", "extra"):
        if col not in names:
            continue
        for cell in table[col].to_pylist():
            meta = json.loads(cell) if isinstance(cell, str) and cell else cell
            if isinstance(meta, dict):
                lang = next((meta[k] for k in LANGUAGE_KEYS if meta.get(k)), None)
                if lang:
                    out[str(lang)] += 1
    return out


def collect(output_dir: str, manifest: dict[str, Any]) -> ReportData:
    data = ReportData()
    # the manifest's shards only: files an earlier run left in a reused folder are not this build
    tars = shard_names(manifest, f"{output_dir}/{MANIFEST_NAME}")
    sidecars = [FileSystems.join(output_dir, tar[: -len(".tar")] + ".parquet") for tar in tars]
    data.sidecars_total = len(sidecars)
    for path in evenly_spaced(sidecars, MAX_SIDECARS):
        table = read_parquet(path, SIDECAR_COLUMNS)
        data.sidecars_read += 1
        data.image_sizes += _image_sizes(table)
        data.text_lengths += _text_lengths(table)
        data.languages += _languages(table)
    for rejects_file in rejects_files(manifest, output_dir):
        table = read_parquet(rejects_file, ["stage", "reason"])
        if {"stage", "reason"} <= set(table.column_names) and table.num_rows:
            counts = table.group_by(["stage", "reason"]).aggregate([([], "count_all")])
            data.rejects_by_stage_reason.update(
                dict(
                    zip(
                        zip(counts["stage"].to_pylist(), counts["reason"].to_pylist(), strict=True),
                        counts["count_all"].to_pylist(),
                        strict=True,
                    )
                )
            )
    return data


REJECTS_FILE = re.compile(r"^rejects-\d{5}\.parquet$")


def rejects_files(manifest: dict[str, Any], output_dir: str) -> list[str]:
    """The rejects tables the manifest lists (plain names inside the build folder only)."""
    names = manifest.get("rejects_files", [])
    bad = [n for n in names if not isinstance(n, str) or not REJECTS_FILE.match(n)]
    if bad:
        raise ValueError(
            f"{output_dir}/{MANIFEST_NAME}: rejects_files names {bad[0]!r}, not rejects-SSSSS.parquet"
        )
    return [FileSystems.join(output_dir, n) for n in names]


# -- charts ---------------------------------------------------------------------------------------


def charts(manifest: dict[str, Any], data: ReportData) -> list[tuple[str, str]]:
    """(heading, inline <svg>) for every chart the manifest and the data can fill."""
    barh, hist = svg_charts.bar_chart, svg_charts.histogram
    out = []
    funnel = {"inputs": manifest.get("inputs", 0), "written": manifest.get("written", 0)}
    funnel.update({f"rejected: {k}": v for k, v in manifest.get("rejected_by_stage", {}).items()})
    out.append(("Counts per stage", barh("inputs, rejects per stage, written", funnel, "inputs")))
    if manifest.get("rejected_by_reason"):
        out.append(
            ("Rejects by reason", barh("rejected inputs by reason", manifest["rejected_by_reason"], "inputs"))
        )
    if manifest.get("image_rejected_by_reason"):
        out.append(
            (
                "Image rejects by reason",
                barh("image slots removed from kept pages", manifest["image_rejected_by_reason"], "images"),
            )
        )
    if data.image_sizes:
        widths, heights = zip(*data.image_sizes, strict=True)
        out.append(
            (
                "Image sizes",
                hist("width and height of the source images", {"width": widths, "height": heights}, "pixels"),
            )
        )
        aspects = [w / h for w, h in data.image_sizes]
        out.append(
            (
                "Aspect ratios",
                hist(
                    "source images by aspect ratio (wide to the right)",
                    {"aspect": aspects},
                    "width : height",
                    named_ticks=svg_charts.aspect_ticks,
                ),
            )
        )
    if data.text_lengths:
        lengths = [max(n, 1) for n in data.text_lengths]
        out.append(
            ("Text lengths", hist("characters of text per sample", {"characters": lengths}, "characters"))
        )
    if data.languages:
        top = dict(data.languages.most_common(TOP_LANGUAGES))
        out.append(("Languages", barh(f"samples per language (top {TOP_LANGUAGES})", top, "samples")))
    return out


# -- html -----------------------------------------------------------------------------------------


def _table(rows: list[tuple[Any, ...]], header: tuple[str, ...]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _top(counts: dict[str, int], n: int = 3) -> str:
    items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    text = ", ".join(f"{k} {v:,}" for k, v in items[:n])
    return text + (f" and {len(items) - n} more" if len(items) > n else "")


def human_bytes(n: float) -> str:
    """1,023 bytes, 30.5 KiB, 356.5 KiB, 5.0 GiB."""
    if n < 1024:
        return f"{int(n):,} bytes"
    n /= 1024
    for unit in ("KiB", "MiB"):
        if n < 1024:
            return f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} GiB"


def summary(manifest: dict[str, Any]) -> str:
    """The page's first paragraph: kept, dropped, top reasons, time (plain text)."""
    inputs, written, rejected = (manifest.get(k, 0) for k in ("inputs", "written", "rejected"))
    share = f" ({written / inputs:.1%})" if inputs else ""
    lines = [f"Kept {written:,} of {inputs:,} inputs{share}; dropped {rejected:,}."]
    if manifest.get("rejected_by_reason"):
        lines.append(f"Top reasons: {_top(manifest['rejected_by_reason'])}.")
    image = manifest.get("image_rejected_by_reason") or {}
    if image:
        lines.append(f"{sum(image.values()):,} image slots removed from kept pages ({_top(image)}).")
    if manifest.get("conservation_ok") is False:
        lines.append("Inputs are NOT all accounted for (conservation_ok is false).")
    if manifest.get("throughput"):
        lines.append(bound_sentence(manifest["throughput"]))
    shards = manifest.get("num_shards", 0)
    lines.append(
        f"{shards:,} shard{'' if shards == 1 else 's'}, {human_bytes(manifest.get('total_bytes', 0))}."
    )
    return " ".join(lines)


def render_html(manifest: dict[str, Any], data: ReportData, output_dir: str | None = None) -> str:
    """The page; with `output_dir` (the build folder) it holds the galleries too."""
    title = f"{manifest.get('job', '?')} build: {manifest.get('name', '?')}"
    facts = [
        (k, manifest.get(k, ""))
        for k in ("created", "inputs", "written", "rejected", "conservation_ok", "num_shards", "total_bytes")
    ]
    body = [f'<p class="summary">{esc(summary(manifest))}</p>', _table(facts, ("", ""))]
    if output_dir is not None:
        budget = galleries.Budget()
        kept = galleries.kept_section(output_dir, manifest, budget)
        if kept:
            body += ["<h2>Kept samples</h2>", kept]
        dropped = galleries.rejects_section(output_dir, data.rejects_by_stage_reason, budget)
        if dropped:
            body += ["<h2>Rejected inputs</h2>", dropped]
        if budget.refused:
            body.append(
                f'<p class="warn">{budget.refused} thumbnails were left out to keep the page small.</p>'
            )
    body += ["<h2>Throughput</h2>", throughput_section(manifest.get("throughput"))]
    rejects = sorted(data.rejects_by_stage_reason.items(), key=lambda kv: (-kv[1], kv[0]))
    body += [
        "<h2>Rejects by stage and reason</h2>",
        _table([(s, r, n) for (s, r), n in rejects], ("stage", "reason", "count"))
        if rejects
        else "<p>none</p>",
        "<h2>Counts and distributions</h2>",
    ]
    if data.sidecars_read < data.sidecars_total:
        body.append(
            f"<p>Image sizes, text lengths and languages below are drawn from {data.sidecars_read} "
            f"of the {data.sidecars_total} shards, evenly spaced; counts and rejects are from all.</p>"
        )
    body += [chart(heading, svg) for heading, svg in charts(manifest, data)]
    stamp = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    body.append(f"<p><small>generated {stamp} by pipeline/report/build_report.py</small></p>")
    return page(title, body)


def _write_text(path: str, text: str) -> None:
    with FileSystems.create(path) as f:
        f.write(text.encode("utf-8"))


def render_report(output_dir: str, manifest: dict[str, Any]) -> str:
    """Write report.html (raises on failure); returns its path."""
    path = FileSystems.join(output_dir, REPORT_NAME)
    _write_text(path, render_html(manifest, collect(output_dir, manifest), output_dir))
    error_path = FileSystems.join(output_dir, ERROR_NAME)
    if FileSystems.exists(error_path):  # a stale error from an earlier attempt no longer holds
        FileSystems.delete([error_path])
    return path


def write_report(output_dir: str, manifest: dict[str, Any]) -> str | None:
    """Like `render_report`, but a failure is logged and written to report_error.txt, not raised:
    the shards and manifest are the build's product; the report only describes them."""
    try:
        return render_report(output_dir, manifest)
    except REPORT_ERRORS as exc:
        log.warning("report for %s failed (%s: %s); see %s", output_dir, type(exc).__name__, exc, ERROR_NAME)
        detail = traceback.format_exc()
    try:
        _write_text(FileSystems.join(output_dir, ERROR_NAME), detail)
    except OSError as exc:
        log.error("could not record the report failure in %s either: %s\n%s", output_dir, exc, detail)
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flamingo report", description="regenerate report.html for a build")
    parser.add_argument("dir", help="build output directory holding manifest.json (local, gs://, s3://)")
    args = parser.parse_args(argv)
    manifest_path = FileSystems.join(args.dir, MANIFEST_NAME)
    if not FileSystems.exists(manifest_path):
        parser.error(f"no {MANIFEST_NAME} in {args.dir}: is it a finished build directory?")
    with FileSystems.open(manifest_path) as f:
        manifest = json.loads(f.read().decode("utf-8"))
    log.info("wrote %s", render_report(args.dir, manifest))
    return 0

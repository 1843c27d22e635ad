"""The demo's report.html: a summary, counts per stage with links to each build's own report,
rejects by reason, loss curves, and the eval results with each prediction beside its query image
and its prompt's support images (demo/examples.py).

One self-contained page: the loss chart (also written as loss.png beside it) and the thumbnails
are inline data, and the Content-Security-Policy of pipeline/report/page.py forbids any request.
"""

from __future__ import annotations

import base64
import html
import logging
import os
from pathlib import Path
from typing import Any

from demo.examples import examples_section
from pipeline.report.page import CSP, STYLE

log = logging.getLogger(__name__)

EXTRA_STYLE = (
    ".example{display:flex;gap:1.5em;margin:.8em 0;align-items:flex-start}.query{width:180px;margin:0}"
)


def plot_losses(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers and CI
    import matplotlib.pyplot as plt

    train = report["train"]
    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    steps = range(1, len(train["loss"]) + 1)
    ax.plot(steps, train["loss"], label="total (Σ λ·NLL)", linewidth=2)
    for name, losses in train["loss_by_dataset"].items():
        ax.plot(steps, losses, label=f"{name} (λ={train['weights'][name]})", alpha=0.7)
    ax.set_xlabel("optimizer step")
    ax.set_ylabel("loss (nats / token)")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def plot_shots_curve(ev: dict[str, Any], path: Path) -> bool:
    """Accuracy against shots (mean ± spread over seeds), RICES and random support, with the
    images-shuffled control and chance; False when the report has no curve."""
    detail = ev.get("shots_curve_detail")
    if not detail:
        return False
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5), dpi=100)
    for name, curve in detail.items():
        shots = [int(k) for k in curve["mean"]]
        ax.errorbar(
            shots, list(curve["mean"].values()), yerr=list(curve["spread"].values()), capsize=3, label=name
        )
        control = curve["shuffled_images"]
        if control["mean"] is not None:
            ax.errorbar(
                [control["shots"]],
                [control["mean"]],
                yerr=[control["spread"]],
                fmt="x",
                capsize=3,
                label=f"{name}, images shuffled",
            )
    ax.axhline(ev["chance"], color="gray", linestyle=":", label="chance")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xticks(shots, [str(k) for k in shots])
    ax.set_xlabel("shots (support examples in the prompt)")
    ax.set_ylabel("accuracy")
    ax.grid(alpha=0.3)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return True


def _binding_section(binding: dict[str, Any] | None) -> str:
    if not binding:
        return "<p>not measured</p>"
    spread = binding.get("spread", {})
    rows = [
        [title, f"{binding[key]:.3f}", f"{spread[key]:.3f}" if key in spread else ""]
        for key, title in (
            ("accuracy", "with the named support pictures"),
            ("zero_shot", "zero-shot (query picture only)"),
            ("shuffled_support", "support pictures shuffled across names"),
            ("chance", "chance (1 / names)"),
        )
    ]
    return (
        f"<p>{html.escape(binding.get('measure', ''))}; {binding['episodes']} held-out episodes, names "
        f"never seen in training; mean over seeds {binding.get('seeds')}.</p>"
        + _table(rows, ["measure", "accuracy", "spread"])
    )


def _table(rows: list[list[Any]], header: list[str]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _jobs_section(jobs: dict[str, dict[str, Any]], out: Path) -> str:
    rows = [
        [
            name,
            j.get("status"),
            j.get("inputs", ""),
            j.get("written", ""),
            j.get("rejected", ""),
            j.get("num_shards", ""),
            j.get("seconds", ""),
        ]
        for name, j in jobs.items()
    ]
    parts = [_table(rows, ["job", "status", "inputs", "written", "rejected", "shards", "seconds"])]
    links = [
        f'<a href="{html.escape(Path(os.path.relpath(j["dir"], out)).as_posix())}/report.html">'
        f"{html.escape(name)}</a>"
        for name, j in jobs.items()
        if j.get("status") == "ok" and j.get("dir")
    ]
    if links:
        parts.append(f"<p>Each build's own report (samples, rejects, throughput): {', '.join(links)}.</p>")
    for name, j in jobs.items():
        for field, title in (
            ("rejected_by_reason", "rejects by reason"),
            ("image_rejected_by_reason", "image rejects"),
        ):
            if j.get(field):
                parts.append(
                    f"<h3>{html.escape(name)}: {title}</h3>"
                    + _table(sorted(j[field].items()), ["reason", "count"])
                )
    return "".join(parts)


def _eval_section(ev: dict[str, Any], pairs_dir: str | None) -> str:
    rows = [
        ["accuracy (images in place)", f"{ev['accuracy']:.3f}"],
        ["accuracy, images shuffled across examples", f"{ev['accuracy_shuffled_images']:.3f}"],
        ["chance (1 / candidates)", f"{ev['chance']:.3f}"],
        [
            "zero-shot trick (2 text-only examples), ranked",
            f"{ev.get('accuracy_zero_shot', float('nan')):.3f}",
        ],
        ["generation, normalised exact match", f"{ev.get('generation_exact_match', float('nan')):.3f}"],
    ]
    return (
        f"<p>{html.escape(ev.get('measure', ''))}; {ev['queries']} held-out images, "
        f"{ev['candidates']} candidates.</p>"
        + _table(rows, ["measure", "value"])
        + "<h3>First predictions, with their images</h3>"
        + examples_section(ev, pairs_dir)
    )


def _summary(report: dict[str, Any]) -> str:
    """The first paragraph: what each job kept and dropped, the eval result against chance, time."""
    built = [
        f"{name} kept {j['written']:,} of {j['inputs']:,} (dropped {j['rejected']:,})"
        for name, j in report["jobs"].items()
        if j.get("status") == "ok"
    ]
    ev, t = report["eval"], report.get("timings_s", {})
    return (
        f"Builds: {'; '.join(built) or 'none'}. Few-shot captioning on {ev['queries']} held-out images: "
        f"accuracy {ev['accuracy']:.3f} against chance {ev['chance']:.3f} "
        f"({ev['accuracy_shuffled_images']:.3f} with images shuffled). Total time {t.get('total', '?')} s."
    )


def write_report(out: Path, report: dict[str, Any]) -> Path:
    plot_losses(report, out / "loss.png")
    loss_uri = "data:image/png;base64," + base64.b64encode((out / "loss.png").read_bytes()).decode("ascii")
    pairs_dir = report["jobs"].get("pairs", {}).get("dir")
    curve = plot_shots_curve(report["eval"], out / "shots.png")
    binding_html = _binding_section(report["eval"].get("binding"))
    curve_html = (
        '<img src="data:image/png;base64,'
        + base64.b64encode((out / "shots.png").read_bytes()).decode("ascii")
        + '" alt="accuracy against shots">'
        if curve
        else "<p>not measured</p>"
    )
    train, timings = report["train"], report.get("timings_s", {})
    sample = report.get("sample_web", {})
    sample_rows = [[k, v] for k, v in sample.items() if not isinstance(v, dict)]
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}"><title>flamingo demo</title>
<style>{STYLE}{EXTRA_STYLE}</style></head><body>
<h1>Flamingo demo: sample web → shards → tiny Flamingo → few-shot captioning</h1>
<p class="summary">{html.escape(_summary(report))}</p>
<h2>1. Sample web</h2>{_table(sample_rows, ["item", "count"])}
<h2>2. Build jobs (counts per stage, rejects by reason)</h2>{_jobs_section(report["jobs"], out)}
<h2>3. Training</h2><p>{train["steps"]} steps in {train["seconds"]} s (demo LM pretraining
{train.get("lm_pretrain_seconds", "?")} s); loss {train["loss"][0]:.3f} → {train["loss"][-1]:.3f};
skipped samples {html.escape(str(train.get("data_errors", {})))}.</p><img src="{loss_uri}" alt="loss curves">
<h2>4. Few-shot captioning on held-out images</h2>{_eval_section(report["eval"], pairs_dir)}
<h2>5. In-context learning: accuracy against shots</h2>{curve_html}
<h2>6. Fast binding: invented names only the context gives</h2>{binding_html}
<h2>Timings (s)</h2>{_table(sorted(timings.items()), ["stage", "seconds"])}
</body></html>"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    log.info("wrote %s", path)
    return path

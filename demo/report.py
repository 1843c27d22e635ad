"""The demo's report.html: counts per stage, rejects by reason, loss curves, eval results.

Static files only (one HTML page and one PNG next to it), viewable offline.
"""

from __future__ import annotations

import html
import logging
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


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


def _jobs_section(jobs: dict[str, dict[str, Any]]) -> str:
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


def _eval_section(ev: dict[str, Any]) -> str:
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
    examples = [
        [e["key"], e["truth"], e["prediction"], "yes" if e["correct"] else "no"]
        for e in ev.get("examples", [])
    ]
    return (
        f"<p>{html.escape(ev.get('measure', ''))}; {ev['queries']} held-out images, "
        f"{ev['candidates']} candidates.</p>"
        + _table(rows, ["measure", "value"])
        + "<h3>first predictions</h3>"
        + _table(examples, ["image", "truth", "prediction", "correct"])
    )


def write_report(out: Path, report: dict[str, Any]) -> Path:
    plot_losses(report, out / "loss.png")
    curve = plot_shots_curve(report["eval"], out / "shots.png")
    binding_html = _binding_section(report["eval"].get("binding"))
    curve_html = '<img src="shots.png" alt="accuracy against shots">' if curve else "<p>not measured</p>"
    train, timings = report["train"], report.get("timings_s", {})
    sample = report.get("sample_web", {})
    sample_rows = [[k, v] for k, v in sample.items() if not isinstance(v, dict)]
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>flamingo demo</title>
<style>body{{font-family:sans-serif;max-width:60em;margin:2em auto}}
table{{border-collapse:collapse;margin:.5em 0}}
td,th{{border:1px solid #ccc;padding:.2em .6em;text-align:left}}</style></head><body>
<h1>Flamingo demo: sample web → shards → tiny Flamingo → few-shot captioning</h1>
<h2>1. Sample web</h2>{_table(sample_rows, ["item", "count"])}
<h2>2. Build jobs (counts per stage, rejects by reason)</h2>{_jobs_section(report["jobs"])}
<h2>3. Training</h2><p>{train["steps"]} steps in {train["seconds"]} s (demo LM pretraining
{train.get("lm_pretrain_seconds", "?")} s); loss {train["loss"][0]:.3f} → {train["loss"][-1]:.3f};
skipped samples {html.escape(str(train.get("data_errors", {})))}.</p><img src="loss.png" alt="loss curves">
<h2>4. Few-shot captioning on held-out images</h2>{_eval_section(report["eval"])}
<h2>5. In-context learning: accuracy against shots</h2>{curve_html}
<h2>6. Fast binding: invented names only the context gives</h2>{binding_html}
<h2>Timings (s)</h2>{_table(sorted(timings.items()), ["stage", "seconds"])}
</body></html>"""
    path = out / "report.html"
    path.write_text(page, encoding="utf-8")
    log.info("wrote %s", path)
    return path

"""`flamingo demo`: the mission on the embedded sample web, offline, in minutes on a laptop CPU.

    flamingo demo --output out/demo          (what `make demo` runs)

1. write the sample web (pages, images, clips, a WARC, lists, a held-out eval split);
2. serve it on a loopback HTTP server;
3. build the shards with each Beam job that exists: pairs (fetched over HTTP), m3w (from the
   WARC), videos (fetched over HTTP); a missing job is skipped and reported;
4. train a tiny Flamingo by streaming those shards (paper objective: every step accumulates
   λ_m × NLL over every dataset);
5. evaluate few-shot captioning (4 RICES shots) on the held-out images: each query's
   candidate captions (the eval split's distinct captions) are ranked by the model's
   likelihood; accuracy = fraction whose top caption is the truth. The same with images
   shuffled across examples, and chance (1 / #candidates), say whether the model reads images;
6. in-context learning (demo/icl.py): the same accuracy at 0, 1, 2, 4, 8 shots, RICES and random
   support, over seeds, and the fast-binding task (invented names only the prompt gives).
Writes OUTPUT/report.json and OUTPUT/report.html (see demo/report.py).
"""

from __future__ import annotations

import argparse
import importlib
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import Any

from demo.sample.quiz import SYLLABLES

log = logging.getLogger(__name__)

JOBS = ("pairs", "m3w", "videos")
IMAGE_SIZE = 64  # what the jobs store; the tiny model reads 32 x 32 (JPEG draft decode halves it)
# Words of the sample web's caption grammar and prompt that the tiny preset's corpus lacks.
EXTRA_WORDS = "cross moving up down output"
# ...and of the kids' corner (demo/sample/quiz.py): the syllables of its invented names, "-", "again".
NAMING_WORDS = " ".join((*SYLLABLES, "-", "again"))
# λ_m: M3W 1.0 as in the paper (M3W 1.0, ALIGN 0.2, LTIP 0.2, VTP 0.03 at scale): its pages are
# what teaches in-context use. Pairs packed 10 to a sequence and M3W windows of up to 10 images:
# the tiny model reads prompts with as many images as it trained on and no more (measured: with
# pack 8, 4 shots 0.675 but 8 shots, a prompt of 9 images, 0.20; with pack 10, 8 shots 0.65).
# M3W's p_next (the chance that a page's text attaches to the next image, paper 0.5) is 0: the
# sample web captions each figure below its picture, and a caption moved to the next picture binds
# a name to the wrong one.
DATASETS = {
    "pairs": dict(
        kind="pairs", weight=1.0, batch_size=4, pack=10, template="Output: {caption}", max_length=32
    ),
    "m3w": dict(
        kind="m3w", weight=1.0, batch_size=4, max_length=128, options={"max_images": 10, "p_next": 0.0}
    ),
    "videos": dict(kind="videos", weight=0.1, batch_size=2, template="Output: {caption}", max_length=32),
}
# The demo LM's pretraining: windows as long as an 8-shot prompt (positions past the pretraining
# length would be untrained in the frozen LM), and copy rows that grow induction heads first.
LM_PRETRAINING = dict(seq_len=160, batch_size=16, copy_fraction=0.25)  # copy_steps: lm_steps // 3


def _job_args(job: str, sample: Path, live: dict[str, Path], out: Path) -> list[str]:
    # --eval-csv: every job drops training samples that copy a held-out eval image or text, as the
    # paper deduplicates its training data against its evaluation sets.
    common = [
        "--output",
        str(out),
        "--image-size",
        str(IMAGE_SIZE),
        "--no-progress",
        "--samples-per-shard",
        "64",
        "--eval-csv",
        str(sample / "eval" / "eval.csv"),
    ]
    if job == "pairs":
        return ["--input", str(live["pairs"]), "--allow-private", *common]
    if job == "videos":
        return ["--input", str(live["videos"]), "--allow-private", "--num-frames", "4", *common]
    # The articles and the kids' corner (picture series, naming quizzes), crawled apart.
    warcs = ",".join(str(sample / name) for name in ("sample.warc.gz", "series.warc.gz", "quiz.warc.gz"))
    return ["--input", warcs, "--fetch-images", "warc", *common]


def build_shards(sample: Path, shards: Path, jobs: tuple[str, ...] = JOBS) -> dict[str, dict[str, Any]]:
    """Serve the sample web and run each existing job; returns {job: manifest summary or status}."""
    from demo.sample import serve_site, write_lists

    results: dict[str, dict[str, Any]] = {}
    with serve_site(sample / "site") as base_url:
        live = write_lists(sample, base_url, sample.parent / "live")
        for job in jobs:
            try:
                module = importlib.import_module(f"pipeline.jobs.{job}")
            except ModuleNotFoundError as exc:
                if exc.name != f"pipeline.jobs.{job}":
                    raise
                results[job] = {"status": "missing"}
                log.warning("job %s does not exist yet; skipped", job)
                continue
            t0 = time.perf_counter()
            manifest = module.run(_job_args(job, sample, live, shards / job))
            results[job] = {
                "status": "ok",
                "seconds": round(time.perf_counter() - t0, 1),
                "dir": str(shards / job),
                **{
                    k: manifest[k]
                    for k in (
                        "inputs",
                        "written",
                        "rejected",
                        "rejected_by_reason",
                        "image_rejected_by_reason",
                        "num_shards",
                        "total_bytes",
                    )
                    if k in manifest
                },
            }
            log.info("%s: %s", job, {k: v for k, v in results[job].items() if k != "dir"})
    return results


def train_and_eval(
    out: Path,
    jobs: dict[str, dict[str, Any]],
    eval_csv: Path,
    *,
    num_steps: int,
    seed: int = 0,
    shots: int = 4,
    progress: bool = True,
    lm_steps: int = 300,
    max_queries: int | None = None,
    icl_seeds: tuple[int, ...] | None = None,
    max_episodes: int | None = None,
) -> dict[str, Any]:
    import torch

    from demo.icl import SEEDS, evaluate_in_context
    from demo.lm import pretrain_lm, shard_texts
    from flamingo.eval.fewshot import evaluate, load_csv, load_pairs
    from flamingo.model.config import DEFAULT_TINY_CORPUS, FlamingoConfig
    from flamingo.model.flamingo import Flamingo
    from flamingo.train.config import TrainConfig
    from flamingo.train.trainer import train

    # Tiny models run fastest on one thread (several spin against each other on 2 cores).
    torch.set_num_threads(1)
    datasets = [
        {"name": name, "urls": jobs[name]["dir"], **spec}
        for name, spec in DATASETS.items()
        if jobs.get(name, {}).get("written")
    ]
    if not any(d["name"] == "pairs" for d in datasets):
        raise RuntimeError(f"the demo needs pair shards to learn captioning; jobs: {jobs}")
    t_lm = time.perf_counter()
    corpus = (*DEFAULT_TINY_CORPUS, EXTRA_WORDS, NAMING_WORDS)
    tiny = FlamingoConfig.preset("tiny")
    lm_dir = pretrain_lm(
        shard_texts([(d["kind"], d["urls"]) for d in datasets]),
        out / "lm",
        corpus=corpus,
        lm_config=tiny.lm_config,
        steps=lm_steps,
        seed=seed,
        copy_steps=lm_steps // 3,
        **LM_PRETRAINING,
    )
    lm_seconds = time.perf_counter() - t_lm
    model = Flamingo(tiny.replace(lm_config=None, lm_path=lm_dir, tokenizer_path=lm_dir, init_seed=seed))
    cfg = TrainConfig(
        output_dir=str(out / "train"),
        datasets=datasets,
        num_steps=num_steps,
        learning_rate=3e-3,
        warmup_steps=max(1, num_steps // 20),
        min_lr_ratio=0.05,
        weight_decay=0.01,
        seed=seed,
        log_every=max(1, num_steps // 10),
        resume=False,
        progress=progress,
    )
    result = train(cfg, model=model)
    support = load_pairs(jobs["pairs"]["dir"], model.image_size)
    queries = load_csv(str(eval_csv), model.image_size)[:max_queries]
    t0 = time.perf_counter()
    real = evaluate(model, support, queries, shots=shots, retrieval="rices", method="rank", seed=seed)
    shuffled = evaluate(
        model, support, queries, shots=shots, retrieval="rices", method="rank", seed=seed, shuffle_images=True
    )
    generated = evaluate(
        model, support, queries, shots=shots, retrieval="rices", method="generate", seed=seed
    )
    # The paper's zero-shot trick (two text-only examples, then the query image), ranked alike.
    zero_shot = evaluate(model, support, queries, shots=0, method="rank", seed=seed)
    eval_seconds = time.perf_counter() - t0
    icl = evaluate_in_context(
        model,
        support,
        queries,
        eval_csv.parent / "binding" / "episodes.jsonl",
        seeds=icl_seeds or SEEDS,
        max_episodes=max_episodes,
    )
    return {
        "train": {
            "steps": result.steps,
            "seconds": round(result.seconds, 1),
            "lm_pretrain_seconds": round(lm_seconds, 1),
            "loss": [round(r["loss"], 4) for r in result.history],
            "loss_by_dataset": {
                d["name"]: [round(r[f"loss/{d['name']}"], 4) for r in result.history] for d in datasets
            },
            "weights": {d["name"]: d["weight"] for d in datasets},
            "data_errors": result.data_errors,
        },
        "eval": {
            "accuracy": real.accuracy,
            "accuracy_shuffled_images": shuffled.accuracy,
            "chance": real.chance,
            "generation_exact_match": generated.accuracy,
            "accuracy_zero_shot": zero_shot.accuracy,
            "queries": real.num_queries,
            "candidates": round(1 / real.chance),
            "shots": shots,
            "retrieval": "rices",
            "seconds": round(eval_seconds, 1),
            "measure": "top-1 of the eval split's distinct captions ranked by log-likelihood after a "
            f"{shots}-shot RICES prompt '<image>Output: caption<|endofchunk|>'",
            "examples": real.predictions[:8],
            "query_dir": str(eval_csv.parent),  # the examples' keys are image paths relative to it
            **icl,
        },
    }


def run(
    output: str,
    *,
    num_steps: int = 2000,
    seed: int = 0,
    jobs: tuple[str, ...] = JOBS,
    num_pages: int = 50,
    **train_eval_options: Any,
) -> dict[str, Any]:
    """The whole demo; `train_eval_options` go to `train_and_eval` (the smoke test shrinks them)."""
    from demo.report import write_report
    from demo.sample import write_sample_web

    out = Path(output)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    sample = out / "sample"
    info = write_sample_web(sample, seed=seed, num_pages=num_pages)
    timings = {"sample_web": round(time.perf_counter() - t0, 1)}
    t1 = time.perf_counter()
    job_results = build_shards(sample, out / "shards", jobs)
    timings["jobs"] = round(time.perf_counter() - t1, 1)
    t2 = time.perf_counter()
    results = train_and_eval(
        out, job_results, sample / "eval" / "eval.csv", num_steps=num_steps, seed=seed, **train_eval_options
    )
    timings["train_eval"] = round(time.perf_counter() - t2, 1)
    timings["total"] = round(time.perf_counter() - t0, 1)
    report = {"sample_web": info.get("counts", {}), "jobs": job_results, **results, "timings_s": timings}
    with open(out / "report.json", "w", encoding="utf-8") as f:
        json.dump(report, f, indent=2, default=str)
    write_report(out, report)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flamingo demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", default="out/demo")
    parser.add_argument(
        "--steps", type=int, default=2000, help="training steps (each: one batch per dataset)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    report = run(args.output, num_steps=args.steps, seed=args.seed)
    e, t = report["eval"], report["timings_s"]
    lines = [
        "jobs: "
        + ", ".join(f"{k}: {v.get('written', v['status'])} written" for k, v in report["jobs"].items()),
        f"train: {report['train']['steps']} steps, "
        f"loss {report['train']['loss'][0]:.3f} -> {report['train']['loss'][-1]:.3f}",
        f"eval ({e['queries']} held-out images, {e['candidates']} candidate captions): "
        f"accuracy {e['accuracy']:.3f}, "
        f"shuffled images {e['accuracy_shuffled_images']:.3f}, chance {e['chance']:.3f}, "
        f"generation exact match {e['generation_exact_match']:.3f}",
        "shots curve (RICES, mean over seeds): "
        + ", ".join(f"{k}: {v:.3f}" for k, v in e["shots_curve"].items())
        + f"; binding {e['binding']['accuracy']:.3f} (zero-shot {e['binding']['zero_shot']:.3f}, "
        f"shuffled support {e['binding']['shuffled_support']:.3f}, chance {e['binding']['chance']:.3f})",
        f"time: {t['total']:.0f} s; report: {Path(args.output) / 'report.html'}",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0

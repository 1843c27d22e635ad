"""The demo's in-context-learning evaluation: the shots curve and the fast-binding task.

Both read a trained model and the held-out files the sample web writes (`eval/eval.csv`,
`eval/binding/episodes.jsonl`), never the training shards' captions as queries:

- shots curve (flamingo/eval/curve.py): captioning accuracy at 0, 1, 2, 4, 8 shots with RICES and
  with random support, over `seeds` (each seed draws its own support pool, a `SUPPORT_FRACTION`
  of the pair shards, and its random shots), plus the images-shuffled control at 8 shots;
- binding (flamingo/eval/binding.py): invented names bound to pictures inside one prompt, with
  the zero-shot and shuffled-support controls, over the same seeds (they draw the shuffle).
"""

from __future__ import annotations

import logging
import statistics
import time
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

SHOTS = (0, 1, 2, 4, 8)
SEEDS = (0, 1, 2)
SUPPORT_FRACTION = 0.8  # each seed's support pool: a different 80% of the pair shards


def _mean_spread(values: list[float]) -> dict[str, float]:
    from flamingo.eval.curve import spread

    return {"mean": round(statistics.fmean(values), 4), "spread": round(spread(values), 4)}


def evaluate_binding_over_seeds(model, episodes, seeds: tuple[int, ...] = SEEDS) -> dict[str, Any]:
    """`eval.binding`: accuracy with support, chance and the two controls (means over seeds, which
    draw the shuffled-support permutations), each with its spread, and the first predictions."""
    from flamingo.eval.binding import evaluate_binding

    runs = [evaluate_binding(model, episodes, seed=seed) for seed in seeds]
    measures = ("accuracy", "zero_shot", "shuffled_support")
    return {
        **{m: round(statistics.fmean(r[m] for r in runs), 4) for m in measures},
        "chance": round(runs[0]["chance"], 4),
        "spread": {m: _mean_spread([r[m] for r in runs])["spread"] for m in measures},
        "runs": {m: [r[m] for r in runs] for m in measures},
        "episodes": runs[0]["episodes"],
        "seeds": list(seeds),
        "measure": "top-1 of the episode's invented names ranked by log-likelihood after "
        "'<image> name.<|endofchunk|>' x K support pictures, then the query picture",
        "examples": runs[0]["predictions"][:8],
    }


def evaluate_in_context(
    model,
    support,
    queries,
    binding_episodes: Path,
    *,
    seeds: tuple[int, ...] = SEEDS,
    shots: tuple[int, ...] = SHOTS,
    max_episodes: int | None = None,
) -> dict[str, Any]:
    """The report's `eval.shots_curve*` and `eval.binding` entries."""
    from flamingo.eval.binding import load_episodes
    from flamingo.eval.curve import shots_curve

    t0 = time.perf_counter()
    curves = {
        retrieval: shots_curve(
            model,
            support,
            queries,
            shots=shots,
            retrieval=retrieval,
            seeds=seeds,
            support_fraction=SUPPORT_FRACTION,
        ).summary()
        for retrieval in ("rices", "random")
    }
    t1 = time.perf_counter()
    binding = evaluate_binding_over_seeds(
        model, load_episodes(str(binding_episodes), model.image_size)[:max_episodes], seeds
    )
    log.info(
        "shots curve (rices) %s; binding %.3f (chance %.3f)",
        curves["rices"]["mean"],
        binding["accuracy"],
        binding["chance"],
    )
    return {
        "shots_curve": curves["rices"]["mean"],
        "shots_curve_random": curves["random"]["mean"],
        "shots_curve_detail": curves,
        "binding": binding,
        "icl_seconds": {"shots_curve": round(t1 - t0, 1), "binding": round(time.perf_counter() - t1, 1)},
    }

"""The shots curve: few-shot accuracy against the number of in-context examples, over seeds.

Flamingo's headline (paper Fig. 2, Table 1) is that accuracy rises with the number of shots.
`shots_curve` measures it: for every seed and every shot count k, `evaluate(...)` with k
examples chosen by `retrieval` (0: the zero-shot trick), and, at the largest k, the same with the
images shuffled across examples (a model that reads the pictures drops to chance). A seed draws
the random shots, the zero-shot trick's text examples, the shuffle and, when
`support_fraction` < 1, the support pool itself (so RICES's choices vary with the seed too).
Runs of several models (e.g. trained from different seeds) merge with `merge_curves`.

    curve = shots_curve(model, support, queries, shots=(0, 1, 2, 4, 8), retrieval="rices", seeds=(0, 1, 2))
    curve.mean()    # {"0": 0.31, "1": ..., "8": ...}
    curve.spread()  # sample standard deviation over runs, per shot count
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from random import Random

from flamingo.eval.fewshot import LabeledImage, evaluate

DEFAULT_SHOTS = (0, 1, 2, 4, 8)


def spread(values: list[float]) -> float:
    """Sample standard deviation (0.0 for fewer than two values)."""
    return statistics.stdev(values) if len(values) > 1 else 0.0


@dataclass
class ShotsCurve:
    retrieval: str
    shots: list[int]
    runs: dict[int, list[float]] = field(default_factory=dict)  # shot count -> accuracy per run
    shuffled: list[float] = field(default_factory=list)  # images shuffled, at max(shots), per run
    chance: float = 0.0

    def mean(self) -> dict[str, float]:
        return {str(k): round(statistics.fmean(self.runs[k]), 4) for k in self.shots}

    def spread(self) -> dict[str, float]:
        return {str(k): round(spread(self.runs[k]), 4) for k in self.shots}

    def gain(self) -> tuple[float, float]:
        """Accuracy at the most shots minus accuracy at the fewest, per run: (mean, spread)."""
        diffs = [b - a for a, b in zip(self.runs[min(self.shots)], self.runs[max(self.shots)], strict=True)]
        return round(statistics.fmean(diffs), 4), round(spread(diffs), 4)

    def summary(self) -> dict:
        gain, gain_spread = self.gain()
        return {
            "retrieval": self.retrieval,
            "mean": self.mean(),
            "spread": self.spread(),
            "runs": {str(k): v for k, v in self.runs.items()},
            "shuffled_images": {
                "shots": max(self.shots),
                "mean": round(statistics.fmean(self.shuffled), 4) if self.shuffled else None,
                "spread": round(spread(self.shuffled), 4),
            },
            "gain": {"from": min(self.shots), "to": max(self.shots), "mean": gain, "spread": gain_spread},
            "chance": self.chance,
        }


def _pool(support: list[LabeledImage], fraction: float, seed: int) -> list[LabeledImage]:
    if fraction >= 1.0:
        return support
    size = max(1, round(len(support) * fraction))
    picked = sorted(Random(f"support-pool:{seed}").sample(range(len(support)), size))
    return [support[i] for i in picked]


def shots_curve(
    model,
    support: list[LabeledImage],
    queries: list[LabeledImage],
    *,
    shots: tuple[int, ...] = DEFAULT_SHOTS,
    retrieval: str = "rices",
    seeds: tuple[int, ...] = (0, 1, 2),
    support_fraction: float = 1.0,
    task: str = "captioning",
    method: str = "rank",
) -> ShotsCurve:
    if not shots or min(shots) < 0:
        raise ValueError(f"shots must be non-negative shot counts, got {shots}")
    if not seeds:
        raise ValueError("a shots curve needs at least one seed")
    if not 0.0 < support_fraction <= 1.0:
        raise ValueError(f"support_fraction must be in (0, 1], got {support_fraction}")
    shots = tuple(sorted(set(shots)))
    curve = ShotsCurve(retrieval=retrieval, shots=list(shots), runs={k: [] for k in shots})
    common = dict(task=task, retrieval=retrieval, method=method)
    for seed in seeds:
        pool = _pool(support, support_fraction, seed)
        for k in shots:
            result = evaluate(model, pool, queries, shots=k, seed=seed, **common)
            curve.runs[k].append(result.accuracy)
            curve.chance = result.chance
        shuffled = evaluate(model, pool, queries, shots=max(shots), seed=seed, shuffle_images=True, **common)
        curve.shuffled.append(shuffled.accuracy)
    return curve


def merge_curves(curves: list[ShotsCurve]) -> ShotsCurve:
    """One curve holding the runs of several (same retrieval, same shot counts)."""
    first = curves[0]
    if any(c.retrieval != first.retrieval or c.shots != first.shots for c in curves):
        raise ValueError("only curves with the same retrieval and shot counts merge")
    merged = ShotsCurve(retrieval=first.retrieval, shots=list(first.shots), chance=first.chance)
    merged.runs = {k: [acc for c in curves for acc in c.runs[k]] for k in first.shots}
    merged.shuffled = [acc for c in curves for acc in c.shuffled]
    return merged

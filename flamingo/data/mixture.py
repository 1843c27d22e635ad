"""The dataset mixture: which datasets' batches make up each training step.

"accumulate" (the paper's recipe): every step takes one batch from every dataset; the trainer
sums λ_m × mean NLL_m and accumulates gradients over all of them before the optimizer step
(the paper's ablation: better than round-robin). "sample": each step takes a batch from one
dataset drawn with probability λ_m / Σλ (a seeded draw, so resumes repeat it). The state is
each loader's position plus the step, so a checkpoint restores the mixture exactly.
"""

from __future__ import annotations

from random import Random
from typing import Any

from flamingo.data.loader import StreamingLoader

MIXTURE_MODES = ("accumulate", "sample")


class Mixture:
    def __init__(
        self,
        loaders: dict[str, StreamingLoader],
        weights: dict[str, float],
        *,
        mode: str = "accumulate",
        seed: int = 0,
    ):
        if mode not in MIXTURE_MODES:
            raise ValueError(f"unknown mixture mode {mode!r}; valid modes: {MIXTURE_MODES}")
        if set(loaders) != set(weights):
            raise ValueError(f"weights {sorted(weights)} do not match datasets {sorted(loaders)}")
        if not loaders:
            raise ValueError("a mixture needs at least one dataset")
        bad = {k: w for k, w in weights.items() if w < 0}
        if bad or sum(weights.values()) <= 0:
            raise ValueError(f"mixture weights must be >= 0 with a positive sum, got {weights}")
        self.loaders, self.weights, self.mode, self.seed = loaders, dict(weights), mode, seed
        self.step = 0
        self._iters: dict[str, Any] = {}

    def _next(self, name: str) -> dict:
        if name not in self._iters:
            self._iters[name] = iter(self.loaders[name])
        return next(self._iters[name])

    def __iter__(self):
        return self

    def __next__(self) -> dict[str, dict]:
        """{dataset name: batch} for one optimizer step. Raises StopIteration when a finite
        dataset runs out (an infinite mixture never does)."""
        if self.mode == "accumulate":
            names = [n for n in self.loaders if self.weights[n] > 0]
        else:
            rng = Random(f"mixture:{self.seed}:{self.step}")
            names = rng.choices(sorted(self.loaders), weights=[self.weights[n] for n in sorted(self.loaders)])
        batches = {name: self._next(name) for name in names}
        self.step += 1
        return batches

    def state_dict(self) -> dict[str, Any]:
        return {"step": self.step, "loaders": {n: loader.state_dict() for n, loader in self.loaders.items()}}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if set(state["loaders"]) != set(self.loaders):
            raise ValueError(
                f"saved mixture has datasets {sorted(state['loaders'])}, this one {sorted(self.loaders)}"
            )
        for name, loader_state in state["loaders"].items():
            self.loaders[name].load_state_dict(loader_state)
        self.step = state["step"]
        self._iters = {}  # rebuilt lazily from the restored positions

    def errors(self) -> dict[str, dict[str, int]]:
        return {n: loader.errors for n, loader in self.loaders.items()}

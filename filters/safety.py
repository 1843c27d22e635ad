"""Optional content-safety hook: SafetyFilter (off by default, no bundled weights).

The paper filters explicit content with a classifier; the project ships none. To enable, point
`classifier` at an importable factory "package.module:function" that returns a callable
`score(sample) -> float` (the probability the sample is unsafe, 0..1), e.g. a wrapper around a
local NSFW image model whose weights you provide. Samples scoring above `max_score` are rejected
as UNSAFE. With `classifier` unset the filter keeps everything.

    # filters.yaml
    pair:
      - safety: {classifier: "mycompany.safety:load_scorer", max_score: 0.5}
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
from collections.abc import Callable
from typing import Any

from filters.base import KEEP, Filter, Keep, Reject, register
from schemas import RejectReason


@functools.lru_cache(maxsize=8)
def load_scorer(spec: str) -> Callable[[Any], float]:
    """Import "module:factory" and call the factory once per process."""
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ValueError(f"safety classifier must be 'module:factory', got {spec!r}")
    factory = getattr(importlib.import_module(module_name), attr)
    return factory()


@register("safety")
@dataclasses.dataclass(frozen=True, kw_only=True)
class SafetyFilter(Filter):
    classifier: str | None = None
    max_score: float = 0.5

    def filter(self, sample: Any) -> Keep | Reject:
        if self.classifier is None:
            return KEEP
        score = float(load_scorer(self.classifier)(sample))
        if score > self.max_score:
            return Reject(RejectReason.UNSAFE, f"unsafe score {score:.3f} > {self.max_score}")
        return KEEP

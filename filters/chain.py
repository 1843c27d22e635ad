"""A configured sequence of filters, and how configs (lists, dicts, YAML files) become one.

Config forms accepted by `build_chain`:
- `None`: the paper's default chain for the kind (filters/defaults.py);
- a list of entries, each a filter name (`"image_size"`), a one-key mapping
  (`{"image_size": {"min_side": 64}}`) or a mapping with a `name` (`{"name": "image_size", "min_side": 64}`);
- a mapping from kind to such a list (`{"pair": [...], "document": [...]}`); kinds it omits get
  the defaults;
- a path (str or Path, local or fsspec URL) to a YAML file holding either of the above.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from collections.abc import Sequence
from typing import Any

import fsspec
import yaml

from filters.base import FILTERS, KEEP, KINDS, Dropped, Filter, Keep, Reject, build_filter

log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class ChainResult:
    """The outcome of a chain: the (possibly reduced) sample, or the first rejection."""

    sample: Any
    reject: Reject | None
    filter_name: str | None  # the filter that rejected
    dropped: tuple[tuple[str, Dropped], ...] = ()  # (filter name, part) for every removed part


@dataclasses.dataclass(frozen=True)
class FilterChain:
    kind: str
    filters: tuple[Filter, ...]

    def apply(self, sample: Any) -> ChainResult:
        """Run the filters in order; the first Reject stops the chain."""
        dropped: list[tuple[str, Dropped]] = []
        for f in self.filters:
            outcome = f.filter(sample)
            if isinstance(outcome, Reject):
                return ChainResult(sample, outcome, f.name, tuple(dropped))
            if not isinstance(outcome, Keep):
                raise TypeError(f"filter {f.name!r} returned {type(outcome).__name__}, not Keep or Reject")
            if outcome.sample is not None:
                sample = outcome.sample
            dropped.extend((f.name, d) for d in outcome.dropped)
        return ChainResult(sample, None, None, tuple(dropped))

    def filter(self, sample: Any) -> Keep | Reject:
        """The chain as one filter (dropped parts are returned, the replacement sample too)."""
        result = self.apply(sample)
        if result.reject is not None:
            return result.reject
        if result.dropped:
            return Keep(result.sample, tuple(d for _, d in result.dropped))
        return KEEP

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.filters]


def _entry_to_filter(entry: Any, kind: str) -> Filter:
    if isinstance(entry, str):
        name, params = entry, {}
    elif isinstance(entry, dict) and "name" in entry:
        params = {k: v for k, v in entry.items() if k != "name"}
        name = entry["name"]
    elif isinstance(entry, dict) and len(entry) == 1:
        ((name, params),) = entry.items()
        params = params or {}
    else:
        raise ValueError(
            f"filter entry {entry!r:.100} must be a name, {{name: {{params}}}} or {{name: ..., param: ...}}"
        )
    if not isinstance(params, dict):
        raise ValueError(f"filter {name!r}: parameters must be a mapping, got {type(params).__name__}")
    f = build_filter(name, params)
    if kind not in f.kinds:
        raise ValueError(
            f"filter {name!r} does not apply to {kind!r} samples; it applies to {sorted(f.kinds)}"
        )
    return f


def load_filter_config(path: str | os.PathLike) -> Any:
    """Read a YAML filter config (local path or any fsspec URL)."""
    with fsspec.open(str(path), "r", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def build_chain(config: Any = None, kind: str = "document") -> FilterChain:
    """A FilterChain for `kind` from a config (see the module docstring for the accepted forms)."""
    from filters.defaults import default_config  # defaults import the filter modules

    if kind not in KINDS:
        raise ValueError(f"unknown sample kind {kind!r}; valid kinds: {', '.join(KINDS)}")
    if isinstance(config, (str, os.PathLike)):
        config = load_filter_config(config)
    if isinstance(config, dict) and not (
        "name" in config or (len(config) == 1 and next(iter(config)) in FILTERS)
    ):
        unknown = sorted(set(config) - set(KINDS))
        if unknown:
            raise ValueError(f"filter config has unknown kind(s) {unknown}; valid kinds: {', '.join(KINDS)}")
        config = config.get(kind, default_config(kind))
    if config is None:
        config = default_config(kind)
    if not isinstance(config, Sequence) or isinstance(config, (str, bytes)):
        raise ValueError(f"filter config for {kind!r} must be a list of filters, got {type(config).__name__}")
    chain = FilterChain(kind, tuple(_entry_to_filter(e, kind) for e in config))
    log.info("filter chain for %s: %s", kind, chain.names)
    return chain

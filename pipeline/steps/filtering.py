"""ApplyFilters: a filter chain as a Beam transform with a kept output and a rejects output.

How a job applies filters (kinds: "document" for M3W pages, "pair", "video", "image"):

    from filters import build_chain
    from pipeline.steps.filtering import ApplyFilters

    chain = build_chain(config.filters, kind="pair")      # None: the paper's defaults
    filtered = samples | "Filter" >> ApplyFilters(chain, stage=Stage.FILTER)
    kept, rejects = filtered.kept, filtered.rejects        # PCollection[sample], PCollection[RejectRecord]

Every input ends in exactly one of the two outputs (conservation). A Document whose image slots
fail an image rule stays in `kept` without them, and each removed slot is an extra
RejectRecord with stage "image" (the shard writer does not count those against page inputs);
removed paragraphs (paragraph-level text rules) are counted only. A filter that raises becomes
an INTERNAL_ERROR reject with the exception text, logged, never a crashed pipeline.

Rejects are counted as every step counts them (pipeline/steps/rejects.py: "rejects",
"STAGE:REASON"); namespace "filters" counts `kept`, `{filter}:{reason}` (which filter of the
chain rejected) and `dropped_{part}:{reason}` (removed paragraphs and image slots).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import apache_beam as beam
from apache_beam.metrics import Metrics

from filters.chain import FilterChain
from filters.samples import sample_key, sample_source
from pipeline.steps.previews import PREVIEWS, preview, sample_image
from pipeline.steps.rejects import REJECTS, reject
from pipeline.steps.slots import image_reject_key
from schemas import RejectReason, Stage

log = logging.getLogger(__name__)

KEPT = "kept"


class _FilterDoFn(beam.DoFn):
    def __init__(self, chain: FilterChain, stage: Stage, key_fn: Callable, source_fn: Callable):
        self._chain = chain
        self._stage = Stage.parse(stage)
        self._key_fn = key_fn
        self._source_fn = source_fn
        self._counters: dict[str, Any] = {}

    def _inc(self, name: str) -> None:
        counter = self._counters.get(name)
        if counter is None:
            counter = self._counters[name] = Metrics.counter("filters", name)
        counter.inc()

    def process(self, sample: Any):
        key = self._key_fn(sample)
        try:
            result = self._chain.apply(sample)
        except Exception as exc:  # a filter bug must not kill the job: counted, logged, rejected
            log.exception("filter chain failed on %s", key)
            yield reject(
                key,
                self._source_fn(sample),
                self._stage,
                RejectReason.INTERNAL_ERROR,
                f"{type(exc).__name__}: {exc}",
            )
            return
        for filter_name, part in result.dropped:
            self._inc(f"dropped_{part.part}:{part.reason.value}")
            if part.part == "image":
                yield reject(
                    image_reject_key(key, part.source),
                    part.source,
                    Stage.IMAGE,
                    part.reason,
                    f"{filter_name}: {part.detail} (page {key})",
                )
        if result.reject is None:
            self._inc(KEPT)
            yield result.sample
            return
        self._inc(f"{result.filter_name}:{result.reject.reason.value}")
        why = (self._source_fn(sample), self._stage, result.reject.reason)
        detail = f"{result.filter_name}: {result.reject.detail}"
        yield reject(key, *why, detail)
        yield from preview(key, *why, detail, sample_image(sample))


class ApplyFilters(beam.PTransform):
    """samples -> (kept, rejects, previews); see the module docstring (previews: pictures of a few
    rejected images for the report, pipeline/steps/previews.py)."""

    def __init__(
        self,
        chain: FilterChain,
        stage: Stage = Stage.FILTER,
        key_fn: Callable[[Any], str] = sample_key,
        source_fn: Callable[[Any], str] = sample_source,
        label: str | None = None,
    ):
        super().__init__(label)
        self._chain = chain
        self._stage = stage
        self._key_fn = key_fn
        self._source_fn = source_fn

    def expand(self, pcoll):
        return pcoll | "ApplyChain" >> beam.ParDo(
            _FilterDoFn(self._chain, self._stage, self._key_fn, self._source_fn)
        ).with_outputs(REJECTS, PREVIEWS, main=KEPT)

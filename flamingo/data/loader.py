"""`make_loader`: a resumable, splitting, error-counting stream of batches for one dataset.

    loader = make_loader("shards/pairs-{00000..00003}.tar", kind="pairs", model=model, batch_size=8)
    for batch in loader: ...                  # input_ids, attention_mask, labels, media, media_mask, keys
    state = loader.state_dict()               # exact position (per worker), error counts
    loader.load_state_dict(state)             # the next iteration continues after what was received

Iterating again continues from the current position (an infinite loader never ends; a loader
with `epochs=N` ends after N epochs). `node_rank`/`num_nodes` default to torch.distributed's
rank and world size when a process group is initialised.
"""

from __future__ import annotations

import logging
import os
from typing import Any

import torch
from torch.utils.data import DataLoader

from crawlers.shard_tar import MAX_MEMBER_BYTES
from flamingo.data.errors import EmptyPipelineError, ErrorCounts
from flamingo.data.media import CLIP_MEAN, CLIP_STD, ImageTransform
from flamingo.data.pipelines import build_pipeline
from flamingo.data.split import Position, expand_urls
from flamingo.data.stream import ShardStream, StreamSpec
from flamingo.data.tokens import TextEncoder

log = logging.getLogger(__name__)


class StreamingLoader:
    def __init__(self, spec: StreamSpec, *, num_workers: int = 0, prefetch_factor: int = 2):
        self.spec, self.num_workers, self.prefetch_factor = spec, num_workers, prefetch_factor
        self.positions: dict[int, Position] = dict(spec.start)
        self.worker_errors: dict[int, dict[str, int]] = dict(spec.start_errors)
        self.samples_seen = 0
        self.next_role = 0  # the worker role whose batch comes next (round-robin order)

    @property
    def urls(self) -> list[str]:
        return self.spec.urls

    @property
    def errors(self) -> dict[str, int]:
        total = ErrorCounts()
        for counts in self.worker_errors.values():
            total.counts.update(counts)
        return total.as_dict()

    def __iter__(self):
        self.spec.start, self.spec.start_errors = dict(self.positions), dict(self.worker_errors)
        self.spec.role_offset = self.next_role
        kwargs: dict[str, Any] = {}
        if self.num_workers > 0:
            kwargs = dict(num_workers=self.num_workers, prefetch_factor=self.prefetch_factor)
        data = DataLoader(ShardStream(self.spec), batch_size=None, **kwargs)
        received = 0
        for batch in data:
            worker = batch.pop("_worker")
            self.positions[worker] = Position(*batch.pop("_position"))
            self.worker_errors[worker] = batch.pop("_errors")
            self.next_role = (worker + 1) % max(1, self.num_workers)
            received += 1
            self.samples_seen += len(batch["keys"])
            yield batch
        if received == 0 and not self.positions:
            raise EmptyPipelineError(self.spec.urls, self.errors or None, what="batches")

    def state_dict(self) -> dict[str, Any]:
        return {
            "positions": {str(w): [p.epoch, p.count] for w, p in sorted(self.positions.items())},
            "errors": {str(w): dict(e) for w, e in sorted(self.worker_errors.items())},
            "num_workers": self.num_workers,
            "num_nodes": self.spec.num_nodes,
            "node_rank": self.spec.node_rank,
            "seed": self.spec.seed,
            "samples_seen": self.samples_seen,
            "next_role": self.next_role,
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        mine = (self.num_workers, self.spec.num_nodes, self.spec.node_rank, self.spec.seed)
        saved = (state["num_workers"], state["num_nodes"], state["node_rank"], state["seed"])
        if mine != saved:
            raise ValueError(
                f"loader position was saved with (num_workers, num_nodes, node_rank, seed) = {saved} "
                "but this "
                f"loader has {mine}; an exact resume needs the same split"
            )
        self.positions = {int(w): Position(*p) for w, p in state["positions"].items()}
        self.worker_errors = {int(w): dict(e) for w, e in state["errors"].items()}
        self.samples_seen = state.get("samples_seen", 0)
        self.next_role = state.get("next_role", 0)


def _distributed_rank() -> tuple[int, int]:
    if torch.distributed.is_available() and torch.distributed.is_initialized():
        return torch.distributed.get_rank(), torch.distributed.get_world_size()
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def make_loader(
    urls: str | list[str],
    *,
    kind: str,
    batch_size: int,
    model: Any = None,
    tokenizer: Any = None,
    image_size: int | None = None,
    num_frames: int | None = None,
    max_length: int = 256,
    template: str = "{caption}",
    num_workers: int = 0,
    seed: int = 0,
    epochs: int | None = None,
    split: str = "auto",
    shuffle_shards: bool = True,
    shuffle_buffer: int = 0,
    num_nodes: int | None = None,
    node_rank: int | None = None,
    drop_last: bool = False,
    pack: int = 1,
    raw_tars: bool = False,
    max_member_bytes: int = MAX_MEMBER_BYTES,
    mean: tuple[float, float, float] = CLIP_MEAN,
    std: tuple[float, float, float] = CLIP_STD,
    **pipeline_kwargs: Any,
) -> StreamingLoader:
    """A loader of `kind` ("pairs", "m3w", "videos") over shard URLs (braces, lists, a directory,
    a manifest.json, `pipe:`, http(s), fsspec URLs). `pack` > 1 joins that many consecutive
    examples into one interleaved sequence (a batch then holds `batch_size` sequences). A build
    folder is read through its manifest; `raw_tars=True` reads a folder without one as it is.
    Give `model` (a Flamingo) or both `tokenizer` (with `<image>`/`<|endofchunk|>`) and
    `image_size`."""
    if model is not None:
        tokenizer = tokenizer or model.tokenizer
        image_size = image_size or model.image_size
        num_frames = num_frames or model.config.max_num_frames
    if tokenizer is None or image_size is None:
        raise ValueError("make_loader needs `model`, or both `tokenizer` and `image_size`")
    if kind == "videos":
        pipeline_kwargs["num_frames"] = num_frames or 1
    encoder = TextEncoder(tokenizer)
    pipeline = build_pipeline(
        kind,
        encoder=encoder,
        image=ImageTransform(image_size=image_size, mean=mean, std=std),
        max_length=max_length,
        template=template,
        **pipeline_kwargs,
    )
    rank, world = _distributed_rank()
    spec = StreamSpec(
        urls=expand_urls(urls, raw_tars=raw_tars),
        pipeline=pipeline,
        batch_size=batch_size,
        pad_id=encoder.pad_id,
        seed=seed,
        epochs=epochs,
        split=split,
        shuffle_shards=shuffle_shards,
        shuffle_buffer=shuffle_buffer,
        num_nodes=num_nodes if num_nodes is not None else world,
        node_rank=node_rank if node_rank is not None else rank,
        drop_last=drop_last,
        pack=pack,
        max_member_bytes=max_member_bytes,
    )
    return StreamingLoader(spec, num_workers=num_workers)

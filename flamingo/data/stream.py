"""`ShardStream`: the IterableDataset each DataLoader worker runs, batches included.

Per epoch: assign shards (flamingo.data.split), read raw samples, shuffle them in a bounded
buffer, skip what a resumed position says was already consumed (without decoding), decode
through the dataset pipeline, collate. Every batch carries the worker's position after its
last sample and the worker's cumulative error counts, so the main process can checkpoint an
exact position for samples it has actually received (prefetched batches are not counted).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from random import Random

from torch.utils.data import IterableDataset, get_worker_info

from crawlers.shard_tar import MAX_MEMBER_BYTES
from flamingo.data.collate import collate
from flamingo.data.errors import EmptyPipelineError, ErrorCounts, SampleError
from flamingo.data.pipelines import Pipeline
from flamingo.data.split import Assignment, Consumer, Position, assign, consumer_for, resolve_mode
from flamingo.data.tar_reader import RawSample, iter_tar_samples
from flamingo.data.tokens import Example, pack_examples

log = logging.getLogger(__name__)


@dataclass(kw_only=True)
class StreamSpec:
    urls: list[str]
    pipeline: Pipeline
    batch_size: int
    pad_id: int
    seed: int = 0
    epochs: int | None = None  # None: loop forever (training); N: stop after N epochs
    split: str = "auto"
    shuffle_shards: bool = True
    shuffle_buffer: int = 0  # samples; 0 keeps shard order (paper-scale runs use ~1000s)
    num_nodes: int = 1
    node_rank: int = 0
    drop_last: bool = False
    pack: int = 1  # examples per sequence (pairs/videos: few-shot-like interleaving); 1: none
    resampled_length: int | None = None
    max_member_bytes: int = MAX_MEMBER_BYTES  # a tar member past this is skipped unread and counted
    start: dict[int, Position] = field(default_factory=dict)  # worker id -> resume position
    start_errors: dict[int, dict[str, int]] = field(default_factory=dict)
    # The DataLoader asks its workers in turn starting with worker 0; after a resume the role
    # whose turn was next must go first, so worker w plays role (w + role_offset) % workers.
    role_offset: int = 0


def shuffle_buffered(samples: Iterator[RawSample], size: int, rng: Random) -> Iterator[RawSample]:
    """A bounded shuffle: hold `size` samples, emit a random one as each new one arrives."""
    if size <= 1:
        yield from samples
        return
    buffer: list[RawSample] = []
    for sample in samples:
        if len(buffer) < size:
            buffer.append(sample)
            continue
        i = rng.randrange(size)
        buffer[i], sample = sample, buffer[i]
        yield sample
    rng.shuffle(buffer)
    yield from buffer


class ShardStream(IterableDataset):
    def __init__(self, spec: StreamSpec):
        super().__init__()
        if not spec.urls:
            raise EmptyPipelineError([], what="shards (empty URL list)")
        self.spec = spec

    # -- samples ----------------------------------------------------------------------------
    def _raw(self, assignment: Assignment, errors: ErrorCounts) -> Iterator[RawSample]:
        index = 0
        for url in assignment.urls:
            try:
                # a skipped member is counted and the shard goes on
                skipped = functools.partial(errors.add, where=url)
                for sample in iter_tar_samples(url, skipped, max_member_bytes=self.spec.max_member_bytes):
                    if index % assignment.stride == assignment.offset:
                        yield sample
                    index += 1
            except SampleError as exc:
                errors.add(exc, url)  # a damaged shard: counted, the next shard is read
                log.warning("skipping the rest of shard %s: %s", url, exc)

    def iter_examples(
        self, consumer: Consumer, start: Position | None = None, errors: ErrorCounts | None = None
    ) -> Iterator[tuple[Example, Position]]:
        """(example, position after it) for one consumer, from `start` on."""
        spec = self.spec
        start = start if start is not None else Position()
        errors = errors if errors is not None else ErrorCounts()
        mode = resolve_mode(spec.split, len(spec.urls), consumer.world)
        epoch = start.epoch
        while spec.epochs is None or epoch < spec.epochs:
            assignment = assign(
                spec.urls,
                consumer,
                mode=mode,
                seed=spec.seed,
                epoch=epoch,
                shuffle_shards=spec.shuffle_shards,
                resampled_length=spec.resampled_length,
            )
            rng = Random(f"buffer:{spec.seed}:{epoch}:{consumer.rank}")
            skip = start.count if epoch == start.epoch else 0
            count = decoded = 0
            errors_before = errors.total
            for raw in shuffle_buffered(self._raw(assignment, errors), spec.shuffle_buffer, rng):
                count += 1
                if count <= skip:
                    continue
                try:
                    sample_rng = (
                        Random(f"sample:{spec.seed}:{epoch}:{raw.key}") if spec.pipeline.uses_rng else None
                    )
                    example = spec.pipeline(raw, sample_rng)
                except SampleError as exc:
                    errors.add(exc, f"{raw.url}:{raw.key}")
                    continue
                decoded += 1
                yield example, Position(epoch, count)
            if count == 0 and mode == "sample":
                # Fewer samples than consumers: this one has nothing, ever; the others carry on.
                log.warning(
                    "consumer %d of %d gets no samples from %d shards",
                    consumer.rank,
                    consumer.world,
                    len(spec.urls),
                )
                return
            if decoded == 0 and count > skip:
                raise EmptyPipelineError(assignment.urls, errors.as_dict())
            if count == 0:
                raise EmptyPipelineError(assignment.urls, errors.as_dict() or None)
            if errors.total > errors_before:
                log.warning("epoch %d: %d sample errors so far %s", epoch, errors.total, errors.as_dict())
            epoch += 1

    # -- batches (what the DataLoader sees) --------------------------------------------------
    def __iter__(self):
        spec = self.spec
        info = get_worker_info()
        worker_id, num_workers = (info.id, info.num_workers) if info is not None else (0, 1)
        worker_id = (worker_id + spec.role_offset) % num_workers  # the role this worker plays
        consumer = consumer_for(spec.node_rank, spec.num_nodes, worker_id, num_workers)
        errors = ErrorCounts(spec.start_errors.get(worker_id))
        examples: list[Example] = []
        parts: list[Example] = []
        start = spec.start.get(worker_id, Position())
        position = start
        for example, position in self.iter_examples(consumer, start, errors):  # noqa: B007 (read after the loop)
            parts.append(example)
            if len(parts) < spec.pack:
                continue
            examples.append(pack_examples(parts))
            parts = []
            if len(examples) == spec.batch_size:
                yield self._batch(examples, worker_id, position, errors)
                examples = []
        if parts:
            examples.append(pack_examples(parts))
        if examples and not spec.drop_last:
            yield self._batch(examples, worker_id, position, errors)

    def _batch(
        self, examples: list[Example], worker_id: int, position: Position, errors: ErrorCounts
    ) -> dict:
        batch = collate(examples, pad_id=self.spec.pad_id)
        batch["_worker"] = worker_id
        batch["_position"] = (position.epoch, position.count)
        batch["_errors"] = errors.as_dict()
        return batch

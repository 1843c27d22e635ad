"""Which samples each consumer (node x dataloader worker) reads, and where it stands.

A consumer is one DataLoader worker on one node: `rank = node_rank * num_workers + worker_id`
of `world = num_nodes * num_workers`. Per epoch, the shard list is put in an order drawn from
(seed, epoch) that every consumer computes alike, then split:
- "shard": consumer r reads shards r, r + world, ... (each shard read by exactly one consumer);
- "sample": every consumer reads every shard and keeps the samples whose index in the epoch's
  concatenated stream is r mod world (exact when there are fewer shards than consumers);
- "auto": "shard" when every consumer gets at least one shard, else "sample".
Either way the consumers' sample sets partition the epoch: no duplicates, no losses.
"resampled" draws shards with replacement from (seed, rank, epoch) forever, the multi-node
recipe when the shard count does not divide evenly.

The position is (epoch, number of raw samples this consumer has emitted in that epoch). The
stream is a pure function of (seed, epoch, rank), so resuming replays the epoch without
decoding and skips that many: the remaining samples are exactly those of an uninterrupted run.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from random import Random

from schemas.manifest import MANIFEST_NAME, shard_names

SPLIT_MODES = ("auto", "shard", "sample", "resampled")


@dataclass(frozen=True)
class Consumer:
    rank: int
    world: int

    def __post_init__(self) -> None:
        if not 0 <= self.rank < self.world:
            raise ValueError(f"consumer rank {self.rank} outside world of {self.world}")


@dataclass(frozen=True)
class Position:
    epoch: int = 0
    count: int = 0  # raw samples emitted in `epoch` (decoded or counted as errors)


@dataclass(frozen=True)
class Assignment:
    urls: list[str]  # shards this consumer opens, in order
    stride: int  # keep every `stride`-th sample of the concatenated stream ...
    offset: int  # ... starting at this one


def expand_urls(spec: str | list[str], *, raw_tars: bool = False) -> list[str]:
    """Brace patterns (`shards/pairs-{00000..00009}.tar`), lists, a build folder or its manifest.json.

    A build folder or manifest resolves to the shards its manifest lists, never to whatever .tar
    files the folder holds (a reused output folder keeps an earlier run's shards). A folder
    without a manifest is an error, unless `raw_tars` asks for its *.tar files as they are.
    """
    from braceexpand import braceexpand

    specs = [spec] if isinstance(spec, str) else list(spec)
    urls: list[str] = []
    for item in specs:
        for url in braceexpand(item):
            urls.extend(_resolve(url, raw_tars))
    if not urls:
        raise ValueError(f"no shard URLs in {spec!r}")
    return urls


def _manifest_shards(manifest_url: str) -> list[str]:
    import fsspec

    with fsspec.open(manifest_url, "r", encoding="utf-8") as f:
        manifest = json.load(f)
    base = manifest_url.rsplit("/", 1)[0] if "/" in manifest_url else "."
    return [f"{base}/{name}" for name in shard_names(manifest, manifest_url, non_empty=True)]


def _resolve(url: str, raw_tars: bool) -> list[str]:
    if url.startswith("pipe:") or url.endswith(".tar"):
        return [url]
    if url.endswith(MANIFEST_NAME):
        return _manifest_shards(url)
    if "://" not in url and not os.path.isdir(url):
        return [url]
    manifest = url.rstrip("/") + "/" + MANIFEST_NAME
    import fsspec

    fs, path = fsspec.core.url_to_fs(manifest)
    if fs.exists(path):
        return _manifest_shards(manifest)
    if not raw_tars:
        raise ValueError(
            f"{url} has no {MANIFEST_NAME}: not a finished build (the build failed, or the folder holds "
            "other files); pass raw_tars=True to read its .tar files as they are"
        )
    base_fs, base = fsspec.core.url_to_fs(url)
    tars = sorted(p for p in base_fs.ls(base, detail=False) if p.endswith(".tar"))
    if not tars:
        raise ValueError(f"folder {url} has no manifest.json and no .tar shards")
    prefix = url.rstrip("/")
    return [f"{prefix}/{p.rsplit('/', 1)[-1]}" for p in tars]


def epoch_order(urls: list[str], *, seed: int, epoch: int, shuffle: bool) -> list[str]:
    order = list(urls)
    if shuffle:
        Random(f"shards:{seed}:{epoch}").shuffle(order)
    return order


def resolve_mode(mode: str, num_urls: int, world: int) -> str:
    if mode not in SPLIT_MODES:
        raise ValueError(f"unknown split mode {mode!r}; valid modes: {SPLIT_MODES}")
    if mode == "auto":
        return "shard" if num_urls >= world else "sample"
    return mode


def assign(
    urls: list[str],
    consumer: Consumer,
    *,
    mode: str,
    seed: int,
    epoch: int,
    shuffle_shards: bool,
    resampled_length: int | None = None,
) -> Assignment:
    """The shards consumer `consumer` reads in `epoch` and which of their samples it keeps."""
    mode = resolve_mode(mode, len(urls), consumer.world)
    if mode == "resampled":
        rng = Random(f"resampled:{seed}:{consumer.rank}:{epoch}")
        # One "epoch" of a resampled stream: as many draws as a shard split would give it.
        length = resampled_length or max(1, len(urls) // consumer.world)
        return Assignment(urls=[rng.choice(urls) for _ in range(length)], stride=1, offset=0)
    ordered = epoch_order(urls, seed=seed, epoch=epoch, shuffle=shuffle_shards)
    if mode == "shard":
        return Assignment(urls=ordered[consumer.rank :: consumer.world], stride=1, offset=0)
    return Assignment(urls=ordered, stride=consumer.world, offset=consumer.rank)


def consumer_for(node_rank: int, num_nodes: int, worker_id: int, num_workers: int) -> Consumer:
    workers = max(1, num_workers)
    return Consumer(rank=node_rank * workers + worker_id, world=num_nodes * workers)

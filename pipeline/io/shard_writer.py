"""`WriteShards`: samples and rejects in, WebDataset shards + sidecars + manifest out.

Samples arrive typed (schemas/samples.py: M3WSample, PairSample, VideoSample); the first step
serialises each with its codec (`to_shard()`), the only place a job's samples become members.

Shard contents depend on the input only, never on bundle splits or worker count:
1. each sample goes to a bucket by its key hash (bucket count from the total, so buckets hold
   about `samples_per_shard` samples);
2. per bucket, the keys (and sizes, not bytes) are sorted and cut into parts bounded by
   `samples_per_shard` and `max_shard_bytes`; only the part counts leave this small step;
3. a global table of part counts gives each (bucket, part) a contiguous shard index;
4. the samples of a bucket are grouped, cut into the same parts again (same keys and sizes,
   same function) and written, one shard per part.
No step holds more than one bucket's samples; nothing global lives on the driver.

The total that sizes the buckets is the samples' count by default. A job may name another
PCollection (`bucket_basis`) computed before its samples exist, as the pairs job does with its
valid input rows (img2dataset's `number_sample_per_shard` also counts inputs): shards then hold
fewer samples by the failure rate, but the bucket of a sample is known as soon as it is made,
so the samples reach the grouping without being stored and read back once more (measured on
2000 pairs: about 1 s of an 18 s build per skipped round trip).

Rejects are written the same way into `rejects-SSSSS.parquet`; the manifest is written last
(see pipeline/io/manifest.py), and the build fails if inputs are not all accounted for.
"""

from __future__ import annotations

import collections
import dataclasses
import math
from typing import Any

import apache_beam as beam
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.io import manifest as manifest_lib
from pipeline.io.shard_files import write_parquet_atomic, write_shard
from pipeline.steps import clock
from schemas import REJECT_SCHEMA, RejectRecord, ShardSample, Stage, bucket_of, key_hash
from schemas.keys import DIGEST_MODULUS

REJECTS_PER_FILE = 200_000


def plan_parts(
    keys_sizes: list[tuple[str, int]], samples_per_shard: int, max_shard_bytes: int
) -> list[list[str]]:
    """Cut a bucket's keys, sorted, into parts under both bounds (an oversize sample goes alone)."""
    parts: list[list[str]] = []
    current: list[str] = []
    current_bytes = 0
    for key, size in sorted(keys_sizes):
        if current and (len(current) >= samples_per_shard or current_bytes + size > max_shard_bytes):
            parts.append(current)
            current, current_bytes = [], 0
        current.append(key)
        current_bytes += size
    if current:
        parts.append(current)
    return parts


def part_offsets(part_counts: dict[int, int]) -> dict[int, int]:
    """The first shard index of each bucket, so shard indices are contiguous from 0."""
    offsets, next_index = {}, 0
    for bucket in sorted(part_counts):
        offsets[bucket] = next_index
        next_index += part_counts[bucket]
    return offsets


class _WriteBucket(beam.DoFn):
    def __init__(
        self,
        output_dir: str,
        name: str,
        row_schema: pa.Schema | None,
        samples_per_shard: int,
        max_shard_bytes: int,
    ):
        self.output_dir, self.name, self.row_schema = output_dir, name, row_schema
        self.samples_per_shard, self.max_shard_bytes = samples_per_shard, max_shard_bytes
        self.shards_written = Metrics.counter("shards", "written")
        self.shards_skipped = Metrics.counter("shards", "skipped")
        self.written_at = Metrics.distribution(clock.NAMESPACE, "write")  # the "write" stage clock

    def process(self, element, offsets):
        bucket, grouped = element
        grouped = list(grouped)
        samples = {s.key: s for s in grouped}
        if len(samples) != len(grouped):
            # every job makes keys unique before the writer; a repeat here is a bug, and writing
            # one sample twice (webdataset refuses the shard) or losing one is worse than failing
            repeated = sorted(k for k, n in collections.Counter(s.key for s in grouped).items() if n > 1)
            raise RepeatedKeyError(
                f"{len(repeated)} key(s) reached the shard writer more than once, e.g. {repeated[0]}: "
                "a shard never holds one key twice; the build stops here"
            )
        # the same cut PartCounts made from the same (key, size) list, so the offsets agree with it
        parts = plan_parts(
            [(s.key, s.num_bytes) for s in grouped], self.samples_per_shard, self.max_shard_bytes
        )
        for part_index, keys in enumerate(parts):
            stats = write_shard(
                self.output_dir,
                self.name,
                offsets[bucket] + part_index,
                [samples[k] for k in keys],
                row_schema=self.row_schema,
            )
            (self.shards_skipped if stats["skipped"] else self.shards_written).inc()
            done = clock.now_ms()
            for _ in keys:  # one reading per sample: the clock counts samples, not shards
                self.written_at.update(done)
            yield stats


class _WriteRejects(beam.DoFn):
    def __init__(self, output_dir: str):
        self.output_dir = output_dir

    def process(self, element):
        index, records = element
        rows = sorted(
            (r.to_row() for r in records), key=lambda row: (row["key"], row["stage"], row["reason"])
        )
        path = FileSystems.join(self.output_dir, f"rejects-{index:05d}.parquet")
        write_parquet_atomic(path, pa.Table.from_pylist(rows, schema=REJECT_SCHEMA))
        yield path.rsplit("/", 1)[-1]


# Shard size defaults (the jobs' --samples-per-shard / --max-shard-bytes; a release step keeps a build's own).
SAMPLES_PER_SHARD = 1000
MAX_SHARD_BYTES = 512 * 2**20


@dataclasses.dataclass(kw_only=True)
class ShardConfig:
    """How samples are cut into shards: NAME-SSSSS.tar with at most so many samples and bytes."""

    name: str | None = None  # the shard name prefix; None: the job's name
    samples_per_shard: int = SAMPLES_PER_SHARD
    max_shard_bytes: int = MAX_SHARD_BYTES

    def __post_init__(self) -> None:
        if self.samples_per_shard < 1 or self.max_shard_bytes < 1:
            raise ValueError("samples_per_shard and max_shard_bytes must be positive")


def serialise(sample) -> ShardSample:
    """A typed sample's members and sidecar row (its codec, schemas/samples.py)."""
    return sample.to_shard()


class RepeatedKeyError(RuntimeError):
    """Two samples with one key reached the writer."""


class KeysDigest(beam.CombineFn):
    """(count, digest) of a PCollection of keys (schemas/keys.py: an order-free multiset digest)."""

    def create_accumulator(self):
        return 0, 0

    def add_input(self, acc, key):
        return acc[0] + 1, (acc[1] + key_hash(key)) % DIGEST_MODULUS

    def merge_accumulators(self, accs):
        count = digest = 0
        for n, d in accs:
            count, digest = count + n, (digest + d) % DIGEST_MODULUS
        return count, digest

    def extract_output(self, acc):
        return acc


def input_key(item) -> str:
    """The key an input is accounted under: a key itself, or anything with a `key`."""
    return item if isinstance(item, str) else item.key


def counted_reject_key(record: RejectRecord) -> list[str]:
    """The key of a reject that accounts for an input (image-stage rejects do not; see
    pipeline/io/manifest.py)."""
    return [] if record.stage == Stage.IMAGE else [record.key]


def reject_kind(record: RejectRecord) -> tuple[str, str]:
    return record.stage.value, record.reason.value


def _union(sets) -> frozenset:
    return frozenset().union(*sets)


def _num_buckets(count: int, per_bucket: int) -> int:
    return max(1, math.ceil(count / per_bucket))


class WriteShards(beam.PTransform):
    """Apply to `{"samples": ..., "rejects": ..., "inputs": ...}`; yields the manifest dict."""

    def __init__(
        self,
        output_dir: str,
        *,
        job: str,
        shards: ShardConfig | None = None,
        config: dict[str, Any] | None = None,
        row_schema: pa.Schema | None = None,
        bucket_basis: beam.PCollection | None = None,
    ):
        super().__init__()
        shards = shards or ShardConfig()
        self.output_dir = output_dir
        self.job, self.name = job, shards.name or job
        self.samples_per_shard, self.max_shard_bytes = shards.samples_per_shard, shards.max_shard_bytes
        self.config = dict(config or {})
        self.row_schema = row_schema
        self.bucket_basis = bucket_basis

    def expand(self, pcolls):
        typed, rejects, inputs = pcolls["samples"], pcolls["rejects"], pcolls["inputs"]
        spp, max_bytes = self.samples_per_shard, self.max_shard_bytes
        if not FileSystems.exists(self.output_dir):
            FileSystems.mkdirs(self.output_dir)

        # -- samples -> shards ---------------------------------------------------------------
        samples = typed | "Serialise" >> beam.Map(serialise).with_output_types(ShardSample)
        basis, basis_label = (
            (samples, "CountSamples") if self.bucket_basis is None else (self.bucket_basis, "CountBasis")
        )
        num_buckets = (
            basis
            | basis_label >> beam.combiners.Count.Globally()
            | "NumBuckets" >> beam.Map(_num_buckets, spp)
        )
        nb = beam.pvalue.AsSingleton(num_buckets)
        bucketed = samples | "BucketSamples" >> beam.Map(
            lambda s, n: (bucket_of(s.key, n), s), n=nb
        ).with_output_types(tuple[int, ShardSample])
        offsets = (
            bucketed
            | "KeySizes" >> beam.MapTuple(lambda b, s: (b, (s.key, s.num_bytes)))
            | "GroupKeySizes" >> beam.GroupByKey()
            | "PartCounts" >> beam.MapTuple(lambda b, ks: (b, len(plan_parts(list(ks), spp, max_bytes))))
            | "CollectPartCounts" >> beam.combiners.ToDict()
            | "Offsets" >> beam.Map(part_offsets)
        )
        shard_stats = (
            bucketed
            | "GroupBuckets" >> beam.GroupByKey()
            | "WriteBuckets"
            >> beam.ParDo(
                _WriteBucket(self.output_dir, self.name, self.row_schema, spp, max_bytes),
                offsets=beam.pvalue.AsSingleton(offsets),
            )
        )

        # -- rejects -> rejects-SSSSS.parquet --------------------------------------------------
        num_reject_files = (
            rejects
            | "CountRejects" >> beam.combiners.Count.Globally()
            | "NumRejectFiles" >> beam.Map(_num_buckets, REJECTS_PER_FILE)
        )
        rejects_files = (
            rejects
            | "BucketRejects"
            >> beam.Map(
                lambda r, n: (bucket_of(r.key, n), r), n=beam.pvalue.AsSingleton(num_reject_files)
            ).with_output_types(tuple[int, RejectRecord])
            | "GroupRejects" >> beam.GroupByKey()
            | "WriteRejects" >> beam.ParDo(_WriteRejects(self.output_dir))
        )
        reject_counts = (
            rejects
            | "RejectKinds" >> beam.Map(reject_kind)
            | "CountRejectKinds" >> beam.combiners.Count.PerElement()
        )
        input_keys = (
            inputs | "InputKeys" >> beam.Map(input_key) | "DigestInputs" >> beam.CombineGlobally(KeysDigest())
        )
        rejected_keys = (
            rejects
            | "RejectedKeys" >> beam.FlatMap(counted_reject_key)
            | "DigestRejected" >> beam.CombineGlobally(KeysDigest())
        )
        # the member names samples use (the dataset card declares them all): combined per bundle,
        # so a few names per worker reach the driver, not one per sample
        member_names = (
            samples
            | "MemberNames" >> beam.Map(lambda s: frozenset(s.members))
            | "UnionMemberNames" >> beam.CombineGlobally(_union).without_defaults()
        )

        # -- manifest, last --------------------------------------------------------------------
        output_dir, job, name, config = self.output_dir, self.job, self.name, self.config

        def _finalize(_, inputs_digest, rejected_digest, stats, counts, files, names):
            m = manifest_lib.build_manifest(
                job=job,
                name=name,
                config=config,
                input_keys=inputs_digest,
                rejected_keys=rejected_digest,
                shard_stats=list(stats),
                reject_counts=list(counts),
                rejects_files=list(files),
            )
            return manifest_lib.finalize(output_dir, m, sorted(set().union(*names)))

        return (
            samples.pipeline
            | "ManifestTrigger" >> beam.Create([None])
            | "WriteManifest"
            >> beam.Map(
                _finalize,
                beam.pvalue.AsSingleton(input_keys),
                beam.pvalue.AsSingleton(rejected_keys),
                beam.pvalue.AsList(shard_stats),
                beam.pvalue.AsList(reject_counts),
                beam.pvalue.AsList(rejects_files),
                beam.pvalue.AsList(member_names),
            )
        )

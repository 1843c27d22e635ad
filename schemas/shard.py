"""A sample as the shard writer stores it, and an input that did not become one.

A `ShardSample` is one WebDataset sample serialised: its members by extension (`jpg`, `txt`,
`json`, `000.jpg`, ...) and one parquet sidecar row of metadata. Jobs carry typed samples
(schemas/samples.py) and only their codecs build ShardSamples. A `RejectRecord` is one input
that did not become a sample, with the stage and reason.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from schemas.reasons import RejectReason, Stage
from schemas.record import SchemaError


@dataclasses.dataclass
class ShardSample:
    key: str
    members: dict[str, bytes]  # extension (no leading dot) -> bytes
    row: dict[str, Any]  # the parquet sidecar row: metadata only, no media bytes

    def __post_init__(self) -> None:
        if not self.key or "." in self.key or "/" in self.key:
            raise SchemaError(f"ShardSample.key must be non-empty with no dots or slashes, got {self.key!r}")
        if not self.members:
            raise SchemaError(f"ShardSample {self.key}: no members")
        for ext, data in self.members.items():
            if not ext or ext.startswith(".") or "/" in ext:
                raise SchemaError(f"ShardSample {self.key}: bad member extension {ext!r}")
            if not isinstance(data, (bytes, bytearray)):
                raise SchemaError(
                    f"ShardSample {self.key}.{ext}: member must be bytes, got {type(data).__name__}"
                )

    @property
    def num_bytes(self) -> int:
        return sum(len(v) for v in self.members.values())

    def to_shard(self) -> ShardSample:
        """Already serialised (the typed samples' codecs return one of these)."""
        return self


@dataclasses.dataclass
class RejectRecord:
    key: str
    source: str  # the input's identity: a URL, "file.warc.gz@offset", "pairs.csv:17"
    stage: Stage
    reason: RejectReason
    detail: str = ""
    kept_key: str | None = None  # dedup: the representative that was kept instead

    def __post_init__(self) -> None:
        self.stage = Stage.parse(self.stage)
        self.reason = RejectReason.parse(self.reason)

    def to_row(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "source": self.source,
            "stage": self.stage.value,
            "reason": self.reason.value,
            "detail": self.detail[:2000],
            "kept_key": self.kept_key,
        }

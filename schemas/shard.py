"""What jobs hand the shard writer, and what they hand the rejects table.

A `ShardSample` is one WebDataset sample: its members by extension (`jpg`, `txt`, `json`,
`000.jpg`, ...) and one parquet sidecar row of metadata. A `RejectRecord` is one input that
did not become a sample, with the reason. The writer needs nothing else from a job.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from schemas.reasons import RejectReason
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
                raise SchemaError(f"ShardSample {self.key}.{ext}: member must be bytes, got {type(data).__name__}")

    @property
    def num_bytes(self) -> int:
        return sum(len(v) for v in self.members.values())


@dataclasses.dataclass
class RejectRecord:
    key: str
    source: str  # the input's identity: a URL, "file.warc.gz@offset", "pairs.csv:17"
    stage: str  # where it was decided: read, fetch, decode, filter, dedup, ...
    reason: RejectReason
    detail: str = ""
    kept_key: str | None = None  # dedup: the representative that was kept instead

    def __post_init__(self) -> None:
        self.reason = RejectReason.parse(self.reason)

    def to_row(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "source": self.source,
            "stage": self.stage,
            "reason": self.reason.value,
            "detail": self.detail[:2000],
            "kept_key": self.kept_key,
        }

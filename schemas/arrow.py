"""Arrow schemas of the data contracts, and record <-> table conversion.

Free-form dicts (`metadata`, `extra`) are stored as JSON strings: their keys differ between
sources and Arrow struct columns would force one schema on all of them.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from schemas.document import Document, ImageRef
from schemas.pairs import ImageTextPair, VideoTextPair
from schemas.record import Record

_JSON_FIELDS = ("metadata", "extra")

IMAGE_REF_TYPE = pa.struct(
    [
        ("url", pa.string()),
        ("alt", pa.string()),
        ("source_attr", pa.string()),
        ("sha256", pa.string()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("original_width", pa.int32()),
        ("original_height", pa.int32()),
    ]
)

DOCUMENT_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("url", pa.string()),
        ("texts", pa.list_(pa.string())),
        ("images", pa.list_(IMAGE_REF_TYPE)),
        ("metadata", pa.string()),
    ]
)

_IMAGE_FIELDS = [
    ("sha256", pa.string()),
    ("width", pa.int32()),
    ("height", pa.int32()),
    ("original_width", pa.int32()),
    ("original_height", pa.int32()),
]

IMAGE_TEXT_PAIR_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("url", pa.string()),
        ("caption", pa.string()),
        *_IMAGE_FIELDS,
        ("extra", pa.string()),
    ]
)

VIDEO_TEXT_PAIR_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("url", pa.string()),
        ("caption", pa.string()),
        ("duration", pa.float64()),
        ("source_fps", pa.float64()),
        ("fps", pa.float64()),
        ("num_frames", pa.int32()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("timestamps", pa.list_(pa.float64())),
        ("start", pa.float64()),
        ("end", pa.float64()),
        ("sha256", pa.string()),
        ("extra", pa.string()),
    ]
)

REJECT_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("source", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("kept_key", pa.string()),
    ]
)

SCHEMAS: dict[type[Record], pa.Schema] = {
    Document: DOCUMENT_SCHEMA,
    ImageTextPair: IMAGE_TEXT_PAIR_SCHEMA,
    VideoTextPair: VIDEO_TEXT_PAIR_SCHEMA,
}


def _to_row(record: Record) -> dict[str, Any]:
    row = record.to_dict()
    for name in _JSON_FIELDS:
        if name in row:
            row[name] = json.dumps(row[name], ensure_ascii=False, sort_keys=True)
    return row


def to_table(records: list[Record]) -> pa.Table:
    """A table of records of one type, with that type's schema."""
    if not records:
        raise ValueError("to_table needs at least one record (the type picks the schema)")
    cls = type(records[0])
    if any(type(r) is not cls for r in records):
        raise TypeError("to_table: all records must be of one type")
    return pa.Table.from_pylist([_to_row(r) for r in records], schema=SCHEMAS[cls])


def from_table(cls: type[Record], table: pa.Table) -> list[Record]:
    """Records back from a table written by `to_table` (validated on the way)."""
    out = []
    for row in table.to_pylist():
        for name in _JSON_FIELDS:
            if isinstance(row.get(name), str):
                row[name] = json.loads(row[name])
        if cls is Document:
            row["images"] = [None if im is None else ImageRef.from_dict(im) for im in row["images"]]
        out.append(cls.from_dict(row))
    return out

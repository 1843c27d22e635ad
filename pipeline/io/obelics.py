"""M3W pages as rows of the OBELICS schema (the HuggingFaceM4/OBELICS dataset card's four fields).

- `images`, `texts`: two lists of one length; at each position exactly one is set (an image
  at an image slot, a text block at a text position), in DOM order. Images are their URLs
  (`images="urls"`, as OBELICS ships them) or the fetched bytes (`images="bytes"`, stored as
  `datasets.Image()` structs `{"bytes", "path"}` with the image URL as path); in bytes mode an
  image slot that was never fetched has no bytes to give, so its position is left out (and counted).
- `metadata`: a JSON string of a list of the same length: None at text positions, at image
  positions a dict with OBELICS' `document_url`, `src`, `alt_text`, `original_width` /
  `original_height`, and ours: `width` / `height` (as stored), `sha256`, `source_attr`.
- `general_metadata`: a JSON string of a dict: OBELICS' `url`, `warc_filename`,
  `warc_record_offset` (for pages read from WARC files), and the rest of the page's metadata
  under its own names (`key`, `language`, `fetch_time`, ...).

The parquet schema carries the `datasets` features (its `huggingface` metadata), so
`datasets.load_dataset("parquet", ...)` decodes the images of a bytes export without being told.
"""

from __future__ import annotations

import json
from typing import Any

import pyarrow as pa

from schemas import M3WSample
from schemas.hf_features import IMAGE, list_of, value

IMAGE_MODES = ("urls", "bytes")
FEATURES = {
    "urls": {
        "images": list_of(value("string")),
        "texts": list_of(value("string")),
        "metadata": value("string"),
        "general_metadata": value("string"),
    },
}
FEATURES["bytes"] = {**FEATURES["urls"], "images": list_of(IMAGE)}
_IMAGE_TYPE = {
    "urls": pa.string(),
    "bytes": pa.struct([("bytes", pa.binary()), ("path", pa.string())]),
}
# our Document.metadata names -> OBELICS' general_metadata names
_GENERAL_NAMES = {"warc_file": "warc_filename", "warc_offset": "warc_record_offset"}
_INTERNAL = ("image_members",)  # written by the shard codec; not page metadata


def arrow_schema(images: str) -> pa.Schema:
    """The parquet schema of an export, `datasets` features included."""
    fields = [
        ("images", pa.list_(_IMAGE_TYPE[images])),
        ("texts", pa.list_(pa.string())),
        ("metadata", pa.string()),
        ("general_metadata", pa.string()),
    ]
    hf = json.dumps({"info": {"features": FEATURES[images]}})
    return pa.schema(fields, metadata={"huggingface": hf})


def obelics_row(sample: M3WSample, images: str) -> tuple[dict[str, Any], int]:
    """(the row, how many image slots were left out for want of bytes) of one page."""
    doc = sample.document
    out_images: list[Any] = []
    texts: list[str | None] = []
    meta: list[dict[str, Any] | None] = []
    left_out = 0
    for pos, (text, ref) in enumerate(zip(doc.texts, doc.images, strict=True)):
        if ref is None:
            out_images.append(None)
            texts.append(text)
            meta.append(None)
            continue
        if images == "bytes":
            media = sample.images.get(pos)
            if media is None:
                left_out += 1
                continue
            out_images.append({"bytes": media.data, "path": ref.url})
        else:
            out_images.append(ref.url)
        texts.append(None)
        meta.append(
            {
                "document_url": doc.url,
                "src": ref.url,
                "alt_text": ref.alt,
                "original_width": ref.original_width,
                "original_height": ref.original_height,
                "width": ref.width,
                "height": ref.height,
                "sha256": ref.sha256,
                "source_attr": ref.source_attr,
            }
        )
    general = {"url": doc.url, "key": doc.key}
    for name, v in doc.metadata.items():
        if name not in _INTERNAL:
            general[_GENERAL_NAMES.get(name, name)] = v
    row = {
        "images": out_images,
        "texts": texts,
        "metadata": json.dumps(meta, ensure_ascii=False),
        "general_metadata": json.dumps(general, ensure_ascii=False, sort_keys=True),
    }
    return row, left_out

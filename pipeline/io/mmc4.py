"""M3W pages as MMC4 documents (one JSON line each: the allenai/mmc4 README's fields).

- `url`; `text_list`: the page's text blocks in DOM order (MMC4 lists sentences; we keep our
  blocks, usually paragraphs, so nothing is re-split);
- `image_info`: one entry per image slot in DOM order: `image_name` (a stable file name to
  download it to: a hash of its URL and its type), `raw_url`, `matched_text_index`,
  `matched_sim`, `face_detections` (None: no face detector ran), and with `images="bytes"`
  `image_base64`, the field OpenFlamingo's MMC4 loader decodes;
- `similarity_matrix`: `len(image_info) x len(text_list)`;
- `could_have_url_duplicate`: 0 when the build deduplicated pages, else 1.

MMC4 had to guess where each image belonged (CLIP similarity, then an assignment); a page we
extracted places each image in the DOM, so an image is matched to the first text block after
it (the one OpenFlamingo puts it in front of), or the last one before it when none follows.

Similarity: when the page's metadata holds `image_text_similarity` (`{"model": NAME, "matrix":
[[...]]}`, one row per image slot and one column per text block), the matrix and the matched
entry of each row are exported and `similarity_source` names the model. Otherwise, the
documented placeholder: `similarity_source` is `"dom_order"`, the matrix is one-hot (1.0 at the
matched text, 0.0 elsewhere) and `matched_sim` is 1.0, so similarity thresholds keep every DOM
match. These are not similarities.

A page with no text block has nothing to match images to: it is skipped (reason `no_text`).
"""

from __future__ import annotations

import base64
import posixpath
from typing import Any
from urllib.parse import urlsplit

from schemas import M3WSample, SchemaError, stable_key
from schemas.hf_features import JSON, list_of, value
from schemas.samples import IMAGE_EXTS

SIMILARITY_KEY = "image_text_similarity"
DOM_ORDER = "dom_order"
NO_TEXT = "no_text"

_IMAGE_INFO = {
    "image_name": value("string"),
    "raw_url": value("string"),
    "matched_text_index": value("int64"),
    "matched_sim": value("float64"),
    "face_detections": JSON,
}
FEATURES = {
    "urls": {
        "url": value("string"),
        "key": value("string"),
        "text_list": list_of(value("string")),
        "image_info": list_of(_IMAGE_INFO),
        "similarity_matrix": list_of(list_of(value("float64"))),
        "similarity_source": value("string"),
        "could_have_url_duplicate": value("int64"),
    },
}
FEATURES["bytes"] = {
    **FEATURES["urls"],
    "image_info": list_of({**_IMAGE_INFO, "image_base64": value("string")}),
}


class SkipDocument(Exception):
    """A page the format cannot hold; `reason` is counted, `detail` says why."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason


def image_name(url: str, ext: str | None) -> str:
    """A stable file name for an image: MMC4-style hex (of its URL) and its type."""
    if ext is None:
        suffix = posixpath.splitext(urlsplit(url).path)[1].lower().lstrip(".")
        ext = suffix if suffix in IMAGE_EXTS else "jpg"
    return f"{stable_key('image', url)}.{ext}"


def _matched(position: int, text_positions: list[int]) -> int:
    """Index into text_list of the first text after `position`, else the last before it."""
    for index, text_pos in enumerate(text_positions):
        if text_pos > position:
            return index
    return len(text_positions) - 1


def mmc4_document(sample: M3WSample, images: str, *, deduplicated: bool) -> tuple[dict[str, Any], int]:
    """(the MMC4 document, how many image slots were left out for want of bytes) of one page."""
    doc = sample.document
    text_positions = [pos for pos, text in enumerate(doc.texts) if text is not None]
    if not text_positions:
        raise SkipDocument(NO_TEXT, f"page {doc.key} has no text block to match its images to")
    slots = doc.image_slots()
    computed = doc.metadata.get(SIMILARITY_KEY)
    matrix = None
    if computed is not None:
        matrix = computed.get("matrix") if isinstance(computed, dict) else None
        if not (
            isinstance(matrix, list)
            and len(matrix) == len(slots)
            and all(isinstance(row, list) and len(row) == len(text_positions) for row in matrix)
        ):
            raise SchemaError(
                f"page {doc.key}: metadata.{SIMILARITY_KEY} must be {{model, matrix}} with "
                f"{len(slots)} rows of {len(text_positions)} values"
            )
    info, rows, left_out = [], [], 0
    for slot_index, (pos, ref) in enumerate(slots):
        media = sample.images.get(pos)
        if images == "bytes" and media is None:
            left_out += 1
            continue
        matched = _matched(pos, text_positions)
        if matrix is not None:
            row = [float(x) for x in matrix[slot_index]]
        else:
            row = [1.0 if i == matched else 0.0 for i in range(len(text_positions))]
        entry = {
            "image_name": image_name(ref.url, media.ext if media is not None else None),
            "raw_url": ref.url,
            "matched_text_index": matched,
            "matched_sim": row[matched],
            "face_detections": None,
        }
        if images == "bytes":
            entry["image_base64"] = base64.b64encode(media.data).decode("ascii")
        info.append(entry)
        rows.append(row)
    document = {
        "url": doc.url,
        "key": doc.key,
        "text_list": [doc.texts[pos] for pos in text_positions],
        "image_info": info,
        "similarity_matrix": rows,
        "similarity_source": str(computed.get("model", "unnamed")) if matrix is not None else DOM_ORDER,
        "could_have_url_duplicate": 0 if deduplicated else 1,
    }
    return document, left_out

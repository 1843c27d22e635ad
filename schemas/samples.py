"""The typed sample of each job, and its codec to and from shard members (DESIGN §4).

A job carries one of these from the fetch to the shard writer; filters, dedup and release steps
read their attributes. Only the writer calls `to_shard()` and only the build reader calls
`from_shard()`, so the member layout below is written in this file and nowhere else:

- `M3WSample` (a Document + image bytes per slot): `KEY.json` (the Document; its
  `metadata.image_members` names each slot's member), `KEY.000.jpg`, `KEY.001.png`, ... one per
  fetched slot, numbered in slot order; sidecar row: DOCUMENT_SCHEMA.
- `PairSample` (an ImageTextPair + image bytes): `KEY.jpg` (png, webp), `KEY.txt` when there is a
  caption, `KEY.json` with img2dataset's fields; sidecar row: the same fields as KEY.json.
- `VideoSample` (a VideoTextPair + frames + clip): `KEY.000.jpg` ... `KEY.{T-1}.jpg`, `KEY.txt`,
  `KEY.json` (the VideoTextPair), `KEY.mp4` when kept; sidecar row: VIDEO_TEXT_PAIR_SCHEMA.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from typing import Any, ClassVar

from schemas.document import Document
from schemas.pairs import ImageTextPair, VideoTextPair
from schemas.record import SchemaError
from schemas.shard import ShardSample

IMAGE_EXTS = ("jpg", "jpeg", "png", "webp", "gif", "bmp", "tiff")
_INDEXED = re.compile(r"^(\d{3,})\.([a-z0-9]+)$")
IMAGE_MEMBERS_KEY = "image_members"  # Document.metadata entry naming each image slot's member


def indexed_member(index: int, ext: str) -> str:
    """The member name of the index-th image of a sample: `000.jpg`, `001.png`, ..."""
    return f"{index:03d}.{ext}"


def parse_indexed_member(name: str) -> tuple[int, str] | None:
    """(index, ext) of a member named by `indexed_member`, else None."""
    m = _INDEXED.match(name)
    return (int(m.group(1)), m.group(2)) if m else None


def _json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False).encode("utf-8")


@dataclasses.dataclass(frozen=True)
class MediaFile:
    """Encoded media bytes and the extension (member suffix) they are stored under."""

    data: bytes
    ext: str = "jpg"


@dataclasses.dataclass
class M3WSample:
    """One web page: its Document and the encoded image of each fetched slot, by Document position."""

    kind: ClassVar[str] = "m3w"
    document: Document
    images: dict[int, MediaFile] = dataclasses.field(default_factory=dict)

    @property
    def key(self) -> str:
        return self.document.key

    @property
    def source(self) -> str:
        return self.document.url

    def text(self) -> str:
        return self.document.text()

    def fetched_images(self) -> list[tuple[int, MediaFile]]:
        """(position, image) of every slot with bytes, in DOM order."""
        return [(pos, self.images[pos]) for pos, _ in self.document.image_slots() if pos in self.images]

    def without_slots(self, positions: set[int]) -> M3WSample:
        """A copy without the given image slots (their positions removed from the Document)."""
        doc = self.document.without_positions(positions)
        kept = [p for p in range(len(self.document.texts)) if p not in positions]
        new_pos = {old: new for new, old in enumerate(kept)}
        images = {new_pos[p]: m for p, m in self.images.items() if p in new_pos}
        return M3WSample(doc, images)

    def to_shard(self) -> ShardSample:
        members: dict[str, bytes] = {}
        names: list[str | None] = []
        for pos, _ in self.document.image_slots():
            media = self.images.get(pos)
            name = None
            if media is not None:
                name = indexed_member(len(members), media.ext)
                members[name] = media.data
            names.append(name)
        doc = dataclasses.replace(
            self.document, metadata={**self.document.metadata, IMAGE_MEMBERS_KEY: names}
        )
        row = doc.to_dict()
        row["metadata"] = json.dumps(row["metadata"], ensure_ascii=False, sort_keys=True)
        members["json"] = doc.to_json().encode("utf-8")
        return ShardSample(doc.key, members, row)

    @classmethod
    def from_shard(cls, shard: ShardSample, *, lenient: bool = False) -> M3WSample:
        """The page back from its members; `lenient` (a training loader) treats a slot whose member
        is missing as unfetched instead of as an error."""
        if "json" not in shard.members:
            raise SchemaError(f"m3w sample {shard.key}: no json member")
        doc = Document.from_json(shard.members["json"])
        names = doc.metadata.pop(IMAGE_MEMBERS_KEY, None)
        slots = [pos for pos, _ in doc.image_slots()]
        if names is None:
            names = [None] * len(slots)
        if not isinstance(names, list) or len(names) != len(slots):
            raise SchemaError(
                f"m3w sample {shard.key}: {IMAGE_MEMBERS_KEY} does not name one member per image slot"
            )
        images = {}
        for pos, name in zip(slots, names, strict=True):
            if name is None:
                continue
            parsed = parse_indexed_member(name) if isinstance(name, str) else None
            if lenient and parsed is not None and name not in shard.members:
                continue
            if parsed is None or name not in shard.members:
                raise SchemaError(f"m3w sample {shard.key}: slot {pos} names member {name!r}, which it lacks")
            images[pos] = MediaFile(shard.members[name], parsed[1])
        return cls(doc, images)


# img2dataset's per-sample fields, after the input row's own columns (KEY.json and the sidecar row)
_PAIR_FIELDS = (
    "key",
    "url",
    "caption",
    "status",
    "error_message",
    "width",
    "height",
    "original_width",
    "original_height",
    "exif",
    "sha256",
)


@dataclasses.dataclass
class PairSample:
    """One image and its caption, in img2dataset's webdataset layout."""

    kind: ClassVar[str] = "pairs"
    pair: ImageTextPair
    image: MediaFile
    exif: str | None = None  # EXIF as img2dataset records it (a JSON string)
    status: str = "success"
    error_message: str | None = None

    @property
    def key(self) -> str:
        return self.pair.key

    @property
    def source(self) -> str:
        return self.pair.url

    def text(self) -> str | None:
        return self.pair.caption

    @property
    def content_sha256(self) -> str:
        """The image's sha256: as recorded at processing, else of the stored bytes."""
        return self.pair.sha256 or hashlib.sha256(self.image.data).hexdigest()

    @property
    def original_size(self) -> tuple[int, int] | None:
        p = self.pair
        w = p.original_width if p.original_width is not None else p.width
        h = p.original_height if p.original_height is not None else p.height
        return (w, h) if w is not None and h is not None else None

    def meta(self) -> dict[str, Any]:
        """KEY.json and the sidecar row: the input row's columns, then img2dataset's fields."""
        p = self.pair
        meta = dict(p.extra)
        meta.update(
            key=p.key,
            url=p.url,
            caption=p.caption,
            status=self.status,
            error_message=self.error_message,
            width=p.width,
            height=p.height,
            original_width=p.original_width,
            original_height=p.original_height,
            exif=self.exif,
            sha256=p.sha256,
        )
        return meta

    def to_shard(self) -> ShardSample:
        meta = self.meta()
        members = {self.image.ext: self.image.data, "json": _json_bytes(meta)}
        if self.pair.caption is not None:
            members["txt"] = self.pair.caption.encode("utf-8")
        return ShardSample(self.pair.key, members, meta)

    @classmethod
    def from_meta(cls, meta: dict[str, Any], image: MediaFile, caption: str | None = None) -> PairSample:
        """A sample from img2dataset-style fields (any order; unknown fields are the row's own columns)."""
        extra = {k: v for k, v in meta.items() if k not in _PAIR_FIELDS}
        pair = ImageTextPair.from_dict(
            {
                "key": meta["key"],
                "url": meta.get("url") or "",
                "caption": caption if caption is not None else meta.get("caption"),
                "extra": extra,
                **{
                    k: meta.get(k) for k in ("sha256", "width", "height", "original_width", "original_height")
                },
            }
        )
        return cls(
            pair,
            image,
            exif=meta.get("exif"),
            status=meta.get("status") or "success",
            error_message=meta.get("error_message"),
        )

    @classmethod
    def from_shard(cls, shard: ShardSample) -> PairSample:
        ext = next((e for e in IMAGE_EXTS if e in shard.members), None)
        if ext is None:
            raise SchemaError(f"pair sample {shard.key}: no image member in {sorted(shard.members)}")
        try:
            meta = json.loads(shard.members["json"]) if "json" in shard.members else dict(shard.row)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise SchemaError(f"pair sample {shard.key}: bad json member ({exc})") from None
        if not isinstance(meta, dict):
            raise SchemaError(f"pair sample {shard.key}: json member is not an object")
        caption = shard.members["txt"].decode("utf-8") if "txt" in shard.members else None
        return cls.from_meta({**meta, "key": shard.key}, MediaFile(shard.members[ext], ext), caption)


@dataclasses.dataclass
class VideoSample:
    """A video clip: its VideoTextPair, the JPEG of each sampled frame, and optionally the clip."""

    kind: ClassVar[str] = "videos"
    pair: VideoTextPair
    frames: list[bytes]
    clip: bytes | None = None  # the sampled window re-encoded as mp4 (--keep-clip)

    @property
    def key(self) -> str:
        return self.pair.key

    @property
    def source(self) -> str:
        return self.pair.url

    def text(self) -> str:
        return self.pair.caption

    @property
    def identity(self) -> str | None:
        """The video's content hash plus the segment its row asked for: two captioned segments of
        one file are two samples; the same file listed twice (at any URL) is one."""
        sha = self.pair.sha256
        if sha is None:
            return None
        segment = self.pair.extra.get("segment")
        return sha if not segment else f"{sha}@{segment[0]}-{segment[1]}"

    def row(self) -> dict[str, Any]:
        row = self.pair.to_dict()
        row["extra"] = json.dumps(row["extra"], ensure_ascii=False, sort_keys=True)
        return row

    def to_shard(self) -> ShardSample:
        members = {indexed_member(i, "jpg"): jpg for i, jpg in enumerate(self.frames)}
        members["txt"] = self.pair.caption.encode("utf-8")
        members["json"] = self.pair.to_json().encode("utf-8")
        if self.clip is not None:
            members["mp4"] = self.clip
        return ShardSample(self.pair.key, members, self.row())

    @classmethod
    def from_shard(cls, shard: ShardSample) -> VideoSample:
        if "json" not in shard.members:
            raise SchemaError(f"video sample {shard.key}: no json member")
        pair = VideoTextPair.from_json(shard.members["json"])
        frames = sorted(
            (parsed[0], data)
            for name, data in shard.members.items()
            if (parsed := parse_indexed_member(name)) is not None
        )
        if [i for i, _ in frames] != list(range(len(frames))):
            raise SchemaError(f"video sample {shard.key}: frames are not numbered 000..{len(frames) - 1:03d}")
        return cls(pair, [data for _, data in frames], shard.members.get("mp4"))


SAMPLE_TYPES: dict[str, type] = {cls.kind: cls for cls in (M3WSample, PairSample, VideoSample)}


def decode_sample(job: str, shard: ShardSample) -> M3WSample | PairSample | VideoSample:
    """The typed sample of a `job` build from its shard members and sidecar row."""
    try:
        cls = SAMPLE_TYPES[job]
    except KeyError:
        raise ValueError(f"no sample type for job {job!r}; jobs: {', '.join(SAMPLE_TYPES)}") from None
    return cls.from_shard(shard)

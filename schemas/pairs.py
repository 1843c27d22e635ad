"""Image-text pairs (ALIGN/LTIP) and video-text pairs (VTP)."""

from __future__ import annotations

import dataclasses

from schemas.record import Record, SchemaError


def _check_key(owner: str, key: str) -> None:
    if not key or "." in key:
        raise SchemaError(f"{owner}.key must be non-empty and contain no dots, got {key!r}")


@dataclasses.dataclass
class ImageTextPair(Record):
    """One image and its text; the image fields mirror img2dataset's per-sample JSON."""

    key: str
    url: str
    caption: str | None  # None: the list had no caption column (a txt list of URLs)
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    original_width: int | None = None
    original_height: int | None = None
    extra: dict = dataclasses.field(default_factory=dict)  # the input row's other columns

    def validate(self) -> None:
        _check_key("ImageTextPair", self.key)


@dataclasses.dataclass
class VideoTextPair(Record):
    """A clip sampled to `num_frames` frames at `fps`, and its text."""

    key: str
    url: str
    caption: str
    duration: float | None = None  # seconds, of the source video
    source_fps: float | None = None
    fps: float | None = None  # the sampling rate of the frames
    num_frames: int | None = None
    width: int | None = None  # frame size after resizing
    height: int | None = None
    timestamps: list[float] = dataclasses.field(default_factory=list)  # seconds, one per frame
    start: float | None = None
    end: float | None = None
    sha256: str | None = None
    extra: dict = dataclasses.field(default_factory=dict)

    def validate(self) -> None:
        _check_key("VideoTextPair", self.key)
        if self.num_frames is not None and self.timestamps and len(self.timestamps) != self.num_frames:
            raise SchemaError(
                f"VideoTextPair {self.key}: {len(self.timestamps)} timestamps for {self.num_frames} frames"
            )

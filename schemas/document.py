"""Interleaved documents (the paper's M3W): texts and images in DOM order.

The OBELICS convention, so existing tools read our output: two parallel lists where each
position holds exactly one of a text block or an image slot.
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import urlsplit

from schemas.record import Record, SchemaError


@dataclasses.dataclass
class ImageRef(Record):
    """An image slot: where it came from and, once fetched, what it is."""

    url: str
    alt: str = ""
    source_attr: str = "src"  # the attribute the URL came from: src, srcset, data-src, ...
    sha256: str | None = None
    width: int | None = None
    height: int | None = None
    original_width: int | None = None
    original_height: int | None = None

    def validate(self) -> None:
        scheme = urlsplit(self.url).scheme
        if scheme not in ("http", "https"):
            raise SchemaError(f"ImageRef.url must be an absolute http(s) URL, got {self.url!r:.100}")


@dataclasses.dataclass
class Document(Record):
    """One web page. `texts[i]` and `images[i]` are never both set nor both None."""

    key: str
    url: str
    texts: list[str | None]
    images: list[ImageRef | None]
    metadata: dict = dataclasses.field(default_factory=dict)

    def validate(self) -> None:
        if "." in self.key or not self.key:
            raise SchemaError(f"Document.key must be non-empty and contain no dots, got {self.key!r}")
        if len(self.texts) != len(self.images):
            raise SchemaError(
                f"Document {self.key}: texts has {len(self.texts)} positions "
                f"but images has {len(self.images)}"
            )
        for i, (text, image) in enumerate(zip(self.texts, self.images, strict=True)):
            if (text is None) == (image is None):
                what = "both a text and an image" if text is not None else "neither a text nor an image"
                raise SchemaError(f"Document {self.key}: position {i} holds {what}; exactly one is required")

    # -- convenience ---------------------------------------------------------------------------
    @property
    def num_images(self) -> int:
        return sum(image is not None for image in self.images)

    def image_slots(self) -> list[tuple[int, ImageRef]]:
        """(position, image) for each image, in DOM order."""
        return [(i, image) for i, image in enumerate(self.images) if image is not None]

    def text(self, sep: str = "\n\n") -> str:
        """All text blocks joined: what text-quality filters and MinHash read."""
        return sep.join(t for t in self.texts if t is not None)

    def without_positions(self, positions: set[int]) -> Document:
        """A copy with the given positions removed (e.g. image slots whose fetch failed)."""
        keep = [i for i in range(len(self.texts)) if i not in positions]
        return dataclasses.replace(
            self,
            texts=[self.texts[i] for i in keep],
            images=[self.images[i] for i in keep],
            metadata=dict(self.metadata),
        )

    @classmethod
    def from_blocks(
        cls, key: str, url: str, blocks: list[str | ImageRef], metadata: dict[str, Any] | None = None
    ):
        """Build from one list of blocks in DOM order (str for text, ImageRef for images)."""
        texts = [b if isinstance(b, str) else None for b in blocks]
        images = [b if isinstance(b, ImageRef) else None for b in blocks]
        doc = cls(key=key, url=url, texts=texts, images=images, metadata=dict(metadata or {}))
        doc.validate()
        return doc

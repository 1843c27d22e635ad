"""Shared behaviour of text filters: judge the whole text, or each paragraph (OBELICS style).

`level="document"` rejects the sample when its text fails. `level="paragraph"` applies the same
rule to each text block of a Document and drops the blocks that fail (OBELICS filters
paragraphs before documents); a Document left with no text is rejected. Pairs and videos have
one caption, so both levels judge the caption.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from filters.base import KEEP, Dropped, Filter, Keep, Reject
from filters.samples import text_of
from schemas import Document

LEVELS = ("document", "paragraph")


@dataclasses.dataclass(frozen=True, kw_only=True)
class TextFilter(Filter):
    level: str = "document"

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, got {self.level!r}")

    def check_text(self, text: str) -> Reject | None:
        raise NotImplementedError(f"{type(self).__name__}.check_text")

    def filter(self, sample: Any) -> Keep | Reject:
        if self.level == "paragraph" and isinstance(sample, Document):
            return self._filter_paragraphs(sample)
        text = text_of(sample)
        if text is None:
            return KEEP
        return self.check_text(text) or KEEP

    def _filter_paragraphs(self, doc: Document) -> Keep | Reject:
        dropped = []
        num_texts = 0
        for pos, text in enumerate(doc.texts):
            if text is None:
                continue
            num_texts += 1
            verdict = self.check_text(text)
            if verdict is not None:
                dropped.append(Dropped("text", pos, verdict.reason, verdict.detail))
        if not dropped:
            return KEEP
        if len(dropped) == num_texts:
            first = dropped[0]
            return Reject(first.reason, f"all {num_texts} paragraphs failed; first: {first.detail}")
        return Keep(doc.without_positions({d.position for d in dropped}), tuple(dropped))

"""Language identification: LanguageFilter, with py3langid's model (shipped inside its wheel).

One identifier and one score everywhere: crawlers/html/language.py's classify, bit-identical to
py3langid's with `norm_probs=True`, over the first MAX_CHARS (500) characters, the
probability rounded to 4 places. So `min_score` is a probability in [0, 1] and means the
same whether the score was stored by the extractor or computed here.

A Document from crawlers.extract_document already carries that guess (metadata "language",
"language_score": guess_language over its texts joined by newlines), and it is used as is:
re-identifying cost 2.6 ms per sample-web page and 6 ms per 40 KB page with py3langid over
the whole text, more than the extraction itself. The stored guess describes the page as
extracted; `recheck=True` judges the document's current texts instead (after paragraph-level
filters, or for Documents from elsewhere), with the same function, so an unchanged Document
gets the same verdict either way. Captions (pairs, videos) and paragraphs
(`level="paragraph"`) are identified here; they skip guess_language's 20-letter floor, which
would turn most captions into "und" (undetermined).

The model is loaded once per process from the installed package, never downloaded.
MassiveText keeps English only (Gopher, A.1.1); `languages` configures the allowed set.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from crawlers.html import language as langid
from filters.base import KEEP, Keep, Reject, register
from filters.text_filter import TextFilter
from schemas import Document, RejectReason

# The extractor's metadata keys (crawlers/html/extract.py).
LANGUAGE_KEY, SCORE_KEY = "language", "language_score"


def identify_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the most likely language of the text's first 500 chars."""
    return langid.guess_language(text, min_letters=0)


def stored_guess(doc: Document) -> tuple[str, float] | None:
    """The extractor's (language, probability) from the metadata, or None when absent or malformed."""
    lang, score = doc.metadata.get(LANGUAGE_KEY), doc.metadata.get(SCORE_KEY)
    if not isinstance(lang, str) or isinstance(score, bool) or not isinstance(score, (int, float)):
        return None
    if not (0.0 <= score <= 1.0) or math.isnan(score):
        return None
    return lang, float(score)


def document_guess(doc: Document) -> tuple[str, float]:
    """What the extractor stores for these texts (same join, same cap, same letter floor)."""
    return langid.guess_language("\n".join(t for t in doc.texts if t is not None))


@register("language")
@dataclasses.dataclass(frozen=True, kw_only=True)
class LanguageFilter(TextFilter):
    kinds = frozenset({"document", "pair", "video"})

    languages: tuple[str, ...] = ("en",)
    min_score: float = 0.5
    recheck: bool = False  # re-identify Documents even when the extractor stored a guess

    def __post_init__(self) -> None:
        super().__post_init__()
        known = langid.known_languages()
        unknown = sorted(set(self.languages) - set(known))
        if unknown:
            raise ValueError(f"unknown language code(s) {unknown}; the model knows {sorted(known)}")

    def filter(self, sample: Any) -> Keep | Reject:
        if self.level == "document" and isinstance(sample, Document):
            guess = None if self.recheck else stored_guess(sample)
            return self.judge(*(guess or document_guess(sample))) or KEEP
        return super().filter(sample)

    def check_text(self, text: str) -> Reject | None:
        return self.judge(*identify_language(text))

    def judge(self, lang: str, score: float) -> Reject | None:
        if lang not in self.languages:
            return Reject(
                RejectReason.LANGUAGE, f"language {lang} (p={score:.2f}) not in {list(self.languages)}"
            )
        if score < self.min_score:
            return Reject(RejectReason.LANGUAGE, f"language {lang} p={score:.3f} < {self.min_score}")
        return None

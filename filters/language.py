"""Language identification: LanguageFilter, with py3langid's model (shipped inside its wheel).

The model is loaded once per process from the installed package, never downloaded. Scores are
normalised probabilities (`norm_probs=True`), so `min_score` is a probability in [0, 1].
MassiveText keeps English only (Gopher, A.1.1); `languages` configures the allowed set.
"""

from __future__ import annotations

import dataclasses
import functools

from filters.base import Reject, register
from filters.text_filter import TextFilter
from schemas import RejectReason


@functools.lru_cache(maxsize=1)
def _identifier():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def identify_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code, probability) of the most likely language."""
    lang, score = _identifier().classify(text)
    return lang, float(score)


@register("language")
@dataclasses.dataclass(frozen=True, kw_only=True)
class LanguageFilter(TextFilter):
    kinds = frozenset({"document", "pair", "video"})

    languages: tuple[str, ...] = ("en",)
    min_score: float = 0.5

    def __post_init__(self) -> None:
        super().__post_init__()
        unknown = sorted(set(self.languages) - set(_identifier().labels))
        if unknown:
            raise ValueError(f"unknown language code(s) {unknown}; the model knows {sorted(_identifier().labels)}")

    def check_text(self, text: str) -> Reject | None:
        lang, score = identify_language(text)
        if lang not in self.languages:
            return Reject(RejectReason.LANGUAGE, f"language {lang} (p={score:.2f}) not in {list(self.languages)}")
        if score < self.min_score:
            return Reject(RejectReason.LANGUAGE, f"language {lang} p={score:.3f} < {self.min_score}")
        return None

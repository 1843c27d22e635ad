"""A language guess for a document's text (py3langid: its model ships inside the wheel).

The paper's M3W keeps English pages; the guess is stored in the Document's metadata and the
job's `--languages` decides. Only the first thousand characters are read: the guess
stabilises long before that and identification cost is linear in the input.
"""

from __future__ import annotations

import functools

from py3langid.langid import MODEL_FILE, LanguageIdentifier

MAX_CHARS = 1000  # py3langid's feature loop is pure Python: ~4 us/char; 1000 chars is plenty for prose
UNKNOWN = "und"  # BCP 47's "undetermined"
# Under this many letters the classifier's answer is noise (a caption, a button label).
MIN_LETTERS = 20


@functools.lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    # norm_probs gives a probability in [0, 1] we can store and threshold on.
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def guess_language(text: str) -> tuple[str, float]:
    """(ISO 639-1 code or "und", probability)."""
    sample = text[:MAX_CHARS]
    if sum(map(str.isalpha, sample)) < MIN_LETTERS:
        return UNKNOWN, 0.0
    lang, prob = _identifier().classify(sample)
    return str(lang), round(float(prob), 4)

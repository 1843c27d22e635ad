"""A language guess for a document's text (py3langid: its model ships inside the wheel).

The paper's M3W keeps English pages; the guess is stored in the Document's metadata and the
job's `--languages` decides. Only the first MAX_CHARS characters are read: identification
cost is linear in the input (features, then one table row gathered per distinct feature), and
the guess stabilises long before. 500 was chosen on tests/crawlers/html/multilingual_texts.py (25
languages with the close pairs es/pt/it, da/no/sv, cs/sk, ru/uk, id/ms, nl/af, and page-like
mixtures: menu lines, lists, tables, code): 480 documents, every guess equal to the
1000-character guess (so were 200-800); the probability moves by up to 0.14 (0.32 at 200).

Speed: py3langid walks its byte-n-gram automaton in a Python loop and scores with a float16
table; that was half of extract_document's time. classify runs crawlers.html._langid (Cython,
built by `pip install`): the walk byte by byte in C, features counted in first-seen order as
py3langid's Counter has them, scores summed in double, numpy's normalisation. Measured on
500-character texts (median per call, 2 shared cores): 22 us for one English text repeated,
33 us over 960 different documents (tests/crawlers/html/multilingual_texts.py), against 190 and
255 us for the numpy path below (different documents cost more: their ~350 rows of the
57 MB float32 table and their reads of the 39 MB transition table miss the cache). In a real
stream of pages the caches are cold (other work runs in between): measured after touching
64 MB, ~310 us a call, the walk's chain of dependent loads nearly all of it. The scorer
therefore walks tables fused by transition (one load on the chain per byte, not two) held on
2 MiB pages (no TLB miss per load): ~200 us cold. Its guesses equal py3langid's,
probabilities within float32 rounding (see crawlers/html/_langid.pyx).

Without the extension, the numpy path: the automaton's state after a byte only depends on
the last `depth` bytes (a state stands for a string of at most `depth` bytes; 6 for the
shipped model, found by breadth-first search at load), so the state at every position is
found at once: run the automaton from its root over each position's window of `depth`
bytes, `depth` vectorised steps. Feature counts are taken in first-seen order, so the
scores (the same BLAS product) and hence the guesses are bit-identical to py3langid's;
tests/crawlers/html/test_language.py checks both paths against py3langid's own classify.
Without the internals this relies on (py3langid 0.4's LanguageIdentifier), it falls back
to classify.
"""

from __future__ import annotations

import functools
import logging
import math

import numpy as np
from py3langid.langid import MODEL_FILE, LanguageIdentifier

try:  # built by `pip install` (setup.py); without it the numpy path below answers
    from crawlers.html._langid import Scorer
except ImportError:  # pragma: no cover - a source checkout without the build
    Scorer = None

log = logging.getLogger(__name__)

MAX_CHARS = 500  # guesses equal to 1000 characters' on the multilingual test set (docstring)
UNKNOWN = "und"  # BCP 47's "undetermined"
# Under this many letters the classifier's answer is noise (a caption, a button label).
MIN_LETTERS = 20


@functools.lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    # norm_probs gives a probability in [0, 1] we can store and threshold on.
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def known_languages() -> tuple[str, ...]:
    """The ISO 639-1 codes the shipped model can answer (filters check configs against them)."""
    return tuple(_identifier().labels)


class _Automaton:
    """py3langid's transition table as numpy arrays, for a vectorised walk."""

    def __init__(self, ident: LanguageIdentifier) -> None:
        self.ident = ident
        self.nextmove = np.frombuffer(ident.tk_nextmove, dtype=f"u{ident.tk_nextmove.itemsize}")
        self.rowbase = np.asarray(ident._rowbase, dtype=np.int64)
        self.output = np.asarray(ident.tk_output, dtype=np.int64)
        self._table: np.ndarray | None = None
        self.depth = self._max_depth()
        self.scorer = None
        if Scorer is not None:
            try:
                self.scorer = self._compiled()
            except ValueError as exc:  # a model the compiled walk cannot hold: the numpy path answers
                log.warning("crawlers.html._langid cannot take this py3langid model (%s); using numpy", exc)

    @property
    def table(self) -> np.ndarray:
        """The float16 table cast once for the numpy path (exact; 57 MB for the shipped model):
        numpy's per-call float16 -> float32 cast of the ~500 rows a text touches cost 0.3 ms,
        40x the product. Not built when the compiled scorer answers (it keeps its own copy)."""
        if self._table is None:
            self._table = self.ident.nb_ptc.astype(np.float32)
        return self._table

    def _compiled(self):
        """crawlers.html._langid.Scorer over the same arrays (it checks their ranges once)."""
        ident = self.ident
        # log1p of small counts from numpy itself, so those weights equal the numpy path's.
        log1p = np.log1p(np.arange(4096, dtype=np.float32))
        return Scorer(
            np.ascontiguousarray(self.nextmove, dtype=np.uint32),
            self.rowbase,
            self.output.astype(np.int32),
            self.ident.nb_ptc.astype(np.float32),
            np.ascontiguousarray(ident.nb_pc, dtype=np.float32),
            ident._alias_pairs,
            log1p,
        )

    def _max_depth(self) -> int:
        """Longest string a state stands for = its breadth-first distance from the root."""
        rows = self.nextmove.reshape(-1, 256)
        row_of = self.rowbase >> 8
        seen = np.zeros(len(self.rowbase), dtype=bool)
        seen[0] = True
        frontier, depth = np.array([0]), 0
        while len(frontier):
            targets = np.unique(row_of[frontier])
            reached = np.zeros(len(seen), dtype=bool)
            for i in range(0, len(targets), 4096):  # chunks bound the temporary to 4 MiB
                reached[rows[targets[i : i + 4096]]] = True
            frontier = np.flatnonzero(reached & ~seen)
            seen[frontier] = True
            depth += 1 if len(frontier) else 0
        return depth

    def features(self, data: bytes) -> tuple[np.ndarray, np.ndarray]:
        """(feature ids, counts) in first-seen order: py3langid's visit_counts, vectorised."""
        raw = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
        n, d = len(raw), self.depth
        states = np.empty(n, dtype=np.int64)
        head = min(n, d - 1)
        state = 0
        for i in range(head):  # the first positions have shorter windows: walk them plainly
            state = int(self.nextmove[self.rowbase[state] + raw[i]])
            states[i] = state
        if n > head:
            state_vec = np.zeros(n - head, dtype=np.int64)
            for k in range(d):  # window of position i: bytes i-d+1 .. i
                state_vec = self.nextmove[self.rowbase[state_vec] + raw[k : k + n - head]].astype(np.int64)
            states[head:] = state_vec
        feats = self.output[states]
        feats = feats[feats >= 0]
        if not len(feats):
            return feats, feats
        ids, first, counts = np.unique(feats, return_index=True, return_counts=True)
        order = np.argsort(first, kind="stable")
        return ids[order], counts[order]

    def classify(self, text: str) -> tuple[str, float]:
        """py3langid's classify(text) with norm_probs=True and no min_confidence: compiled
        (crawlers.html._langid) when built, else classify_numpy."""
        if self.scorer is None:
            return self.classify_numpy(text)
        i, prob = self.scorer.classify(self.ident._encode(text))
        return self.ident.nb_classes[i], prob

    def classify_numpy(self, text: str) -> tuple[str, float]:
        """The numpy path: the fallback, and the compiled scorer's reference in tests."""
        ident = self.ident
        data = ident._encode(text)
        ids, counts = self.features(data)
        if len(ids):
            scores = np.log1p(counts.astype(np.float32)) @ self.table[ids] + ident.nb_pc
        else:  # no features: py3langid's uniform 0.0 scores, normalised like any others
            scores = np.full(len(ident.nb_classes), 0.0, dtype=np.float32)
        scores *= 1.0 / math.sqrt(len(data) or 1)
        np.exp(scores - scores.max(), out=scores)
        scores /= scores.sum()
        for i, j in ident._alias_pairs:
            scores[i] += scores[j]
            scores[j] = 0.0
        i = int(scores.argmax())
        return ident.nb_classes[i], float(scores[i])


@functools.lru_cache(maxsize=1)
def _automaton() -> _Automaton | None:
    ident = _identifier()
    try:
        return _Automaton(ident)
    except (AttributeError, TypeError, ValueError) as exc:  # another py3langid layout
        log.warning("py3langid internals changed (%s); using its slower classify", exc)
        return None


def classify(text: str) -> tuple[str, float]:
    """(language, probability) as py3langid's classify gives them (the probability to float32
    rounding with the compiled scorer, exactly without it)."""
    fast = _automaton()
    if fast is None or fast.ident.min_confidence is not None:
        lang, prob = _identifier().classify(text)
        return str(lang), float(prob)
    return fast.classify(text)


def _has_letters(text: str, needed: int) -> bool:
    """At least `needed` letters (str.isalpha); stops as soon as they are found."""
    for ch in text:
        if ch.isalpha():
            needed -= 1
            if not needed:
                return True
    return needed <= 0


def guess_language(text: str, min_letters: int = MIN_LETTERS) -> tuple[str, float]:
    """(ISO 639-1 code or "und", probability) from the first MAX_CHARS characters; "und" under
    `min_letters` letters (0: always the classifier's answer, as for captions)."""
    sample = text[:MAX_CHARS]
    if min_letters and not _has_letters(sample, min_letters):
        return UNKNOWN, 0.0
    lang, prob = classify(sample)
    return str(lang), round(float(prob), 4)

"""Eval decontamination: drop training samples that overlap the evaluation sets.

The paper deduplicates its training images against the evaluation benchmarks (appendix A.3.4).
Given evaluation images (as perceptual hashes, see `eval_image_hashes`) and evaluation texts:
- a sample with an image within `max_distance` pHash bits (and the colour check of
  filters/phash.py) of an eval image is dropped;
- a sample whose text contains a run of `ngram` words (13, as in GPT-3's contamination
  analysis) of an eval text is dropped; an eval text shorter than `ngram` words (a caption)
  matches when the whole text occurs, if it has at least `min_words` words.
Matching is case-insensitive over word tokens. Eval sets are small next to training data, so
they travel with the DoFn and are indexed once per worker (`setup`); pHash candidates come from
the same band keys as perceptual dedup. Each drop is a RejectRecord(stage="decontaminate",
reason=EVAL_CONTAMINATION, kept_key=None) whose detail names the eval item: that is the report
of what was removed; counters `decontaminate/image` and `decontaminate/text` count them.

    result = samples | Decontaminate(eval_image_hashes({"coco-1": jpeg_bytes}), [("coco-1-cap", caption)])
    images, texts = load_eval_csv("sample/eval/eval.csv")   # path,caption rows; paths relative to the CSV
"""

from __future__ import annotations

import csv
import io
import logging
import re
from collections import defaultdict
from collections.abc import Mapping

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics
from PIL import Image

from filters.phash import (
    DEFAULT_MAX_COLOUR_DISTANCE,
    DEFAULT_MAX_DISTANCE,
    ImageHash,
    hamming,
    image_hash,
    is_near,
    phash_band_keys,
)
from filters.samples import sample_key, sample_source
from pipeline.dedup.base import sample_image_hashes, sample_text
from pipeline.steps.rejects import REJECTS, tag
from schemas import RejectReason, RejectRecord, Stage

log = logging.getLogger(__name__)

STAGE = Stage.DECONTAMINATE
_WORD = re.compile(r"\w+")


def eval_image_hashes(images: Mapping[str, bytes]) -> list[tuple[str, ImageHash]]:
    """(eval id, perceptual hash) for encoded evaluation images."""
    return [(eval_id, image_hash(Image.open(io.BytesIO(data)))) for eval_id, data in sorted(images.items())]


def load_eval_csv(path: str, path_col: str = "path", text_col: str = "caption") -> tuple[list, list]:
    """(eval images as (id, ImageHash), eval texts as (id, text)) from a CSV of image paths and captions.

    Image paths are relative to the CSV's directory (the sample web's eval/eval.csv layout) or
    absolute; any filesystem Beam knows (local, gs://, s3://) works. The id is the image path.
    """
    with FileSystems.open(path) as fh:
        rows = list(csv.DictReader(io.TextIOWrapper(fh, encoding="utf-8")))
    missing = {path_col, text_col} - set(rows[0] if rows else {path_col, text_col})
    if missing:
        raise ValueError(f"{path}: eval CSV lacks column(s) {sorted(missing)}; it has {sorted(rows[0])}")
    base = path.rsplit("/", 1)[0] if "/" in path else "."
    images, texts = {}, []
    for row in rows:
        rel = row[path_col]
        if rel:
            full = rel if "://" in rel or rel.startswith("/") else f"{base}/{rel}"
            with FileSystems.open(full) as fh:
                images[rel] = fh.read()
        if row.get(text_col):
            texts.append((rel or f"row{len(texts)}", row[text_col]))
    return eval_image_hashes(images), texts


def load_eval_sets(pattern: str) -> tuple[list, list]:
    """Eval images and texts of one CSV, or of every .csv a glob names (ids stay the image paths)."""
    if FileSystems.exists(pattern):
        paths = [pattern]
    else:
        paths = sorted(
            m.path for m in FileSystems.match([pattern])[0].metadata_list if m.path.endswith(".csv")
        )
        if not paths:
            raise FileNotFoundError(f"--eval {pattern!r}: no such CSV, and the glob matches no .csv file")
    images, texts = [], []
    for path in paths:
        i, t = load_eval_csv(path)
        images.extend(i)
        texts.extend(t)
    log.info("eval sets %s: %d images, %d texts", paths, len(images), len(texts))
    return images, texts


def _words(text: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(text.lower()))


class _DecontaminateFn(beam.DoFn):
    def __init__(
        self,
        eval_images,
        eval_texts,
        max_distance,
        max_colour,
        ngram,
        min_words,
        hashes_fn,
        text_fn,
        key_fn,
        source_fn,
    ):
        self._eval_images, self._eval_texts = list(eval_images), list(eval_texts)
        self._max_distance, self._max_colour, self._ngram, self._min_words = (
            max_distance,
            max_colour,
            ngram,
            min_words,
        )
        self._hashes_fn, self._text_fn, self._key_fn, self._source_fn = hashes_fn, text_fn, key_fn, source_fn
        self._image_hits = Metrics.counter(STAGE.value, "image")
        self._text_hits = Metrics.counter(STAGE.value, "text")

    def setup(self):
        self._bands = defaultdict(list)
        for eval_id, value in self._eval_images:
            for band in phash_band_keys(value.phash, self._max_distance):
                self._bands[band].append((eval_id, value))
        self._grams: dict[tuple[str, ...], str] = {}
        for eval_id, text in self._eval_texts:
            words = _words(text)
            if len(words) >= self._ngram:
                for i in range(len(words) - self._ngram + 1):
                    self._grams.setdefault(words[i : i + self._ngram], eval_id)
            elif len(words) >= self._min_words:
                self._grams.setdefault(words, eval_id)
        self._lengths = sorted({len(g) for g in self._grams})

    def _image_match(self, sample) -> str | None:
        if not self._bands:
            return None
        for value in self._hashes_fn(sample):
            hits = sorted(
                (hamming(value.phash, ev.phash), eval_id)
                for band in phash_band_keys(value.phash, self._max_distance)
                for eval_id, ev in self._bands.get(band, ())
                if is_near(value, ev, self._max_distance, self._max_colour)
            )
            if hits:
                return f"image within {hits[0][0]} pHash bits of eval image {hits[0][1]}"
        return None

    def _text_match(self, sample) -> str | None:
        if not self._grams:
            return None
        words = _words(self._text_fn(sample) or "")
        for n in self._lengths:
            for i in range(len(words) - n + 1):
                eval_id = self._grams.get(words[i : i + n])
                if eval_id is not None:
                    return f"shares a {n}-word run with eval text {eval_id}"
        return None

    def process(self, sample):
        detail = self._image_match(sample)
        counter = self._image_hits
        if detail is None:
            detail, counter = self._text_match(sample), self._text_hits
        if detail is None:
            yield sample
            return
        counter.inc()
        yield tag(
            RejectRecord(
                self._key_fn(sample), self._source_fn(sample), STAGE, RejectReason.EVAL_CONTAMINATION, detail
            )
        )


class Decontaminate(beam.PTransform):
    """samples -> (kept, rejects) without samples that overlap the evaluation images or texts."""

    def __init__(
        self,
        eval_images=(),
        eval_texts=(),
        max_distance: int = DEFAULT_MAX_DISTANCE,
        max_colour_distance: float = DEFAULT_MAX_COLOUR_DISTANCE,
        ngram: int = 13,
        min_words: int = 8,
        hashes_fn=sample_image_hashes,
        text_fn=sample_text,
        key_fn=sample_key,
        source_fn=sample_source,
        label=None,
    ):
        super().__init__(label)
        self._fn = _DecontaminateFn(
            eval_images,
            eval_texts,
            max_distance,
            max_colour_distance,
            ngram,
            min_words,
            hashes_fn,
            text_fn,
            key_fn,
            source_fn,
        )

    def expand(self, samples):
        return samples | "Decontaminate" >> beam.ParDo(self._fn).with_outputs(REJECTS, main="kept")

"""Real pages with hand-written (or hand-checked) article bodies, and the benchmark's metric.

Two corpora, neither kept in this repository:
- "article-extraction-dev": `../shared/data/article-extraction-dev/` next to the repository,
  102 real news and blog pages with the article body a person wrote down (a subset of Zyte's
  public article-extraction benchmark, MIT; see its README).
- "newspaper4k": the real pages that newspaper4k's source distribution carries in
  tests/data/html with their expected article text in tests/data/txt (MIT; English, Spanish,
  Chinese, Japanese, Thai, Arabic, Burmese, Latvian and Korean pages). Fetched at bench time with
  `pip download --no-deps --no-binary :all: newspaper4k==0.9.6` into a cache folder outside git
  ($FLAMINGO_BENCH_CACHE, default ~/.cache/flamingo-bench); pages without an expected text are
  left out. trafilatura's own test pages are never used: the peer was tuned on them.

The metric is the article-extraction benchmark's (its evaluate.py): text -> `\\w+` tokens ->
4-token shingles; per page, true/false positives and false negatives are multiset matches
between predicted and true shingles, normalised to sum to 1 (long pages do not weigh more);
precision is averaged over pages that predicted something or should have, recall likewise, and
F1 is taken of the two means.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import os
import re
import subprocess
import sys
import tarfile
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

log = logging.getLogger(__name__)

REPO = Path(__file__).resolve().parents[1]
ZYTE_DEV = REPO.parent / "shared" / "data" / "article-extraction-dev"
NEWSPAPER4K = "newspaper4k==0.9.6"
_TOKEN = re.compile(r"\w+")


@dataclasses.dataclass(frozen=True)
class RealPage:
    url: str
    html: str
    body: str  # the expected article text


def load_zyte(root: Path = ZYTE_DEV) -> dict[str, RealPage]:
    """{key: page} of the article-extraction benchmark folder; {} when it is absent."""
    truth_path = root / "ground-truth.json"
    if not truth_path.exists():
        return {}
    truth = json.loads(truth_path.read_text("utf-8"))
    pages = {}
    for key, entry in sorted(truth.items()):
        with gzip.open(root / "html" / f"{key}.html.gz", "rt", encoding="utf-8", errors="replace") as fh:
            pages[key] = RealPage(entry["url"], fh.read(), entry.get("articleBody") or "")
    return pages


def cache_dir() -> Path:
    return Path(os.environ.get("FLAMINGO_BENCH_CACHE", Path.home() / ".cache" / "flamingo-bench"))


def _sdist(requirement: str, cache: Path) -> Path | None:
    """The source archive of `requirement` in the cache, downloaded with pip when missing."""
    name, version = requirement.split("==")
    found = sorted(cache.glob(f"{name}-{version}.tar.gz"))
    if not found:
        cache.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        done = subprocess.run([*cmd, "-d", str(cache), requirement], capture_output=True, text=True)
        if done.returncode:
            log.warning("pip download %s failed: %s", requirement, done.stderr.strip()[-300:])
            return None
        found = sorted(cache.glob(f"{name}-{version}.tar.gz"))
    return found[0] if found else None


def load_newspaper4k(cache: Path | None = None) -> dict[str, RealPage]:
    """{name: page} of newspaper4k's labelled test pages (html + txt, url from metadata)."""
    archive = _sdist(NEWSPAPER4K, cache or cache_dir())
    if archive is None:
        return {}
    members: dict[str, bytes] = {}
    with tarfile.open(archive) as tar:
        for member in tar.getmembers():
            parts = member.name.split("/")
            if member.isfile() and parts[1:3] == ["tests", "data"] and len(parts) == 5:
                members["/".join(parts[3:])] = tar.extractfile(member).read()
    pages = {}
    for path in sorted(members):
        kind, _, filename = path.partition("/")
        if kind != "html" or not filename.endswith(".html"):
            continue
        stem = filename[: -len(".html")]
        body = members.get(f"txt/{stem}.txt")
        if not body or not body.strip():
            continue
        meta = json.loads(members.get(f"metadata/{stem}.json", b"{}") or b"{}")
        url = meta.get("url") or f"http://newspaper4k.test/{stem}.html"
        pages[stem] = RealPage(url, members[path].decode("utf-8", "replace"), body.decode("utf-8", "replace"))
    return pages


def shingles(text: str, n: int = 4) -> Counter:
    tokens = _TOKEN.findall(text or "")
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])


def page_counts(true: str, pred: str) -> tuple[float, float, float]:
    """(tp, fp, fn) over 4-token shingles, normalised to sum to 1."""
    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def _precision(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fp) if tp + fp else 0.0


def _recall(tp: float, fp: float, fn: float) -> float:
    if fp == fn == 0:
        return 1.0
    return tp / (tp + fn) if tp + fn else 0.0


def f1_precision_recall(counts: Iterable[tuple[float, float, float]]) -> tuple[float, float, float]:
    """(F1 of the means, mean precision, mean recall), as the benchmark's evaluate.py computes them."""
    counts = list(counts)
    precisions = [_precision(*c) for c in counts if c[0] + c[1] > 0]
    recalls = [_recall(*c) for c in counts if c[0] + c[2] > 0]
    precision = sum(precisions) / len(precisions) if precisions else 0.0
    recall = sum(recalls) / len(recalls) if recalls else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return f1, precision, recall

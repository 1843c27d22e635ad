"""Stable sample keys: a hash of the source identity, never a running counter.

The same URL (or WARC file + record offset) gives the same key on every run, worker and
machine, so re-runs and retries land on the same keys and the same shards. Keys are
lowercase hex (WebDataset splits member names at the first dot, so keys hold none).
"""

from __future__ import annotations

import hashlib

KEY_HEX_CHARS = 24  # 96 bits: collision odds ~1e-11 at 1e9 samples (birthday bound)
_SEP = "\x1f"  # unit separator: cannot appear in a URL, keeps ("a", "bc") != ("ab", "c")


def stable_key(*parts: object) -> str:
    """A key from the parts of a source identity (strings or ints), order-sensitive."""
    if not parts:
        raise ValueError("stable_key needs at least one part of the source identity")
    text = _SEP.join(str(p) for p in parts)
    return hashlib.blake2b(text.encode("utf-8"), digest_size=KEY_HEX_CHARS // 2).hexdigest()


def url_key(url: str) -> str:
    """The key of a sample whose source is a URL (pairs, videos, live-crawled pages)."""
    return stable_key("url", url)


def warc_key(warc_file: str, offset: int) -> str:
    """The key of a record in a WARC file; the file's base name, so mirrors agree."""
    name = warc_file.rstrip("/").rsplit("/", 1)[-1]
    return stable_key("warc", name, int(offset))


def bucket_of(key: str, num_buckets: int) -> int:
    """A stable bucket in [0, num_buckets) for a key (keys are already uniform hashes)."""
    return int(key[:12], 16) % num_buckets

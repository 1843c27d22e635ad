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
    """The key of a record in a WARC file: its full path and offset. (The base name alone made
    `a/part-00000.warc.gz` and `b/part-00000.warc.gz` collide.)"""
    return stable_key("warc", warc_file.rstrip("/"), int(offset))


# -- key-set digests ------------------------------------------------------------------------------
# A build proves conservation per key, not only by count: the manifest holds a digest of the
# input keys, the written keys and the rejected keys, and inputs == written + rejected must hold
# for the digests too. The digest of a multiset of keys is the sum of 128-bit key hashes modulo
# 2**128: order-free, so any worker can add its share, and a key written twice or lost changes it
# (a lost key offset by a doubled one balances the counts, not the sums).
DIGEST_MODULUS = 2**128


def key_hash(key: str) -> int:
    return int.from_bytes(hashlib.blake2b(key.encode("utf-8"), digest_size=16).digest(), "big")


def keys_digest(keys) -> int:
    return sum(key_hash(k) for k in keys) % DIGEST_MODULUS


def digest_hex(digest: int) -> str:
    return f"{digest % DIGEST_MODULUS:032x}"


def bucket_of(key: str, num_buckets: int) -> int:
    """A stable bucket in [0, num_buckets) for a key (keys are already uniform hashes)."""
    return int(key[:12], 16) % num_buckets

"""Near-duplicate detection speed and recall: filters.minhash vs datasketch, same docs and parameters.

    python bench/dedup.py [--docs 2000] [--pairs 200] [--words 300] [--repeats 3] [--bands 32]

Documents are made in code: random 12-word sentences over a 160-word vocabulary; `--pairs` of
them get a planted near-duplicate (boilerplate header/footer added and 1-3 sentences rewritten;
the true Jaccard of 5-word shingles is printed; pairs near 0.7 are where estimates differ).
Both sides hash 5-word shingles with 128
permutations and index them in an LSH with the same (bands, rows). Timed per side: tokenising
and shingling, the signatures, and inserting into the LSH index. docs/s = docs / median of
`--repeats` timings. Recall = share of planted pairs that share an LSH bucket and whose
estimated Jaccard is >= 0.7 (the dedup stage's check), over all planted pairs and over those
whose true Jaccard is >= 0.7. The ratio is ours / datasketch.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import time
from collections import defaultdict

from filters.minhash import MinHasher, estimate_jaccard

NUM_PERM = 128
THRESHOLD = 0.7
_WORD = re.compile(r"\w+")
VOCAB = [f"{a}{b}{c}{d}" for a in "bcdfgklmnp" for b in "aeiou" for c in "nrst" for d in "ao"][:160]


def make_corpus(
    num_docs: int, num_pairs: int, words: int, seed: int = 0
) -> tuple[list[str], list[tuple[int, int]]]:
    r = random.Random(seed)

    def sentence() -> str:
        return " ".join(r.choice(VOCAB) for _ in range(12)) + "."

    originals = [[sentence() for _ in range(words // 12)] for _ in range(num_docs - num_pairs)]
    docs = [" ".join(s) for s in originals]
    pairs = []
    for i in range(num_pairs):
        copy = originals[i][:]
        for _ in range(1 + i % 3):  # 1-3 sentences rewritten: lower similarity for some pairs
            copy[r.randrange(len(copy))] = sentence()
        docs.append(
            " ".join(["Home | News | Contact | Subscribe."] + copy + ["Copyright 2024, all rights reserved."])
        )
        pairs.append((i, len(docs) - 1))
    return docs, pairs


def run_ours(docs: list[str], bands: int):
    hasher = MinHasher(num_perm=NUM_PERM, num_bands=bands)
    sigs = hasher.signatures(docs)
    keys = hasher.band_keys(sigs)
    index: dict[tuple[int, int], list[int]] = defaultdict(list)
    for doc_id, row in enumerate(keys.tolist()):
        for band, value in enumerate(row):
            index[(band, value)].append(doc_id)
    return sigs, keys


def true_jaccard(a: str, b: str) -> float:
    def shingles(text: str) -> set[tuple[str, ...]]:
        words = _WORD.findall(text.lower())
        return {tuple(words[i : i + 5]) for i in range(max(len(words) - 4, 1))}

    sa, sb = shingles(a), shingles(b)
    return len(sa & sb) / len(sa | sb)


def found_ours(result, pairs) -> list[bool]:
    sigs, keys = result
    return [
        bool((keys[a] == keys[b]).any()) and estimate_jaccard(sigs[a], sigs[b]) >= THRESHOLD for a, b in pairs
    ]


def run_datasketch(docs: list[str], bands: int):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(num_perm=NUM_PERM, params=(bands, NUM_PERM // bands))
    hashes = []
    for doc_id, text in enumerate(docs):
        words = _WORD.findall(text.lower())
        shingles = {" ".join(words[i : i + 5]).encode() for i in range(max(len(words) - 4, 1))}
        m = MinHash(num_perm=NUM_PERM)
        m.update_batch(list(shingles))
        lsh.insert(doc_id, m)
        hashes.append(m)
    return lsh, hashes


def found_datasketch(result, pairs) -> list[bool]:
    lsh, hashes = result
    return [b in lsh.query(hashes[a]) and hashes[a].jaccard(hashes[b]) >= THRESHOLD for a, b in pairs]


def recalls(found: list[bool], above: list[bool]) -> tuple[float, float]:
    """(recall over all planted pairs, recall over pairs whose true Jaccard >= THRESHOLD)."""
    hits_above = sum(f for f, a in zip(found, above, strict=True) if a)
    return sum(found) / len(found), hits_above / max(sum(above), 1)


def timed(fn, *args, repeats: int):
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(*args)
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=200)
    ap.add_argument("--words", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--bands", type=int, default=32)
    args = ap.parse_args(argv)
    docs, pairs = make_corpus(args.docs, args.pairs, args.words)
    print(
        f"{len(docs)} docs of ~{args.words} words, {len(pairs)} planted pairs, num_perm={NUM_PERM}, "
        f"bands={args.bands} x rows={NUM_PERM // args.bands}, median of {args.repeats}"
    )
    truth = [true_jaccard(docs[a], docs[b]) for a, b in pairs]
    above = [j >= THRESHOLD for j in truth]
    t_ours, r_ours = timed(run_ours, docs, args.bands, repeats=args.repeats)
    rows = [("filters.minhash", len(docs) / t_ours, *recalls(found_ours(r_ours, pairs), above))]
    try:
        t_ds, r_ds = timed(run_datasketch, docs, args.bands, repeats=args.repeats)
        rows.append(("datasketch", len(docs) / t_ds, *recalls(found_datasketch(r_ds, pairs), above)))
    except ImportError:
        print("datasketch is not installed (pip install -e '.[bench]'): ours only")
    print(
        f"true Jaccard of the planted pairs: {min(truth):.2f}..{max(truth):.2f}; "
        f"{sum(above)} of {len(pairs)} are >= {THRESHOLD}"
    )
    print(f"{'':18}{'docs/s':>12}{'recall':>10}{f'recall@J>={THRESHOLD}':>16}")
    for name, rate, recall, recall_above in rows:
        print(f"{name:18}{rate:12.0f}{recall:10.3f}{recall_above:16.3f}")
    if len(rows) == 2:
        print(
            f"speed ratio (ours / datasketch): {rows[0][1] / rows[1][1]:.1f}x  (target >= 2x at equal recall)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Dedup's graph at scale: components the fixed rounds cannot finish, and hot LSH buckets."""

from __future__ import annotations

import random

import apache_beam as beam
import numpy as np
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.util import assert_that, equal_to

from pipeline.dedup.components import ConnectedComponents, link_bucket
from pipeline.dedup.documents import DedupNearDocuments
from pipeline.runner.throughput import read_counters
from schemas import RejectReason


def _counters(result) -> dict[str, int]:
    return read_counters(result.metrics())


def _labels_of(edges, rounds: int, expected: dict[str, str]) -> dict[str, int]:
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        labels = p | beam.Create(edges) | ConnectedComponents(rounds=rounds)
        assert_that(labels, equal_to(sorted(expected.items())))
    return _counters(p.result)


def _chain(n: int) -> list[tuple[str, str]]:
    """A path n000 - n001 - ... shuffled, with its ends' keys interleaved: the diameter is n."""
    order = [f"n{i:04d}" for i in range(n)]
    random.Random(7).shuffle(order)  # so the smallest key sits mid-path, not at an end
    edges = list(zip(order, order[1:], strict=False))
    random.Random(8).shuffle(edges)
    return edges


def test_a_chain_longer_than_the_rounds_reach_is_resolved_exactly_and_counted():
    edges = _chain(300)
    expected = {f"n{i:04d}": "n0000" for i in range(300)}
    short = _labels_of(edges, rounds=1, expected=expected)
    # the rounds cannot carry n0000 across a 300-node path with its keys shuffled: the residual
    # step finishes it, and says how much was left
    assert short["components/residual_edges"] > 0
    assert 0 < short["components/relabelled_nodes"] < 300
    more = _labels_of(edges, rounds=6, expected=expected)
    assert 0 < more["components/residual_edges"] < short["components/residual_edges"]


def test_components_the_rounds_finish_leave_no_residual():
    star_chain = [("k5", "k0"), ("k6", "k0"), ("k1", "k0"), ("k2", "k1"), ("k3", "k2")]
    counters = _labels_of(
        star_chain, rounds=4, expected={k: "k0" for k in ("k0", "k1", "k2", "k3", "k5", "k6")}
    )
    assert counters.get("components/residual_edges", 0) == 0
    assert counters.get("components/relabelled_nodes", 0) == 0


def test_two_chains_left_unfinished_are_not_merged():
    a = [(f"a{i:03d}", f"a{i + 1:03d}") for i in range(60)]
    b = [(f"b{i:03d}", f"b{i + 1:03d}") for i in range(60)]
    expected = {**{f"a{i:03d}": "a000" for i in range(61)}, **{f"b{i:03d}": "b000" for i in range(61)}}
    counters = _labels_of(a + b, rounds=1, expected=expected)
    assert counters["components/residual_edges"] > 0


_VOCAB = [f"w{i}" for i in range(5000)]


def _words(rng: random.Random, n: int) -> list[str]:
    return [rng.choice(_VOCAB) for _ in range(n)]


def test_hot_bucket_of_near_duplicates_and_boilerplate_pages(tmp_path):
    """1500 near copies of one article (one word changed each: Jaccard ~0.95) meet in one bucket
    per band, over MAX_PAIRWISE; 300 pages share 300 words of boilerplate and 200 of their own
    (Jaccard ~0.43, not duplicates). Verdicts: one copy kept, 1499 dropped as near duplicates of
    it, every page kept; the hot buckets counted."""
    rng = random.Random(0)
    article = _words(rng, 300)
    docs = []
    for i in range(1500):
        words = list(article)
        words[rng.randrange(300)] = f"variant{i}"
        docs.append((f"copy{i:04d}", " ".join(words)))
    boilerplate = _words(rng, 300)
    docs += [(f"page{i:04d}", " ".join(boilerplate + _words(rng, 200))) for i in range(300)]
    near = DedupNearDocuments(text_fn=lambda d: d[1], key_fn=lambda d: d[0], source_fn=lambda d: d[0])
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        out = p | beam.Create(docs) | near
        kept = out.kept | "KeptKeys" >> beam.Map(lambda d: d[0])
        rejects = out.rejects | "Verdicts" >> beam.Map(lambda r: (r.key, r.reason, r.kept_key))
        assert_that(kept, equal_to(["copy0000"] + [f"page{i:04d}" for i in range(300)]), label="Kept")
        assert_that(
            rejects,
            equal_to([(f"copy{i:04d}", RejectReason.DUPLICATE_NEAR, "copy0000") for i in range(1, 1500)]),
            label="Rejected",
        )
    counters = _counters(p.result)
    assert counters["components/large_buckets"] >= 32  # the copies' bucket in every band at least
    assert counters["components/large_bucket_members"] >= 32 * 1200  # most copies share each band
    assert counters.get("components/relabelled_nodes", 0) == 0


def test_a_hot_bucket_of_distinct_members_is_split_instead_of_one_pivot_each():
    """600 members, 300 pairs of duplicates, none close to another pair: pivots alone would call
    `close` ~600 times over the whole bucket; the split hands what 8 pivots left to sub-buckets
    (here by value // 100) and links the same pairs."""
    values = np.array([v for p in range(300) for v in (10 * p, 10 * p + 1)])
    keys = [f"k{i:04d}" for i in range(len(values))]
    scanned = []

    def close(i, js):
        scanned.append(len(js))
        return np.abs(values[js] - values[i]) <= 2

    def split(idx, level):
        if level >= 2:
            return None
        groups = {}
        for i in idx.tolist():
            groups.setdefault(int(values[i]) // (100 // (level + 1)), []).append(i)
        return [np.array(g) for _, g in sorted(groups.items())]

    expected = sorted((keys[2 * p + 1], keys[2 * p]) for p in range(300))
    assert sorted(link_bucket(keys, close, max_pairwise=32, split=split, max_pivots=8)) == expected
    assert sum(scanned) < 600 * 600 / 20  # the pivots-only cost is ~ 600^2 / 4
    scanned.clear()
    assert sorted(link_bucket(keys, close, max_pairwise=32)) == expected
    assert sum(scanned) > 600 * 600 / 5

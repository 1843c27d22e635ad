"""Connected components of a distributed graph, deterministically, with no state on the driver.

Dedup stages emit edges between near-duplicate samples; every component keeps one member, the
smallest key. `ConnectedComponents` labels each node with the smallest node id of its
component by min-label propagation with pointer jumping, a fixed number of rounds unrolled into
the Beam graph (a pipeline cannot loop): each round sets `label(v) = min(label(u) for u in
N(v) + v)` and then `label(v) = label(label(v))`. The jump makes labels travel exponentially far
per round, and the dedup stages feed it star edges (each LSH bucket is already merged to its
minimum), so components have a small diameter and a handful of rounds converge.

What the rounds leave is resolved exactly, not guessed: a final propagation finds every edge
whose two ends still carry different labels (the residual), and the residual's label pairs
(`label(u)`, `label(v)`) are merged by one union-find. Every label is a node of its own
component and the labels of one component stay connected through those pairs (the image of a
connected graph under the labelling is connected), so `find(label(v))` is the component's
smallest node for every v: the result is exact whatever the rounds, and the rounds only decide
how small the residual is. The residual goes to one worker, so its size is counted
(`components/residual_edges`, `components/relabelled_nodes`, read into the manifest's
`throughput.counters`) and logged: raise `rounds` if it is ever large. Min is commutative and
associative, so the result does not depend on bundle splits, worker counts or input order.

    labels = edges | ConnectedComponents(rounds=4)   # edges: PCollection[(u, v)] -> (node, label)
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

log = logging.getLogger(__name__)


def local_components(nodes: list[str], edges: list[tuple[str, str]]) -> dict[str, str]:
    """Union-find over one bucket: node -> smallest node of its component (nodes without edges omitted)."""
    parent = {n: n for n in nodes}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in edges:
        ra, rb = find(a), find(b)
        if ra != rb:
            if rb < ra:
                ra, rb = rb, ra
            parent[rb] = ra
    roots = {n: find(n) for n in nodes}
    linked = {n for e in edges for n in e}
    return {n: r for n, r in roots.items() if n in linked}


MAX_PAIRWISE = 512  # bucket members compared all-pairs; bigger buckets are clustered around pivots
MAX_PIVOTS = 64  # pivots in a hot bucket before what is left is split (where a split is given)

Split = Callable[[np.ndarray, int], "list[np.ndarray] | None"]


def link_bucket(
    keys: list[str],
    close: Callable[[int, np.ndarray], np.ndarray],
    max_pairwise: int = MAX_PAIRWISE,
    split: Split | None = None,
    max_pivots: int = MAX_PIVOTS,
):
    """Star edges (member, smallest member of its local component) for one LSH bucket.

    `keys` are sorted; `close(i, js)` says which members `js` are duplicates of member `i`.
    Up to `max_pairwise` members every pair is compared (O(m^2) time, O(m) memory). A larger
    bucket (a template shared by thousands of pages) is clustered greedily: the smallest
    unassigned member is a pivot and takes every unassigned member close to it, so a hot bucket
    of near copies costs one pass; a link between two non-pivots can then be missed here, but
    other bands usually recover it. A hot bucket of many distinct pages (boilerplate that shares
    a band but not the page) would take a pivot per page, O(m^2): given `split(indices, level)`
    (sub-buckets by another band's key; None when there is none left), what `max_pivots`
    pivots did not take is split and each part linked the same way (`components/hot_bucket_splits`).
    Every mode depends only on the sorted keys: deterministic.
    """
    m = len(keys)
    edges: list[tuple[str, str]] = []

    def all_pairs(idx: np.ndarray) -> None:
        for a in range(len(idx) - 1):
            rest = idx[a + 1 :]
            edges.extend((keys[idx[a]], keys[j]) for j in rest[close(int(idx[a]), rest)].tolist())

    def pivots(idx: np.ndarray, level: int) -> None:
        unassigned, taken = idx, 0
        while len(unassigned) > 1 and (split is None or taken < max_pivots):
            pivot, rest = unassigned[0], unassigned[1:]
            hit = close(int(pivot), rest)
            edges.extend((keys[pivot], keys[j]) for j in rest[hit].tolist())
            unassigned, taken = rest[~hit], taken + 1
        if len(unassigned) < 2:
            return
        parts = split(unassigned, level)
        if parts is None:  # no key left to split by: finish with pivots
            pivots_without_split(unassigned)
            return
        Metrics.counter("components", "hot_bucket_splits").inc()
        for part in parts:
            if len(part) <= max_pairwise:
                all_pairs(part)
            else:
                pivots(part, level + 1)

    def pivots_without_split(idx: np.ndarray) -> None:
        while len(idx) > 1:
            hit = close(int(idx[0]), idx[1:])
            edges.extend((keys[idx[0]], keys[j]) for j in idx[1:][hit].tolist())
            idx = idx[1:][~hit]

    if m <= max_pairwise:
        all_pairs(np.arange(m))
    else:
        Metrics.counter("components", "large_buckets").inc()
        Metrics.counter("components", "large_bucket_members").inc(m)
        log.info("LSH bucket of %d members: clustering around pivots", m)
        pivots(np.arange(m), 0)
    roots = local_components(keys, edges)
    return [(n, r) for n, r in roots.items() if n != r]


def _propagate(element):
    """One node's current label to itself (flagged) and to each neighbour."""
    node, groups = element
    labels = list(groups["label"])
    if not labels:
        return
    label = min(labels)
    yield node, (label, True)
    for neighbour in groups["adj"]:
        yield neighbour, (label, False)


def _min_label(element):
    node, offers = element
    return node, min(label for label, _ in offers)


RESIDUAL = "residual"


class _FinalMin(beam.DoFn):
    """The last propagation: a node's label, and a residual edge (own label, a neighbour's label)
    for every neighbour whose label differs (the rounds did not reach a fixed point there)."""

    def __init__(self):
        self._residual = Metrics.counter("components", "residual_edges")

    def process(self, element):
        node, offers = element
        offers = list(offers)
        own = min(label for label, is_self in offers if is_self)
        for other in sorted({label for label, is_self in offers if not is_self and label != own}):
            self._residual.inc()
            yield beam.pvalue.TaggedOutput(RESIDUAL, (own, other))
        yield node, own


def _resolve_residual(element) -> dict[str, str]:
    """Union-find over every residual label pair: label -> the smallest label of its group."""
    _, pairs = element
    pairs = sorted(set(pairs))
    nodes = sorted({n for p in pairs for n in p})
    roots = local_components(nodes, pairs)
    if roots:
        log.warning(
            "connected components: %d label pairs left after the rounds, resolved on one worker "
            "(raise rounds if this is large)",
            len(pairs),
        )
    return roots


class _Relabel(beam.DoFn):
    def __init__(self):
        self._relabelled = Metrics.counter("components", "relabelled_nodes")

    def process(self, node_label, roots):
        node, label = node_label
        final = roots.get(label, label)
        if final != label:
            self._relabelled.inc()
        yield node, final


def _jump(element):
    target, groups = element
    target_labels = list(groups["label"])
    for node in groups["ptr"]:
        yield node, min([target, *target_labels])


class ConnectedComponents(beam.PTransform):
    """Edges (u, v) -> (node, smallest node of its component), for every node with an edge."""

    def __init__(self, rounds: int = 4, label: str | None = None):
        super().__init__(label)
        if rounds < 1:
            raise ValueError(f"rounds must be >= 1, got {rounds}")
        self._rounds = rounds

    def expand(self, edges):
        adj = edges | "Symmetric" >> beam.FlatMap(lambda e: [(e[0], e[1]), (e[1], e[0])])
        labels = adj | "InitLabels" >> beam.Map(lambda e: (e[0], min(e)))  # repeats are harmless: min
        for r in range(self._rounds):
            labels = (
                {"adj": adj, "label": labels}
                | f"Round{r}Join" >> beam.CoGroupByKey()
                | f"Round{r}Propagate" >> beam.FlatMap(_propagate)
                | f"Round{r}Group" >> beam.GroupByKey()
                | f"Round{r}Min" >> beam.Map(_min_label)
            )
            pointers = labels | f"Round{r}Pointers" >> beam.Map(lambda nl: (nl[1], nl[0]))
            labels = (
                {"ptr": pointers, "label": labels}
                | f"Round{r}JumpJoin" >> beam.CoGroupByKey()
                | f"Round{r}Jump" >> beam.FlatMap(_jump)
            )
        final = (
            {"adj": adj, "label": labels}
            | "FinalJoin" >> beam.CoGroupByKey()
            | "FinalPropagate" >> beam.FlatMap(_propagate)
            | "FinalGroup" >> beam.GroupByKey()
            | "FinalMin" >> beam.ParDo(_FinalMin()).with_outputs(RESIDUAL, main="labels")
        )
        roots = (
            final[RESIDUAL]
            | "ResidualToOne" >> beam.Map(lambda pair: (None, pair))
            | "GroupResidual" >> beam.GroupByKey()
            | "ResolveResidual" >> beam.Map(_resolve_residual)
        )
        return final.labels | "Relabel" >> beam.ParDo(
            _Relabel(), beam.pvalue.AsSingleton(roots, default_value={})
        )

"""Connected components of a distributed graph, deterministically, with no state on the driver.

Dedup stages emit edges between near-duplicate samples; every component keeps one member, the
smallest key. `ConnectedComponents` labels each node with the smallest node id of its
component by min-label propagation with pointer jumping, a fixed number of rounds unrolled into
the Beam graph (a pipeline cannot loop): each round sets `label(v) = min(label(u) for u in
N(v) + v)` and then `label(v) = label(label(v))`. The jump makes labels travel exponentially far
per round, and the dedup stages feed it star edges (each LSH bucket is already merged to its
minimum), so components have a small diameter and a handful of rounds converge. A node whose
label still moves in a final propagation is counted (`components/unconverged_nodes`) and
logged: raise `rounds` if it is ever non-zero (no movement means a fixed point, where both ends
of every edge agree). Min is commutative and associative, so the result does not depend on
bundle splits, worker counts or input order.

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


def link_bucket(
    keys: list[str], close: Callable[[int, np.ndarray], np.ndarray], max_pairwise: int = MAX_PAIRWISE
):
    """Star edges (member, smallest member of its local component) for one LSH bucket.

    `keys` are sorted; `close(i, js)` says which members `js` are duplicates of member `i`.
    Up to `max_pairwise` members every pair is compared (O(m^2) time, O(m) memory). A larger
    bucket (a template shared by thousands of pages) is clustered greedily: the smallest
    unassigned member is a pivot and takes every unassigned member close to it, so the cost is
    O(m x clusters); a link between two non-pivots can then be missed here, but other bands
    usually recover it. Both modes depend only on the sorted keys: deterministic.
    """
    m = len(keys)
    edges = []
    if m <= max_pairwise:
        for i in range(m - 1):
            js = np.arange(i + 1, m)
            edges.extend((keys[i], keys[j]) for j in js[close(i, js)].tolist())
    else:
        Metrics.counter("components", "large_buckets").inc()
        log.info("LSH bucket of %d members: clustering around pivots", m)
        unassigned = np.arange(m)
        while len(unassigned) > 1:
            pivot, rest = unassigned[0], unassigned[1:]
            hit = close(int(pivot), rest)
            edges.extend((keys[pivot], keys[j]) for j in rest[hit].tolist())
            unassigned = rest[~hit]
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


class _FinalMin(beam.DoFn):
    """The last propagation: a label that still moves means the rounds did not reach a fixed point."""

    def __init__(self):
        self._unconverged = Metrics.counter("components", "unconverged_nodes")

    def process(self, element):
        node, offers = element
        offers = list(offers)
        own = min(label for label, is_self in offers if is_self)
        best = min(label for label, _ in offers)
        if best != own:
            self._unconverged.inc()
            log.warning("connected components not converged at %s (%s -> %s): raise rounds", node, own, best)
        yield node, best


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
        return (
            {"adj": adj, "label": labels}
            | "FinalJoin" >> beam.CoGroupByKey()
            | "FinalPropagate" >> beam.FlatMap(_propagate)
            | "FinalGroup" >> beam.GroupByKey()
            | "FinalMin" >> beam.ParDo(_FinalMin())
        )

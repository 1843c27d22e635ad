"""Connected components of a distributed graph, deterministically, with no state on the driver.

Dedup stages emit edges between near-duplicate samples; every component keeps one member, the
smallest key. `ConnectedComponents` labels each node with the smallest node id of its
component by min-label propagation with pointer jumping, a fixed number of rounds unrolled into
the Beam graph (a pipeline cannot loop): each round sets `label(v) = min(label(u) for u in
N(v) + v)` and then `label(v) = label(label(v))`. The jump makes labels travel exponentially far
per round, and the dedup stages feed it star edges (each LSH bucket is already merged to its
minimum), so components have a small diameter and a handful of rounds converge. An edge whose
ends still disagree after the last round is counted (`components/unconverged_edges`) and
logged: raise `rounds` if it is ever non-zero. Min is commutative and associative, so the result
does not depend on bundle splits, worker counts or input order.

    labels = edges | ConnectedComponents(rounds=6)   # edges: PCollection[(u, v)] -> (node, label)
"""

from __future__ import annotations

import logging

import apache_beam as beam
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


def _propagate(element):
    node, groups = element
    labels = list(groups["label"])
    if not labels:
        return
    label = min(labels)
    yield node, label
    for neighbour in groups["adj"]:
        yield neighbour, label


def _jump(element):
    target, groups = element
    target_labels = list(groups["label"])
    for node in groups["ptr"]:
        yield node, min([target, *target_labels])


def _edge_disagreements(element):
    node, groups = element
    labels = list(groups["label"])
    if not labels:
        return
    for neighbour in groups["adj"]:
        yield neighbour, labels[0]


class _CheckEdges(beam.DoFn):
    def __init__(self):
        self._counter = Metrics.counter("components", "unconverged_edges")

    def process(self, element):
        node, groups = element
        own = list(groups["label"])
        for seen in groups["seen"]:
            if own and seen != own[0]:
                self._counter.inc()
                log.warning("connected components not converged at %s (%s != %s): raise rounds", node, seen, own[0])


class ConnectedComponents(beam.PTransform):
    """Edges (u, v) -> (node, smallest node of its component), for every node with an edge."""

    def __init__(self, rounds: int = 6, label: str | None = None):
        super().__init__(label)
        if rounds < 1:
            raise ValueError(f"rounds must be >= 1, got {rounds}")
        self._rounds = rounds

    def expand(self, edges):
        adj = edges | "Symmetric" >> beam.FlatMap(lambda e: [(e[0], e[1]), (e[1], e[0])]) | "DistinctAdj" >> beam.Distinct()
        labels = adj | "InitLabels" >> beam.Map(lambda e: (e[0], min(e))) | "InitMin" >> beam.CombinePerKey(min)
        for r in range(self._rounds):
            labels = (
                {"adj": adj, "label": labels}
                | f"Round{r}Join" >> beam.CoGroupByKey()
                | f"Round{r}Propagate" >> beam.FlatMap(_propagate)
                | f"Round{r}Min" >> beam.CombinePerKey(min)
            )
            pointers = labels | f"Round{r}Pointers" >> beam.Map(lambda nl: (nl[1], nl[0]))
            labels = (
                {"ptr": pointers, "label": labels}
                | f"Round{r}JumpJoin" >> beam.CoGroupByKey()
                | f"Round{r}Jump" >> beam.FlatMap(_jump)
            )
        seen = (
            {"adj": adj, "label": labels}
            | "CheckJoin" >> beam.CoGroupByKey()
            | "NeighbourLabels" >> beam.FlatMap(_edge_disagreements)
        )
        _ = {"seen": seen, "label": labels} | "CheckJoin2" >> beam.CoGroupByKey() | "CheckEdges" >> beam.ParDo(_CheckEdges())
        return labels

"""Time of option discovery's graph computations, all timed in one run on the experience graph
of a MiniGrid four-rooms random walk (260 cells) and on four rooms' model graph (104 cells):

- betweenness by Brandes' algorithm (networkx, what :func:`chapter_code.options.betweenness`
  calls) against the plain definition, counting every shortest path pair by pair (the
  exercise's method), on four rooms only: in the open 8 x 8 rooms of MiniGrid the number of
  shortest paths between far cells runs into the thousands per pair, and counting them one by
  one does not finish in minutes;
- the whole of :func:`chapter_code.options.bottleneck_states` (betweenness, local cut vertices,
  passages) and :func:`chapter_code.options.normalized_cut_clusters`.

Run: ``python benchmarks/discovery_speed.py``; writes benchmarks/results/discovery_speed.json.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from chapter_code.envs import four_rooms
from chapter_code.experiments.option_discovery import minigrid_random_walk
from chapter_code.options import (
    betweenness,
    bottleneck_states,
    experience_graph,
    normalized_cut_clusters,
    transition_graph,
)
from chapter_code.perf import write_report

OUT = Path(__file__).resolve().parent / "results" / "discovery_speed.json"


def betweenness_by_counting(graph: nx.Graph) -> dict[Any, float]:
    """C_B(v) from its definition: enumerate the shortest paths of every unordered pair."""
    nodes = list(graph.nodes)
    score = dict.fromkeys(nodes, 0.0)
    for s, t in itertools.combinations(nodes, 2):
        paths = list(nx.all_shortest_paths(graph, s, t))
        for path in paths:
            for v in path[1:-1]:
                score[v] += 1.0 / len(paths)
    pairs = (len(nodes) - 1) * (len(nodes) - 2) / 2
    return {v: c / pairs for v, c in score.items()}


def timed(fn: Callable[[], Any], repeats: int = 3) -> tuple[Any, float]:
    """fn's result and its best wall time over ``repeats`` runs (the machine is shared)."""
    best, out = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return out, best


def main() -> None:
    graphs = {"four rooms (model)": transition_graph(four_rooms(None)),
              "MiniGrid layout 3 (30,000-step walk)": experience_graph(
                  minigrid_random_walk(3, 30_000, seed=0))}
    report: dict[str, Any] = {}
    for name, graph in graphs.items():
        fast, t_fast = timed(lambda g=graph: betweenness(g))
        _, t_picks = timed(lambda g=graph: bottleneck_states(g, 4))
        _, t_cut = timed(lambda g=graph: normalized_cut_clusters(g, 4))
        report[name] = {"nodes": graph.number_of_nodes(), "edges": graph.number_of_edges(),
                        "betweenness_brandes_s": t_fast,
                        "bottleneck_states_s": t_picks, "normalized_cut_clusters_s": t_cut}
        if name.startswith("four rooms"):
            slow, t_slow = timed(lambda g=graph: betweenness_by_counting(g), repeats=1)
            assert all(abs(fast[v] - slow[v]) < 1e-9 for v in graph)
            report[name].update(betweenness_counting_s=t_slow,
                                ratio_counting_vs_brandes=t_slow / t_fast)
        print(name, json.dumps(report[name], indent=1))
    write_report(OUT, report)


if __name__ == "__main__":
    main()

"""Discovering options: bottleneck states of the state-transition graph, and subgoal options.

The agent's experience (or an MDP's model) defines an undirected graph whose nodes are states
and whose edges join states one step apart. A bottleneck is a state that many shortest paths
cross: Şimşek & Barto (2008, "Skill characterization based on betweenness") rank
states by their betweenness centrality (Freeman 1977),

    C_B(v) = Σ_{s ≠ v ≠ t} σ_st(v) / σ_st,

σ_st the number of shortest s-t paths and σ_st(v) those through v (normalised by
(n - 1)(n - 2) / 2 in an undirected graph, as networkx does). Betweenness alone peaks beside a
doorway, at the room cell in its mouth, which carries the doorway's traffic and the room's own,
and the doorway and both its mouths rank high together; we therefore rank *passages*, each a
group of states that cut their own neighbourhood in two, and represent each by its narrowest
state (:func:`bottleneck_states`): the doorway itself. The states left once the bottlenecks
are removed fall apart into regions (the rooms); a subgoal option per region and bordering
bottleneck takes the agent there, built as Sutton, Precup & Singh (1999, §3.1) built their
hallway options.

The normalised cut of Shi & Malik (2000), the clustering behind Menache, Mannor &
Shimkin's Q-Cut (2002) and Şimşek, Wolfe & Barto's L-Cut (2005), is here too
(:func:`normalized_cut_clusters`): an independent view of the same structure, which cuts the
graph at the same passages.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from typing import Any

import networkx as nx
import numpy as np

from chapter_code._checks import check_int
from chapter_code.envs.tabular import TabularMDP
from chapter_code.options.option import Option
from chapter_code.seeding import SeedLike, as_generator

_TIE = 1e-12


def transition_graph(mdp: TabularMDP) -> nx.Graph:
    """The undirected state-transition graph of ``mdp``: nodes 0..S-1, an edge s - s' (s ≠ s')
    wherever some action moves s to s' with positive probability (P(s, a, s') > 0)."""
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    reach = mdp.P.max(axis=1) > 0  # (S, S)
    np.fill_diagonal(reach, False)
    graph = nx.Graph()
    graph.add_nodes_from(range(mdp.n_states))
    graph.add_edges_from((int(s), int(t)) for s, t in np.argwhere(reach))
    return graph


def experience_graph(transitions: Iterable[tuple[Hashable, Hashable]]) -> nx.Graph:
    """The undirected graph of observed transitions ``(state, next_state)``: one node per state
    seen, one edge per pair of distinct states observed one step apart (Şimşek & Barto 2008
    build it the same way from the agent's experience). States may be any hashable labels."""
    graph = nx.Graph()
    for pair in transitions:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"transitions must be (state, next_state) pairs, got {pair!r}")
        state, next_state = pair
        graph.add_node(state)
        graph.add_node(next_state)
        if state != next_state:
            graph.add_edge(state, next_state)
    if graph.number_of_nodes() == 0:
        raise ValueError("transitions must hold at least one (state, next_state) pair")
    return graph


def random_walk_transitions(
    mdp: TabularMDP, n_steps: int, seed: SeedLike = 0, *, start: int | None = None
) -> list[tuple[int, int]]:
    """``n_steps`` transitions ``(s, s')`` of a uniformly random policy in ``mdp``, sampled with
    :meth:`TabularMDP.step`. The walk begins in ``start`` (default: a uniformly random
    non-terminal state) and restarts from such a state after reaching a terminal one."""
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    n_steps = check_int("n_steps", n_steps, minimum=1)
    rng = as_generator(seed)
    live = np.flatnonzero(~mdp.terminal)
    if start is not None:
        start = check_int("start", start, minimum=0)
        if start >= mdp.n_states or mdp.terminal[start]:
            raise ValueError(f"start must be a non-terminal state in [0, {mdp.n_states}), "
                             f"got {start}")
        state = start
    else:
        state = int(live[rng.integers(live.size)])
    pairs = []
    for _ in range(n_steps):
        action = rng.integers(mdp.n_actions)
        next_state, _, terminated = mdp.step(np.array([state]), np.array([action]), rng)
        pairs.append((state, int(next_state[0])))
        state = int(live[rng.integers(live.size)]) if terminated[0] else int(next_state[0])
    return pairs


def betweenness(graph: nx.Graph) -> dict[Any, float]:
    """Normalised betweenness centrality C_B(v) of every node (Freeman 1977; Şimşek & Barto
    2008), computed exactly by Brandes' algorithm (networkx)."""
    _check_graph(graph)
    return dict(nx.betweenness_centrality(graph, normalized=True))


def local_cut_vertices(graph: nx.Graph, radius: int = 2) -> set[Any]:
    """The states whose removal disconnects their own neighbourhood: v such that v's neighbours
    do not all lie in one connected component of the ball of ``radius`` steps around v with v
    removed. A doorway is one (its two sides meet again only far away, through other doorways),
    and so are the cells at its mouths, from which the doorway itself dangles; a room cell is
    not (its neighbours meet around it). A local version of a cut vertex (articulation point),
    in the spirit of Şimşek, Wolfe & Barto's (2005) local graph partitioning."""
    _check_graph(graph)
    radius = check_int("radius", radius, minimum=2)
    found = set()
    for v in graph.nodes:
        if graph.degree[v] < 2:
            continue
        ball = set(nx.single_source_shortest_path_length(graph, v, radius)) - {v}
        component = nx.node_connected_component(graph.subgraph(ball), next(iter(graph[v])))
        if not set(graph[v]) <= component:
            found.add(v)
    return found


def bottleneck_states(source: TabularMDP | nx.Graph, k: int, *, radius: int = 2) -> list[Any]:
    """The bottleneck states of the ``k`` most central passages, most central first: state
    indices for an MDP (its :func:`transition_graph`), node labels for a graph (for instance an
    :func:`experience_graph`).

    Candidates are the :func:`local_cut_vertices` (``radius``): doorways, the cells at their
    mouths, corridors, the ends of a bridge. Repeatedly, among the connected groups of
    unclaimed candidates, the group with the highest betweenness (:func:`betweenness`; its peak
    lies at a mouth, whose room cell carries the doorway's traffic and the room's own) gives
    its narrowest state, the one with the fewest neighbours (a doorway's two), then the most
    central, then the first in the graph's node order. That pick claims its passage: its
    candidate neighbours, and onward along candidates with at most two neighbours (a corridor).
    So a doorway and the cells beside it are one pick, and two doorways whose mouths touch are
    two. Raises ``ValueError`` if the graph has fewer than ``k`` passages.
    """
    graph = transition_graph(source) if isinstance(source, TabularMDP) else source
    _check_graph(graph)
    k = check_int("k", k, minimum=1)
    centrality = betweenness(graph)
    order = {node: i for i, node in enumerate(graph.nodes)}
    candidates = local_cut_vertices(graph, radius)
    picks: list[Any] = []
    while len(picks) < k:
        groups = list(nx.connected_components(graph.subgraph(candidates)))
        if not groups:
            raise ValueError(f"k must be at most the number of passages found in the graph, "
                             f"{len(picks)}; got {k}")
        group = max(groups, key=lambda g: max((centrality[n], -order[n]) for n in g))
        pick = min(group, key=lambda n: (graph.degree[n], -centrality[n], order[n]))
        picks.append(pick)
        claimed, frontier = {pick}, [pick]
        while frontier:
            node = frontier.pop()
            for n in graph[node]:
                if n in candidates and n not in claimed:
                    claimed.add(n)
                    if graph.degree[n] <= 2:
                        frontier.append(n)
        candidates -= claimed
    return picks


def regions(graph: nx.Graph, bottlenecks: Sequence[Any]) -> list[set[Any]]:
    """The connected components left when the ``bottlenecks`` are removed from ``graph`` (the
    rooms between the doorways), ordered by their smallest node in the graph's node order."""
    _check_graph(graph)
    missing = [b for b in bottlenecks if b not in graph]
    if not bottlenecks or missing:
        raise ValueError(f"bottlenecks must be a non-empty sequence of nodes of the graph; "
                         f"not in it: {missing}")
    rest = graph.subgraph([n for n in graph.nodes if n not in set(bottlenecks)])
    order = {node: i for i, node in enumerate(graph.nodes)}
    return sorted((set(c) for c in nx.connected_components(rest)),
                  key=lambda c: min(order[n] for n in c))


def normalized_cut(graph: nx.Graph, part: Iterable[Any]) -> float:
    """Ncut(A, B) = cut(A, B) / assoc(A, V) + cut(A, B) / assoc(B, V) of the split of ``graph``
    into ``part`` = A and the rest B (Shi & Malik 2000); assoc(A, V) is the sum of the
    degrees in A."""
    _check_graph(graph)
    return float(nx.normalized_cut_size(graph, set(part)))


def normalized_cut_clusters(graph: nx.Graph, n_clusters: int) -> list[set[Any]]:
    """Split ``graph`` into ``n_clusters`` clusters by recursive two-way normalised cuts (Shi &
    Malik 2000): a cluster is split by thresholding the eigenvector of the second smallest
    eigenvalue of its normalised Laplacian I - D^(-1/2) W D^(-1/2), mapped back by D^(-1/2) to
    the solution y of (D - W) y = λ D y, at the threshold of smallest Ncut; each round splits
    the cluster whose best cut is smallest. Deterministic (a dense eigendecomposition; for
    graphs of up to a few thousand nodes)."""
    _check_graph(graph)
    n_clusters = check_int("n_clusters", n_clusters, minimum=1)
    if not nx.is_connected(graph):
        raise ValueError("graph must be connected to be split by normalised cuts")
    if n_clusters > graph.number_of_nodes():
        raise ValueError(f"n_clusters must be at most the number of nodes, "
                         f"{graph.number_of_nodes()}; got {n_clusters}")
    clusters: list[list[Any]] = [list(graph.nodes)]
    while len(clusters) < n_clusters:
        splits = [_best_bisection(graph.subgraph(c)) for c in clusters]
        i = min(range(len(splits)), key=lambda j: splits[j][0])
        _, part, rest = splits[i]
        clusters[i:i + 1] = [part, rest]
    order = {node: i for i, node in enumerate(graph.nodes)}
    return sorted((set(c) for c in clusters), key=lambda c: min(order[n] for n in c))


def _best_bisection(graph: nx.Graph) -> tuple[float, list[Any], list[Any]]:
    """(Ncut, A, B): the sweep cut of smallest Ncut along the generalised Fiedler vector."""
    nodes = list(graph.nodes)
    if len(nodes) < 2 or not nx.is_connected(graph):
        return np.inf, nodes, []
    W = nx.to_numpy_array(graph, nodelist=nodes)
    d = W.sum(axis=1)
    inv_sqrt = 1.0 / np.sqrt(d)
    laplacian = np.eye(len(nodes)) - inv_sqrt[:, None] * W * inv_sqrt[None, :]
    _, vectors = np.linalg.eigh(laplacian)
    y = inv_sqrt * vectors[:, 1]
    ranked = np.argsort(y, kind="stable")
    Wr = W[np.ix_(ranked, ranked)]
    volume = np.cumsum(d[ranked])[:-1]  # assoc(A_k, V) for A_k = the first k, k = 1..n-1
    inside = np.cumsum(np.tril(Wr, -1).sum(axis=1))[:-1]  # weight of the edges within A_k
    cut = volume - 2.0 * inside
    ncut = cut / volume + cut / (d.sum() - volume)
    k = int(np.argmin(ncut)) + 1
    return float(ncut[k - 1]), [nodes[j] for j in ranked[:k]], [nodes[j] for j in ranked[k:]]


def shortest_path_policy(
    mdp: TabularMDP, region: np.ndarray, target: int | Sequence[int],
    entries: Sequence[int] = (),
) -> np.ndarray:
    """A subgoal option's deterministic policy (S, A): from each state of ``region`` (S,) bool
    and each of the ``entries`` (states outside it where the option may also start), a move
    along a shortest path to ``target`` through the region, choosing, among such moves, the one
    least likely to leave the region anywhere but at the target.

    A move's step is its most likely successor argmax_s' P(s, a, s') (the intended move); the
    shortest-path moves are those whose step lies in the region, the target or the entries,
    one step nearer the target. Among them we take the move minimising h(s), the probability of
    leaving the region elsewhere before reaching the target under the true dynamics,
    h(s) = min_a Σ_s' P(s, a, s') h(s') on the region, h = 0 at the target and at terminal
    states, 1 at every other state outside the region. This is Sutton, Precup & Singh's (1999,
    §3.1) "shortest path within the room to its target hallway while minimizing the chance of
    stumbling into the other hallway", for any tabular MDP. Ties go to the lowest action index;
    other rows are a placeholder (action 0) the option never uses.
    """
    if not isinstance(mdp, TabularMDP):
        raise TypeError(f"mdp must be a TabularMDP, got {type(mdp).__name__}")
    region = np.asarray(region)
    if region.shape != (mdp.n_states,) or region.dtype != bool:
        raise ValueError(f"region must be a bool array of shape (S,) = ({mdp.n_states},), got "
                         f"dtype {region.dtype} shape {region.shape}")
    targets = [target] if isinstance(target, int | np.integer) else list(target)
    targets = [check_int("target", t, minimum=0) for t in targets]
    if not targets or any(t >= mdp.n_states or region[t] for t in targets):
        raise ValueError(f"target must be a state (or states) in [0, {mdp.n_states}) outside "
                         f"the region, got {target}")
    actors = region.copy()
    for e in entries:
        e = check_int("entries[i]", e, minimum=0)
        if e >= mdp.n_states or region[e] or e in targets:
            raise ValueError(f"entries must be states in [0, {mdp.n_states}) outside the "
                             f"region and other than the target, got {e}")
        actors[e] = True
    actors &= ~mdp.terminal
    step = mdp.P.argmax(axis=2)  # (S, A): the intended successor of each move
    goes_to = region.copy()
    goes_to[targets] = True
    passable = goes_to | actors  # an entry may be crossed too (turning in place, say)
    backward = nx.DiGraph()  # the intended moves, reversed: distances from the targets
    backward.add_nodes_from(targets)
    backward.add_edges_from((int(step[s, a]), int(s)) for s in np.flatnonzero(actors)
                            for a in range(mdp.n_actions) if passable[step[s, a]])
    dist = np.full(mdp.n_states, -1)
    for s, n in nx.multi_source_dijkstra_path_length(backward, set(targets)).items():
        dist[s] = int(n)
    unreachable = np.flatnonzero(actors & (dist < 0))
    if unreachable.size:
        raise ValueError(f"target {target} cannot be reached through the region from states "
                         f"{unreachable[:10].tolist()}")
    shortest = actors[:, None] & passable[step] & (dist[step] == dist[:, None] - 1)  # (S, A)
    h = np.where(goes_to | mdp.terminal, 0.0, 1.0)
    inside = np.flatnonzero(region & ~mdp.terminal)
    while True:
        q = np.where(shortest[inside], mdp.P[inside] @ h, np.inf)
        change = np.max(np.abs(q.min(axis=1) - h[inside]))
        h[inside] = q.min(axis=1)
        if change < 1e-15:
            break
    q = np.where(shortest, mdp.P @ h, np.inf)
    policy = np.zeros((mdp.n_states, mdp.n_actions))
    policy[:, 0] = 1.0
    for s in np.flatnonzero(actors):
        best = int(np.flatnonzero(q[s] <= q[s].min() + _TIE)[0])
        policy[s] = np.eye(mdp.n_actions)[best]
    return policy


def subgoal_options(mdp: TabularMDP, bottlenecks: Sequence[int | Sequence[int]]) -> list[Option]:
    """One option per region (see :func:`regions`) and bottleneck b bordering it, named
    "R{i}->{b}" (regions numbered as :func:`regions` orders them, bottlenecks in the given
    order), defined as Sutton, Precup & Singh's (1999, §3.1) hallway options:

    - initiation I: the region's non-terminal states plus its other bordering bottlenecks;
    - termination β = 0 in the region, 1 everywhere else (at b, and on leaving the region);
    - policy π: :func:`shortest_path_policy` to b through the region, from the region and
      from its other bottlenecks.

    A bottleneck is a state, or a group of states that together make one place (a doorway cell
    in each of the agent's headings), named then by its position in ``bottlenecks``: "R{i}->#j".
    """
    graph = transition_graph(mdp)
    groups = [[b] if isinstance(b, int | np.integer) else list(b) for b in bottlenecks]
    states = [check_int("bottlenecks[i]", b, minimum=0) for g in groups for b in g]
    if (not all(groups) or len(set(states)) != len(states)
            or any(b >= mdp.n_states for b in states)):
        raise ValueError(f"bottlenecks must be distinct states (or non-empty groups of states) "
                         f"in [0, {mdp.n_states}), got {list(bottlenecks)}")
    options = []
    for i, room in enumerate(regions(graph, states)):
        inside = np.zeros(mdp.n_states, dtype=bool)
        inside[list(room)] = True
        border = [j for j, g in enumerate(groups) if any(n in room for b in g for n in graph[b])]
        for j in border:
            others = [b for k in border if k != j for b in groups[k]]
            start = inside.copy()
            start[others] = True
            label = str(groups[j][0]) if isinstance(bottlenecks[j], int | np.integer) \
                else f"#{j}"
            options.append(Option(
                name=f"R{i}->{label}",
                initiation=start & ~mdp.terminal,
                policy=shortest_path_policy(mdp, inside, groups[j], others),
                termination=(~inside).astype(float),
            ))
    return options


def _check_graph(graph: object) -> None:
    if not isinstance(graph, nx.Graph) or graph.is_directed():
        raise TypeError(f"graph must be an undirected networkx.Graph, got {type(graph).__name__}")
    if graph.number_of_nodes() == 0:
        raise ValueError("graph must have at least one node")

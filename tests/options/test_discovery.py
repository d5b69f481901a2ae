"""Bottleneck discovery: betweenness against closed forms on hand-made graphs, one pick per
passage, normalised cuts against brute force, and the discovered options against Sutton,
Precup & Singh's hallway options."""

import itertools

import networkx as nx
import numpy as np
import pytest

from chapter_code import experiments
from chapter_code.envs import four_rooms
from chapter_code.envs.four_rooms import HALLWAY_CELLS, room_of
from chapter_code.experiments.option_discovery import (
    OptionDiscoveryConfig,
    cell_groups,
    found_on_prefixes,
    minigrid_doorways,
    minigrid_layout,
    minigrid_mdp,
    minigrid_random_walk,
)
from chapter_code.options import hallway_options
from chapter_code.options.discovery import (
    betweenness,
    bottleneck_states,
    experience_graph,
    local_cut_vertices,
    normalized_cut,
    normalized_cut_clusters,
    random_walk_transitions,
    regions,
    shortest_path_policy,
    subgoal_options,
    transition_graph,
)

pytestmark = pytest.mark.unit


def bridged_cliques(n: int = 5) -> nx.Graph:
    """Two n-cliques, 0..n-1 and n..2n-1, joined by the edge (n-1, n)."""
    graph = nx.disjoint_union(nx.complete_graph(n), nx.complete_graph(n))
    graph.add_edge(n - 1, n)
    return graph


def chain_of_rooms(n_rooms: int = 3, side: int = 4, corridor: int = 1) -> tuple[nx.Graph, list]:
    """Square grid rooms in a row, each joined to the next by a corridor of ``corridor``
    cells in a different row each time; returns the graph and the list of corridors."""
    graph = nx.Graph()
    corridors = []
    for i in range(n_rooms):
        x0 = i * (side + corridor)
        room = nx.grid_2d_graph(side, side)
        graph.add_edges_from(((a[0] + x0, a[1]), (b[0] + x0, b[1])) for a, b in room.edges)
        if i + 1 < n_rooms:
            row = 1 + i % (side - 2)
            cells = [(x0 + side + j, row) for j in range(corridor)]
            nx.add_path(graph, [(x0 + side - 1, row), *cells, (x0 + side + corridor, row)])
            corridors.append(cells)
    return graph, corridors


@pytest.mark.parametrize("corridor", [1, 3, 4])
def test_chain_of_rooms_one_pick_per_corridor(corridor):
    graph, corridors = chain_of_rooms(n_rooms=3, corridor=corridor)
    picks = bottleneck_states(graph, 2)
    assert sorted(next(i for i, c in enumerate(corridors) if p in c) for p in picks) == [0, 1]
    assert len(regions(graph, picks)) == 3


def test_a_long_corridor_is_one_passage():
    graph, (cells,) = chain_of_rooms(n_rooms=2, corridor=5)
    assert local_cut_vertices(graph) == {*cells, (3, 1), (9, 1)}  # the corridor and its mouths
    (pick,) = bottleneck_states(graph, 1)
    assert pick == cells[2]  # symmetric rooms: the corridor's middle carries the most paths
    with pytest.raises(ValueError, match="k must be at most the number of passages found"):
        bottleneck_states(graph, 2)


def test_doorways_whose_mouths_touch_are_two_passages():
    """Two doorways at a corner: the mouth of one is beside the mouth of the other."""
    graph = nx.grid_2d_graph(9, 9)
    wall = {(4, y) for y in range(9)} | {(x, 4) for x in range(9)}
    doors = {(4, 3), (5, 4), (4, 7), (1, 4)}
    graph.remove_nodes_from(wall - doors)
    assert nx.shortest_path_length(graph, (5, 3), (5, 4)) == 1  # (4, 3)'s mouth touches (5, 4)
    assert set(bottleneck_states(graph, 4)) == doors


def test_chain_of_rooms_doorways_are_cut_vertices_of_the_graph():
    """An independent check on the single-cell corridors: they are exactly the graph's cut
    vertices (Hopcroft-Tarjan, which knows nothing of betweenness) with two neighbours; the
    other cut vertices are the doorways' mouths."""
    graph, corridors = chain_of_rooms(n_rooms=4, corridor=1)
    doorways = {c[0] for c in corridors}
    narrow_cuts = {v for v in nx.articulation_points(graph) if graph.degree[v] == 2}
    assert set(bottleneck_states(graph, 3)) == narrow_cuts == doorways


def test_betweenness_alone_peaks_beside_a_hallway_not_in_it():
    mdp = four_rooms(None)
    centrality = betweenness(transition_graph(mdp))
    top = max(centrality, key=centrality.get)
    assert top not in mdp.hallways
    assert min(abs(mdp.cells[top] - mdp.cells[h]).sum() for h in mdp.hallways) == 1


def test_four_rooms_bottlenecks_are_the_four_hallways():
    mdp = four_rooms(None)
    cuts = local_cut_vertices(transition_graph(mdp))
    mouths = {t for h in mdp.hallways for t in transition_graph(mdp)[h]}
    assert cuts == set(mdp.hallways.tolist()) | mouths and len(cuts) == 12
    assert set(bottleneck_states(mdp, 4)) == set(mdp.hallways.tolist())
    with_goal = four_rooms((9, 9))
    assert set(bottleneck_states(with_goal, 4)) == set(mdp.hallways.tolist())


def test_four_rooms_regions_are_the_rooms():
    mdp = four_rooms(None)
    rooms = regions(transition_graph(mdp), bottleneck_states(mdp, 4))
    assert sorted({room_of(tuple(int(x) for x in mdp.cells[s])) for s in room} == {name}
                  for room, name in zip(rooms, ["NW", "NE", "SW", "SE"], strict=True))
    assert sorted(len(r) for r in rooms) == [20, 25, 25, 30]


def test_discovered_options_equal_the_hallway_options():
    mdp = four_rooms(None)
    discovered = subgoal_options(mdp, bottleneck_states(mdp, 4))
    designed = hallway_options(mdp)
    assert len(discovered) == len(designed) == 8

    def key(o):
        acts = np.flatnonzero(o.initiation)
        return (o.initiation.tobytes(), o.termination.tobytes(), o.policy[acts].tobytes())

    assert sorted(map(key, discovered)) == sorted(map(key, designed))


def test_subgoal_policy_follows_shortest_paths_without_slip():
    """With deterministic moves, following the policy from every room cell reaches the hallway
    in exactly its breadth-first distance (FourRooms.distances, computed independently)."""
    mdp = four_rooms(None, slip=0.0)
    for option in subgoal_options(mdp, bottleneck_states(mdp, 4)):
        target = int(option.name.split("->")[1])
        dist = mdp.distances(target)
        inside = np.flatnonzero(option.termination == 0)
        for s in inside:
            state, steps = int(s), 0
            while state != target:
                state = int(mdp.P[state, int(option.policy[state].argmax())].argmax())
                steps += 1
                assert option.termination[state] == 0 or state == target
            assert steps == dist[s]


def test_random_walk_experience_finds_the_hallways_and_is_deterministic():
    mdp = four_rooms(None)
    pairs = random_walk_transitions(mdp, 20_000, seed=3)
    assert pairs == random_walk_transitions(mdp, 20_000, seed=3)
    assert pairs[:50] != random_walk_transitions(mdp, 20_000, seed=4)[:50]
    graph = experience_graph(pairs)
    assert graph.number_of_nodes() == mdp.n_states
    assert set(bottleneck_states(graph, 4)) == set(mdp.hallways.tolist())


def test_random_walk_transitions_are_transitions_of_the_model():
    mdp = four_rooms((9, 9))
    for s, t in random_walk_transitions(mdp, 2_000, seed=0):
        assert mdp.P[s, :, t].max() > 0 and not mdp.terminal[s]


def test_normalized_cut_of_the_bridge_is_hand_computed_and_minimal():
    graph = bridged_cliques(5)
    assert normalized_cut(graph, range(5)) == pytest.approx(2 / 21)  # cut 1, volumes 21, 21
    brute = min(normalized_cut(graph, (0, *part)) for r in range(0, 9)
                for part in itertools.combinations(range(1, 10), r))
    assert brute == pytest.approx(2 / 21)
    assert normalized_cut_clusters(graph, 2) == [set(range(5)), set(range(5, 10))]


def test_normalized_cuts_separate_the_four_rooms_at_the_hallways():
    mdp = four_rooms(None)
    clusters = normalized_cut_clusters(transition_graph(mdp), 4)
    names = [{room_of(tuple(int(x) for x in mdp.cells[s])) for s in c} - {None}
             for c in clusters]
    assert sorted(map(sorted, names)) == [["NE"], ["NW"], ["SE"], ["SW"]]
    hallways = {mdp.index[h] for h in HALLWAY_CELLS}
    for cluster in clusters:  # every cut edge touches a hallway
        for s in cluster:
            for t in transition_graph(mdp)[s]:
                if t not in cluster:
                    assert s in hallways or t in hallways


def test_bad_input_raises_clear_errors():
    mdp = four_rooms(None)
    graph = transition_graph(mdp)
    with pytest.raises(ValueError, match="k must be an integer >= 1"):
        bottleneck_states(mdp, 0)
    with pytest.raises(TypeError, match="k must be an integer"):
        bottleneck_states(mdp, 2.0)
    with pytest.raises(ValueError, match="k must be at most the number of passages"):
        bottleneck_states(mdp, 200)
    with pytest.raises(TypeError, match="undirected networkx.Graph"):
        bottleneck_states(nx.DiGraph(graph), 2)
    with pytest.raises(ValueError, match="radius must be an integer >= 2"):
        bottleneck_states(mdp, 2, radius=1)
    with pytest.raises(TypeError, match="mdp must be a TabularMDP"):
        transition_graph(graph)
    with pytest.raises(ValueError, match="at least one"):
        experience_graph([])
    with pytest.raises(TypeError, match="state, next_state"):
        experience_graph([(1, 2, 3)])
    with pytest.raises(ValueError, match="n_steps must be an integer >= 1"):
        random_walk_transitions(mdp, 0)
    with pytest.raises(ValueError, match="start must be a non-terminal state"):
        random_walk_transitions(four_rooms((9, 9)), 10, start=mdp.index[(9, 9)])
    with pytest.raises(ValueError, match="bottlenecks must be distinct"):
        subgoal_options(mdp, [25, 25])
    with pytest.raises(ValueError, match="bottlenecks must be a non-empty"):
        regions(graph, [1000])
    inside = np.zeros(mdp.n_states, dtype=bool)
    inside[:3] = True
    with pytest.raises(ValueError, match="target must be a state .* outside the region"):
        shortest_path_policy(mdp, inside, 1)
    with pytest.raises(ValueError, match="region must be a bool array"):
        shortest_path_policy(mdp, inside.astype(int), 50)
    with pytest.raises(ValueError, match="cannot be reached"):
        shortest_path_policy(mdp, inside, 50)
    two = nx.Graph([(0, 1), (2, 3)])
    with pytest.raises(ValueError, match="must be connected"):
        normalized_cut_clusters(two, 2)
    with pytest.raises(ValueError, match="n_clusters must be at most"):
        normalized_cut_clusters(bridged_cliques(2), 5)


@pytest.mark.parametrize("layout", [1, 4])
def test_minigrid_doorways_are_found_from_a_random_walk_alone(layout):
    walk = minigrid_random_walk(layout, 20_000, seed=layout)
    assert walk[:1_000] == minigrid_random_walk(layout, 1_000, seed=layout)
    doors = minigrid_doorways(layout)
    assert len(doors) == 4
    assert sorted(bottleneck_states(experience_graph(walk), 4)) == sorted(doors)


def test_minigrid_doorways_move_with_the_layout_seed_and_lie_in_the_inner_walls():
    first, second = minigrid_doorways(1), minigrid_doorways(4)
    assert first != second
    for x, y in first | second:
        assert (x == 9) != (y == 9) and 0 < x < 18 and 0 < y < 18


def test_minigrid_walk_moves_one_cell_at_most_per_step():
    for (x, y), (u, v) in minigrid_random_walk(0, 500, seed=0):
        assert abs(x - u) + abs(y - v) <= 1


def test_discovery_scored_on_walk_prefixes_against_a_direct_computation():
    mdp = four_rooms(None)
    walk = random_walk_transitions(mdp, 5_000, seed=2)
    hallways = sorted(mdp.hallways.tolist())
    scored = found_on_prefixes(walk, (100, 5_000), hallways)
    assert scored.tolist() == [False, True]


@pytest.mark.determinism
def test_option_discovery_experiment_is_deterministic_and_consistent():
    small = dict(n_seeds=2, n_episodes=10, walk_steps=5_000, n_layouts=0,
                 walk_lengths=(5_000,))
    first = experiments.run("option-discovery", **small)
    second = experiments.run("option-discovery", **small)
    for key, value in first.arrays.items():
        np.testing.assert_array_equal(value, second.arrays[key])
    assert first.metrics == second.metrics
    four = first.metrics["four_rooms"]
    assert four["found_hallways_fraction"] == 1.0
    # the discovered options are the hallway options, learned on the same random numbers
    np.testing.assert_array_equal(first.arrays["steps_discovered"], first.arrays["steps_hallway"])
    assert four["total_steps"]["flat"]["mean"] == first.arrays["steps_flat"].sum(axis=1).mean()


def test_option_discovery_config_rejects_bad_values():
    with pytest.raises(ValueError, match="goal must be a free cell"):
        OptionDiscoveryConfig(goal=(0, 0))
    with pytest.raises(ValueError, match="n_seeds must be an integer >= 2"):
        OptionDiscoveryConfig(n_seeds=1)
    with pytest.raises(TypeError, match="walk_lengths must be a non-empty tuple"):
        OptionDiscoveryConfig(walk_lengths=[100])


def test_minigrid_model_matches_the_environment_step_for_step():
    model = minigrid_mdp(3)
    env = minigrid_layout(3, max_steps=5_000)
    agent = env.unwrapped
    rng = np.random.default_rng(0)
    state, ends = model.start, 0
    for _ in range(3_000):
        action = int(rng.integers(3))
        _, reward, terminated, _, _ = env.step(action)
        nxt = int(model.mdp.P[state, action].argmax())
        assert model.mdp.P[state, action, nxt] == 1.0
        x, y = (int(v) for v in agent.agent_pos)
        assert model.states[nxt] == (x, y, int(agent.agent_dir))
        assert bool(model.mdp.terminal[nxt]) == terminated
        if terminated:
            assert model.mdp.R_transition[state, action, nxt] == 1.0 and reward > 0
            env.reset(seed=3)
            state, ends = model.start, ends + 1
        else:
            state = nxt
    assert model.goal == (1, 6) and model.mdp.n_states == 4 * 260


def test_subgoal_options_to_groups_of_states_reach_the_minigrid_doorways():
    """Options to a doorway cell in any heading, on the exact MiniGrid model: following each
    option's policy from every state of its region reaches its doorway (deterministic moves)."""
    model = minigrid_mdp(3)
    doors = sorted(minigrid_doorways(3))
    options = subgoal_options(model.mdp, cell_groups(model, doors))
    assert len(options) == 8  # two doorways per room
    for option in options:
        target = {model.index[(*doors[int(option.name.split("#")[1])], d)] for d in range(4)}
        for s in np.flatnonzero(option.termination == 0):
            if model.mdp.terminal[s]:
                continue
            state, steps = int(s), 0
            while state not in target:
                state = int(model.mdp.P[state, int(option.policy[state].argmax())].argmax())
                steps += 1
                assert steps < 200

"""Options that are found rather than designed: bottlenecks from random-walk experience.

Two parts. (1) Four rooms: each learner first walks at random, finds the ``k`` bottleneck
states of its experience graph (:func:`chapter_code.options.bottleneck_states`) and builds
subgoal options to them (:func:`chapter_code.options.subgoal_options`); SMDP Q-learning over
the primitive actions plus those options is compared with the same learner over Sutton,
Precup & Singh's hand-made hallway options, over subgoal options to randomly chosen states
(a control: are any options enough?), and with flat Q-learning, all on the same random
numbers per seed. (2) Gymnasium's ``MiniGrid-FourRooms-v0``, whose four doorways move with the
layout seed: a random walk's positions alone, turned into an experience graph, find them; then,
on the layout's exact model (:func:`minigrid_mdp`), SMDP Q-learning with options to the found
doorways is compared with options to the true ones and with flat Q-learning.
Şimşek & Barto (2008); Sutton, Precup & Singh (1999), §3.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import minigrid  # noqa: F401  (registers the MiniGrid environments with Gymnasium)
import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs import TabularMDP, four_rooms
from chapter_code.envs.four_rooms import FourRooms
from chapter_code.experiments import Experiment, Output, ProgressFactory
from chapter_code.options import (
    Option,
    bottleneck_states,
    experience_graph,
    hallway_options,
    primitive_options,
    random_walk_transitions,
    smdp_q_learning,
    subgoal_options,
)
from chapter_code.seeding import SeedLike, as_generator, stream
from chapter_code.stats import ratio_of_means_ci, seed_interval

METHODS = ("flat", "hallway", "discovered", "random-subgoals")
"""flat Q over A; SMDP Q over A ∪ hallway options; over A ∪ options to discovered bottlenecks;
over A ∪ options to as many randomly chosen states."""

MINIGRID_METHODS = ("flat", "doorway", "discovered")
"""flat Q over MiniGrid's three actions; SMDP Q with options to the true doorways (read from
the grid); with options to the doorways found from the random walk."""

MAX_STEPS = 10_000
"""an episode is truncated after this many primitive steps."""

MINIGRID_ID = "MiniGrid-FourRooms-v0"
MINIGRID_ACTIONS = 3
"""the MiniGrid actions a random walk uses: turn left, turn right, move forward."""

MINIGRID_HEADINGS = ((1, 0), (0, 1), (-1, 0), (0, -1))
"""MiniGrid's DIR_TO_VEC: the (dx, dy) of headings 0 (east), 1 (south), 2 (west), 3 (north)."""

Cell = tuple[int, int]


def minigrid_layout(layout: int, max_steps: int = 100) -> gymnasium.Env:
    """``MiniGrid-FourRooms-v0`` reset with seed ``layout``: the doorways, the goal and the start
    are drawn from that seed, so a layout is reproduced by resetting with it again."""
    layout = check_int("layout", layout, minimum=0)
    env = gymnasium.make(MINIGRID_ID, max_steps=check_int("max_steps", max_steps, minimum=1))
    env.reset(seed=layout)
    return env


def minigrid_doorways(layout: int) -> set[Cell]:
    """The true doorways of a MiniGrid four-rooms layout: the free cells (x, y) of its inner
    walls, the column and the row through the grid's middle (read from the generated grid; the
    random walk never sees this)."""
    agent: Any = minigrid_layout(layout).unwrapped
    grid = agent.grid
    middle = grid.width // 2
    return {(x, y) for x in range(1, grid.width - 1) for y in range(1, grid.height - 1)
            if (x == middle or y == middle)
            and (grid.get(x, y) is None or grid.get(x, y).type != "wall")}


def minigrid_random_walk(layout: int, n_steps: int, seed: SeedLike = 0) -> list[tuple[Cell, Cell]]:
    """``n_steps`` transitions of the agent's position ((x, y), (x', y')) under uniformly random
    left/right/forward actions in a MiniGrid four-rooms layout; on reaching the goal the layout
    is reset (same seed, same start). The facing direction is not part of the recorded state."""
    n_steps = check_int("n_steps", n_steps, minimum=1)
    rng = as_generator(seed)
    env = minigrid_layout(layout, max_steps=n_steps + 1)
    agent: Any = env.unwrapped

    def position() -> Cell:
        x, y = agent.agent_pos
        return int(x), int(y)

    pairs = []
    state = position()
    for _ in range(n_steps):
        _, _, terminated, _, _ = env.step(int(rng.integers(MINIGRID_ACTIONS)))
        pairs.append((state, position()))
        if terminated:
            env.reset(seed=layout)
        state = position()
    return pairs


def goal_free_subgoal_options(mdp: FourRooms, subgoals: list[int]) -> list[Option]:
    """:func:`subgoal_options` to ``subgoals`` planned on the grid without a goal, then barred
    from starting at ``mdp``'s terminal goal: as :func:`hallway_options` are made, so that a
    goal changes nothing an option does before the episode ends."""
    grid = four_rooms(None, slip=mdp.slip, gamma=mdp.gamma)
    return [Option(name=o.name, initiation=o.initiation & ~mdp.terminal, policy=o.policy,
                   termination=o.termination) for o in subgoal_options(grid, subgoals)]


@dataclass(frozen=True)
class MiniGridModel:
    """The exact model of one MiniGrid four-rooms layout (:func:`minigrid_mdp`): ``mdp``, the
    agent ``states`` (x, y, heading) in index order, their ``index``, the ``start`` state and the
    ``goal`` cell."""

    mdp: TabularMDP
    states: tuple[tuple[int, int, int], ...]
    index: dict[tuple[int, int, int], int]
    start: int
    goal: Cell


def minigrid_mdp(layout: int, gamma: float = 0.99) -> MiniGridModel:
    """The exact MDP of a MiniGrid four-rooms layout: a state is the agent's cell and heading
    (x, y, d), d indexing MiniGrid's DIR_TO_VEC (0 east, 1 south, 2 west, 3 north); action 0
    turns left (d - 1 mod 4), 1 turns right, 2 moves one cell ahead unless a wall is there.
    Every move is deterministic, as in MiniGrid. Arriving on the goal cell pays +1 and ends the
    episode (MiniGrid pays 1 - 0.9 t / max_steps there, which depends on the time t and is not
    a function of the state; we keep the +1 and let γ reward speed)."""
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, low_open=True, high_open=True)
    agent: Any = minigrid_layout(layout).unwrapped
    grid = agent.grid
    free = [(x, y) for y in range(grid.height) for x in range(grid.width)
            if grid.get(x, y) is None or grid.get(x, y).type != "wall"]
    goal = next((x, y) for x, y in free
                if grid.get(x, y) is not None and grid.get(x, y).type == "goal")
    states = tuple((x, y, d) for x, y in free for d in range(4))
    index = {state: i for i, state in enumerate(states)}
    n = len(states)
    P = np.zeros((n, MINIGRID_ACTIONS, n))
    R = np.zeros((n, MINIGRID_ACTIONS, n))
    terminal = np.array([(x, y) == goal for x, y, _ in states])
    for i, (x, y, d) in enumerate(states):
        dx, dy = MINIGRID_HEADINGS[d]
        ahead = (x + dx, y + dy, d) if (x + dx, y + dy) in set(free) else (x, y, d)
        for a, nxt in enumerate(((x, y, (d - 1) % 4), (x, y, (d + 1) % 4), ahead)):
            j = index[nxt] if not terminal[i] else i
            P[i, a, j] = 1.0
            R[i, a, j] = 1.0 if terminal[j] and not terminal[i] else 0.0
    x0, y0 = (int(v) for v in agent.agent_pos)
    return MiniGridModel(mdp=TabularMDP(P=P, R=R, gamma=gamma, terminal=terminal),
                         states=states, index=index, start=index[(x0, y0, int(agent.agent_dir))],
                         goal=goal)


def cell_groups(model: MiniGridModel, cells: list[Cell]) -> list[list[int]]:
    """Each cell as the group of its four heading states: one bottleneck for
    :func:`subgoal_options`."""
    return [[model.index[(x, y, d)] for d in range(4)] for x, y in cells]


def random_subgoals(mdp: FourRooms, k: int, rng: np.random.Generator) -> list[int]:
    """``k`` distinct non-terminal states drawn uniformly: the control's subgoals."""
    live = np.flatnonzero(~mdp.terminal)
    return sorted(int(s) for s in rng.choice(live, size=k, replace=False))


@dataclass(frozen=True)
class OptionDiscoveryConfig:
    """Options of the option-discovery experiment."""

    goal: tuple[int, int] = (9, 9)
    """four-rooms goal cell (row, col); the default lies mid south-east room (G2)"""
    n_seeds: int = 30
    """independent learners per method (each with its own random walk)"""
    n_episodes: int = 200
    """episodes per learner"""
    walk_steps: int = 20_000
    """random-walk transitions each four-rooms learner sees before discovering bottlenecks"""
    walk_lengths: tuple[int, ...] = (500, 1_000, 2_000, 5_000, 10_000, 20_000, 40_000)
    """prefixes of each random walk (four rooms and MiniGrid) on which discovery is scored"""
    k: int = 4
    """bottlenecks (and random subgoals) per learner"""
    alpha: float = 0.1
    """step size of SMDP Q-learning"""
    epsilon: float = 0.1
    """exploration rate of ε-greedy option choice"""
    slip: float = 1 / 3
    """probability that a four-rooms move goes in one of the other three directions"""
    gamma: float = 0.9
    """discount factor"""
    n_layouts: int = 8
    """MiniGrid four-rooms layouts (seeds 0, 1, ...) whose doorways are looked for"""
    minigrid_walk_steps: int = 40_000
    """random-walk steps in each MiniGrid layout"""
    minigrid_learners: int = 5
    """SMDP Q-learners per MiniGrid layout and method"""
    minigrid_episodes: int = 100
    """episodes of each MiniGrid learner (γ = 0.99, the layout's own start and goal)"""
    seed: int = 0
    """seed of the experiment's random streams"""

    def __post_init__(self) -> None:
        if not isinstance(self.goal, tuple):
            raise TypeError(f"goal must be a (row, col) tuple, got {self.goal!r}")
        four_rooms(self.goal)  # raises ValueError naming the goal if it is not a free cell
        check_int("n_seeds", self.n_seeds, minimum=2)
        check_int("n_episodes", self.n_episodes, minimum=1)
        check_int("walk_steps", self.walk_steps, minimum=1)
        if not isinstance(self.walk_lengths, tuple) or not self.walk_lengths:
            raise TypeError(f"walk_lengths must be a non-empty tuple of ints, got "
                            f"{self.walk_lengths!r}")
        for n in self.walk_lengths:
            check_int("walk_lengths[i]", n, minimum=1)
        check_int("k", self.k, minimum=1)
        check_real("alpha", self.alpha, low=0.0, high=1.0, low_open=True)
        check_real("epsilon", self.epsilon, low=0.0, high=1.0)
        check_real("slip", self.slip, low=0.0, high=1.0)
        check_real("gamma", self.gamma, low=0.0, high=1.0, low_open=True, high_open=True)
        check_int("n_layouts", self.n_layouts, minimum=0)
        check_int("minigrid_walk_steps", self.minigrid_walk_steps, minimum=1)
        check_int("minigrid_learners", self.minigrid_learners, minimum=1)
        check_int("minigrid_episodes", self.minigrid_episodes, minimum=1)
        check_int("seed", self.seed, minimum=0)


def found_on_prefixes(walk: list[tuple[Any, Any]], lengths: tuple[int, ...],
                      truth: list[Any]) -> np.ndarray:
    """Whether the bottlenecks of the experience graph of each prefix ``walk[:n]``, n in
    ``lengths``, are exactly ``truth`` (False also when the prefix shows too few passages)."""
    found = np.zeros(len(lengths), dtype=bool)
    for j, n in enumerate(lengths):
        try:
            found[j] = sorted(bottleneck_states(experience_graph(walk[:n]), len(truth))) == truth
        except ValueError:  # fewer passages seen than there are to find
            found[j] = False
    return found


def _minigrid_learning(steps: dict[str, np.ndarray], config: OptionDiscoveryConfig
                       ) -> dict[str, Any]:
    """Total steps per layout (mean over its learners), with intervals over layouts; the
    speed-up of each option set over flat Q-learning (bootstrap over layouts)."""
    total = {m: v.sum(axis=2).mean(axis=1) for m, v in steps.items()}
    speedup = {}
    for method in MINIGRID_METHODS[1:]:
        ratio, low, high = ratio_of_means_ci(total["flat"], total[method],
                                             seed=stream(config.seed, f"minigrid-boot/{method}"))
        speedup[method] = {"ratio": round(ratio, 6), "low": round(low, 6), "high": round(high, 6)}
    return {"total_steps": {m: seed_interval(v) for m, v in total.items()},
            "speedup_over_flat": speedup,
            "discovered_minus_doorway_total_steps": seed_interval(
                total["discovered"] - total["doorway"])}


def run(config: OptionDiscoveryConfig, progress: ProgressFactory) -> Output:
    """Discover and learn on four rooms for every seed, then look for MiniGrid's doorways."""
    mdp = four_rooms(config.goal, config.slip, config.gamma)
    hallways = sorted(mdp.hallways.tolist())
    steps = {m: np.zeros((config.n_seeds, config.n_episodes), dtype=np.int64) for m in METHODS}
    found_hallways = np.zeros(config.n_seeds, dtype=bool)
    found_by_length = np.zeros((config.n_seeds, len(config.walk_lengths)), dtype=bool)
    longest = max(config.walk_steps, *config.walk_lengths)
    for i in progress(range(config.n_seeds), desc="four-rooms seeds"):
        walk = random_walk_transitions(mdp, longest, stream(config.seed, f"walk/{i}"))
        found = bottleneck_states(experience_graph(walk[:config.walk_steps]), config.k)
        found_hallways[i] = sorted(found) == hallways
        found_by_length[i] = found_on_prefixes(walk, config.walk_lengths, hallways)
        extra: dict[str, list[Option]] = {
            "flat": [],
            "hallway": hallway_options(mdp),
            "discovered": goal_free_subgoal_options(mdp, found),
            "random-subgoals": goal_free_subgoal_options(
                mdp, random_subgoals(mdp, config.k, stream(config.seed, f"subgoals/{i}"))),
        }
        for method in METHODS:
            result = smdp_q_learning(mdp, [*primitive_options(mdp), *extra[method]], n_seeds=1,
                                     n_episodes=config.n_episodes, alpha=config.alpha,
                                     epsilon=config.epsilon, max_steps=MAX_STEPS,
                                     seed=stream(config.seed, f"learn/{i}"))
            steps[method][i] = result.steps[0]
    total = {m: steps[m].sum(axis=1) for m in METHODS}
    four_rooms_metrics: dict[str, Any] = {
        "found_hallways_fraction": float(found_hallways.mean()),
        "found_fraction_by_walk_length": found_by_length.mean(axis=0).tolist(),
        "total_steps": {m: seed_interval(total[m]) for m in METHODS},
        "last_20_episodes_steps": {m: seed_interval(steps[m][:, -20:].mean(axis=1))
                                   for m in METHODS},
        "speedup_over_flat": {},
        "episodes_cut_at_max_steps": {m: int((steps[m] >= MAX_STEPS).sum()) for m in METHODS},
        "discovered_minus_hallway_total_steps": seed_interval(
            (total["discovered"] - total["hallway"]).astype(float)),
    }
    for method in METHODS[1:]:
        ratio, low, high = ratio_of_means_ci(total["flat"], total[method],
                                             seed=stream(config.seed, f"bootstrap/{method}"))
        four_rooms_metrics["speedup_over_flat"][method] = {
            "ratio": round(ratio, 6), "low": round(low, 6), "high": round(high, 6)}
    layouts: list[dict[str, Any]] = []
    minigrid_found = np.zeros((config.n_layouts, len(config.walk_lengths)), dtype=bool)
    mg_steps = {m: np.zeros((config.n_layouts, config.minigrid_learners,
                             config.minigrid_episodes), dtype=np.int64) for m in MINIGRID_METHODS}
    for layout in progress(range(config.n_layouts), desc="MiniGrid layouts"):
        walk_cells = minigrid_random_walk(layout, max(config.minigrid_walk_steps,
                                                      *config.walk_lengths),
                                          stream(config.seed, f"minigrid-walk/{layout}"))
        doors = sorted(minigrid_doorways(layout))
        minigrid_found[layout] = found_on_prefixes(walk_cells, config.walk_lengths, doors)
        graph = experience_graph(walk_cells[:config.minigrid_walk_steps])
        try:
            found_doors = sorted(bottleneck_states(graph, len(doors)))
        except ValueError:  # the walk has not yet revealed as many passages as there are doors
            found_doors = []
        model = minigrid_mdp(layout)
        extra = {"flat": [], "doorway": subgoal_options(model.mdp, cell_groups(model, doors)),
                 "discovered": subgoal_options(model.mdp, cell_groups(model, found_doors))
                 if found_doors else []}
        for method in MINIGRID_METHODS:
            result = smdp_q_learning(model.mdp, [*primitive_options(model.mdp), *extra[method]],
                                     n_seeds=config.minigrid_learners,
                                     n_episodes=config.minigrid_episodes, alpha=config.alpha,
                                     epsilon=config.epsilon, max_steps=MAX_STEPS,
                                     start=model.start,
                                     seed=stream(config.seed, f"minigrid-learn/{layout}"))
            mg_steps[method][layout] = result.steps
        layouts.append({"layout": layout, "doorways": [list(d) for d in doors],
                        "found": [list(d) for d in found_doors],
                        "cells_visited": graph.number_of_nodes(),
                        "correct": found_doors == doors})
    metrics = {
        "four_rooms": four_rooms_metrics,
        "minigrid": {"layouts": layouts,
                     "correct_fraction": float(np.mean([e["correct"] for e in layouts]))
                     if layouts else None,
                     "found_fraction_by_walk_length": minigrid_found.mean(axis=0).tolist()
                     if layouts else None,
                     "learning": _minigrid_learning(mg_steps, config) if config.n_layouts >= 2
                     else None},
    }
    arrays: dict[str, np.ndarray] = {f"steps_{m.replace('-', '_')}": steps[m] for m in METHODS}
    arrays["found_hallways"] = found_hallways
    arrays["found_by_walk_length"] = found_by_length
    arrays["minigrid_found_by_walk_length"] = minigrid_found
    arrays.update({f"minigrid_steps_{m}": v for m, v in mg_steps.items()})
    return Output(metrics, arrays)


EXPERIMENT = Experiment(
    name="option-discovery",
    summary="Bottleneck options from random walks vs hallway options vs flat Q on four rooms; "
            "MiniGrid FourRooms doorways from random-walk experience",
    config_type=OptionDiscoveryConfig,
    run=run,
    fingerprint={"n_seeds": 3, "n_episodes": 20, "walk_steps": 5_000, "n_layouts": 2,
                 "minigrid_walk_steps": 2_000, "walk_lengths": (1_000, 2_000),
                 "minigrid_learners": 2, "minigrid_episodes": 3},
)

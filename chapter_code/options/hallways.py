"""Sutton, Precup & Singh's (1999) eight hallway options in four rooms."""

from __future__ import annotations

import numpy as np

from chapter_code.envs.four_rooms import MOVES, ROOM_HALLWAYS, FourRooms, four_rooms, room_of
from chapter_code.options.option import Option

_TIE = 1e-12


def hallway_options(mdp: FourRooms) -> list[Option]:
    """The 8 hallway options, two per room (Sutton, Precup & Singh 1999, §3.1, Figs. 2-3).

    Option "ROOM->(r,c)", as the paper defines it:

    - initiation set I: the room's cells plus the room's other (non-target) hallway;
    - termination β = 0 in the room's cells and 1 everywhere else, the hallways included: the
      option stops on reaching its target hallway, and also if a slip carries it into the
      other hallway (or out of the room through it);
    - policy π: "a shortest path within the room to its target hallway while minimizing the
      chance of stumbling into the other hallway" (§3.1). We read this as: in each state, among
      the actions that step along a shortest path (deterministic moves, inside the room), take
      the one that minimises the probability h(s) of entering the other hallway before the
      target under the slippery moves, h = the fixed point of
      h(s) = min_{a shortest} Σ_s' P(s, a, s') h(s'), h = 1 at the other hallway, 0 at the
      target. In four rooms this leaves no ties (a test checks); any would go to the first
      action in UP, DOWN, LEFT, RIGHT.

    The policies are computed on the grid without a goal (a goal changes nothing an option does
    before the episode ends), so the same eight options serve every goal.
    """
    if not isinstance(mdp, FourRooms):
        raise TypeError(f"mdp must be a FourRooms MDP, got {type(mdp).__name__}")
    grid = four_rooms(None, slip=mdp.slip, gamma=mdp.gamma)  # the goal-free dynamics
    rooms = np.array([room_of((int(r), int(c))) or "" for r, c in mdp.cells])
    options = []
    for room, hallways in ROOM_HALLWAYS.items():
        inside = rooms == room
        for k, target_cell in enumerate(hallways):
            target, other = mdp.index[target_cell], mdp.index[hallways[1 - k]]
            initiation = inside.copy()
            initiation[other] = True
            policy = least_stumbling_shortest_paths(grid, inside, target, other)
            options.append(Option(
                name=f"{room}->{target_cell}",
                initiation=initiation & ~mdp.terminal,
                policy=policy,
                termination=(~inside).astype(float),
            ))
    return options


def least_stumbling_shortest_paths(
    grid: FourRooms, inside: np.ndarray, target: int, other: int
) -> np.ndarray:
    """A hallway option's deterministic policy (S, A): on the room's cells (``inside``) and its
    other hallway, the shortest-path move that least often stumbles into the ``other`` hallway
    before reaching ``target`` (see :func:`hallway_options`); row 0 elsewhere is a placeholder,
    the option never acts there."""
    region = inside.copy()
    region[[target, other]] = True
    moves = _intended_successors(grid)
    dist = _distances_within(moves, region, target)
    starts = np.flatnonzero(inside | (np.arange(grid.n_states) == other))
    # the actions that step along a shortest path: deterministic successor one step closer
    shortest = np.zeros((grid.n_states, grid.n_actions), dtype=bool)
    for s in starts:
        for a in range(grid.n_actions):
            t = moves[s, a]
            shortest[s, a] = region[t] and dist[t] == dist[s] - 1
    # h(s): probability of entering the other hallway before the target (value iteration on
    # the stochastic shortest-path problem restricted to shortest-path actions)
    h = np.zeros(grid.n_states)
    h[other] = 1.0
    room = np.flatnonzero(inside)
    while True:
        q = np.where(shortest[room], grid.P[room] @ h, np.inf)  # (n_room, A)
        h_new = h.copy()
        h_new[room] = q.min(axis=1)
        if np.max(np.abs(h_new - h)) < 1e-15:
            break
        h = h_new
    q = np.where(shortest, grid.P @ h, np.inf)
    policy = np.zeros((grid.n_states, grid.n_actions))
    policy[:, 0] = 1.0
    for s in starts:
        best = int(np.flatnonzero(q[s] <= q[s].min() + _TIE)[0])
        policy[s] = np.eye(grid.n_actions)[best]
    return policy


def _intended_successors(grid: FourRooms) -> np.ndarray:
    """(S, A): the cell each action moves to when it does not slip (itself at a wall)."""
    return np.array([[grid.index.get((int(r + dr), int(c + dc)), s) for dr, dc in MOVES]
                     for s, (r, c) in enumerate(grid.cells)])


def _distances_within(moves: np.ndarray, region: np.ndarray, target: int) -> np.ndarray:
    """Shortest-path lengths to ``target`` under the deterministic ``moves`` (S, A) that stay
    in ``region`` (-1 outside it or where unreachable)."""
    dist = np.full(moves.shape[0], -1)
    dist[target] = 0
    frontier = [target]
    while frontier:
        nxt = []
        for t in frontier:
            for s in np.flatnonzero(region & (dist < 0)):
                if (moves[s] == t).any():
                    dist[s] = dist[t] + 1
                    nxt.append(int(s))
        frontier = nxt
    return dist

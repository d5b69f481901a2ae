"""Sutton, Precup & Singh's (1999) eight hallway options in four rooms."""

from __future__ import annotations

import numpy as np

from chapter_code.envs.four_rooms import ROOM_HALLWAYS, FourRooms, four_rooms, room_of
from chapter_code.options.discovery import shortest_path_policy
from chapter_code.options.option import Option


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
      target. This is :func:`~chapter_code.options.discovery.shortest_path_policy` with the
      room as the region and the other hallway as an entry. In four rooms it leaves no ties (a
      test checks); any would go to the first action in UP, DOWN, LEFT, RIGHT.

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
            policy = shortest_path_policy(grid, inside, target, entries=[other])
            options.append(Option(
                name=f"{room}->{target_cell}",
                initiation=initiation & ~mdp.terminal,
                policy=policy,
                termination=(~inside).astype(float),
            ))
    return options

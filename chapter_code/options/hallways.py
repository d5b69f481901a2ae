"""Sutton, Precup & Singh's (1999) eight hallway options in four rooms."""

from __future__ import annotations

import numpy as np

from chapter_code.envs.four_rooms import MOVES, ROOM_HALLWAYS, FourRooms, room_of
from chapter_code.options.option import Option


def hallway_options(mdp: FourRooms) -> list[Option]:
    """The 8 hallway options, two per room (Sutton, Precup & Singh 1999, §3, Fig. 2).

    Option "ROOM->(r,c)": initiation set I = the room's cells plus its other hallway (minus
    terminal states); policy = a shortest path to the target hallway (r, c) under
    deterministic moves, ties broken toward the first action in UP, DOWN, LEFT, RIGHT order;
    termination β = 0 inside I and 1 everywhere else, so the option stops at its target
    hallway, if a slip carries it out of its room, or at the goal.
    """
    if not isinstance(mdp, FourRooms):
        raise TypeError(f"mdp must be a FourRooms MDP, got {type(mdp).__name__}")
    rooms = np.array([room_of((int(r), int(c))) or "" for r, c in mdp.cells])
    options = []
    for room, hallways in ROOM_HALLWAYS.items():
        for k, target_cell in enumerate(hallways):
            other = mdp.index[hallways[1 - k]]
            initiation = rooms == room
            initiation[other] = True
            initiation &= ~mdp.terminal
            dist = mdp.distances(mdp.index[target_cell])
            policy = np.zeros((mdp.n_states, mdp.n_actions))
            policy[:, 0] = 1.0  # never used: outside I the option has already stopped
            for s in np.flatnonzero(initiation):
                r, c = mdp.cells[s]
                for a, (dr, dc) in enumerate(MOVES):
                    t = mdp.index.get((int(r + dr), int(c + dc)))
                    if t is not None and dist[t] == dist[s] - 1:
                        policy[s] = np.eye(mdp.n_actions)[a]
                        break
            options.append(Option(
                name=f"{room}->{target_cell}",
                initiation=initiation,
                policy=policy,
                termination=(~initiation).astype(float),
            ))
    return options

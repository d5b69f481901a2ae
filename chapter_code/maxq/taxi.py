"""Dietterich's (2000, §3.1) Taxi hierarchy on Gymnasium's ``Taxi-v4``, and a small
corridor hierarchy that uses the same API.

Taxi's state is ((row · 5 + col) · 5 + passenger) · 4 + destination, with passenger 0-3 one of
the four landmarks R, G, Y, B and 4 in the taxi; actions 0-5 are South, North, East, West,
Pickup, Putdown (Gymnasium calls the last "drop off").
"""

from __future__ import annotations

import numpy as np

from chapter_code.maxq.hierarchy import (
    ZERO,
    Child,
    CompiledHierarchy,
    Primitive,
    Task,
    compile_hierarchy,
)

LANDMARKS = ((0, 0), (0, 4), (4, 0), (4, 3))
"""the (row, col) of R, G, Y and B."""

IN_TAXI = 4
"""the passenger value meaning "in the taxi"."""


def decode(state: int) -> tuple[int, int, int, int]:
    """(row, col, passenger, destination) of a Taxi state."""
    return state // 100, state // 20 % 5, state // 4 % 5, state % 4


def encode(row: int, col: int, passenger: int, destination: int) -> int:
    """The Taxi state index of (row, col, passenger, destination)."""
    return ((row * 5 + col) * 5 + passenger) * 4 + destination


def _cell(s: int) -> tuple[int, int]:
    return decode(s)[:2]


def _passenger(s: int) -> int:
    return decode(s)[2]


def _destination(s: int) -> int:
    return decode(s)[3]


def _at(s: int, t: int) -> bool:
    return _cell(s) == LANDMARKS[t]


def _delivered(s: int) -> bool:
    return _passenger(s) == _destination(s)


DROP_PSEUDO_REWARD = -100.0
"""R̃_Put(s') when Put ends without the delivery: Gymnasium's Putdown at a landmark other than
the destination drops the passenger there for -1 and ends Put, which C(Root, s, Put) = 0 cannot
see; this pseudo-reward keeps Put's own policy from choosing it."""


def _put_pseudo_reward(s: int) -> float:
    return 0.0 if _delivered(s) else DROP_PSEUDO_REWARD


def taxi_tasks() -> list[Task | Primitive]:
    """The Taxi task graph: Root -> Get, Put; Get -> Navigate(t = passenger), Pickup;
    Put -> Navigate(t = destination), Putdown; Navigate(t) -> North, South, East, West.

    The abstractions are Dietterich's (§5.1.6): a move's reward is the same everywhere; Pickup's
    depends only on whether the taxi is at the passenger, Putdown's on whether it delivers;
    Navigate(t) needs the taxi's cell; Get and Put only the passenger or the destination (and
    the taxi's cell before Pickup or Putdown); Root's C(Get) the passenger and destination, and
    C(Root, s, Put) = 0 (Put ends with the delivery that ends Root). That last one holds in
    Gymnasium only for a Put that never drops the passenger at a wrong landmark (there Putdown
    ends Put without the delivery), so Put gets the pseudo-reward
    :data:`DROP_PSEUDO_REWARD` for ending that way (a departure from the paper, whose Putdown
    keeps a misplaced passenger aboard).
    """
    moves = [Primitive(name, action, abstraction=lambda s: ())
             for name, action in (("South", 0), ("North", 1), ("East", 2), ("West", 3))]
    return [
        *moves,
        Primitive("Pickup", 4, abstraction=lambda s: _passenger(s) < 4
                  and _at(s, _passenger(s))),
        Primitive("Putdown", 5, abstraction=lambda s: _passenger(s) == IN_TAXI
                  and _at(s, _destination(s))),
        Task("Navigate", ("North", "South", "East", "West"), params=(0, 1, 2, 3),
             terminated=lambda s, t: _at(s, t),
             abstraction={m: (lambda s, t: _cell(s)) for m in ("North", "South", "East", "West")}),
        Task("Get", (Child("Navigate", bind=_passenger), "Pickup"),
             terminated=lambda s: _passenger(s) == IN_TAXI,
             abstraction={"Navigate": lambda s: _passenger(s),
                          "Pickup": lambda s: (_cell(s), _passenger(s))}),
        Task("Put", (Child("Navigate", bind=_destination), "Putdown"),
             terminated=lambda s: _passenger(s) != IN_TAXI, pseudo_reward=_put_pseudo_reward,
             abstraction={"Navigate": lambda s: _destination(s),
                          "Putdown": lambda s: (_cell(s), _destination(s))}),
        Task("Root", ("Get", "Put"), terminated=_delivered,
             abstraction={"Get": lambda s: (_passenger(s), _destination(s)),
                          "Put": lambda s: ZERO}),
    ]


def taxi_hierarchy(*, abstraction: bool = True) -> CompiledHierarchy:
    """The Taxi hierarchy compiled for Taxi-v4's 500 states (terminal: delivered)."""
    terminal = np.array([_delivered(s) for s in range(500)])
    return compile_hierarchy(taxi_tasks(), "Root", n_states=500, n_actions=6,
                             terminal=terminal, abstraction=abstraction)


def taxi_start_states() -> np.ndarray:
    """The 300 states Taxi-v4 starts in: any cell, the passenger at a landmark, the
    destination another landmark."""
    return np.array([s for s in range(500) if _passenger(s) < 4 and not _delivered(s)])


def corridor_hierarchy(length: int, waypoint: int, *, abstraction: bool = True
                       ) -> CompiledHierarchy:
    """A second hierarchy on :class:`chapter_code.envs.Corridor` (actions Left 0, Right 1):
    Root -> Reach(t), with t bound to the waypoint before it is passed and to the goal after;
    Reach(t) -> Left, Right, ending at cell t. Reach's completions depend only on the cell."""
    goal = length - 1
    tasks: list[Task | Primitive] = [
        Primitive("Left", 0), Primitive("Right", 1),
        Task("Reach", ("Left", "Right"), params=(waypoint, goal),
             terminated=lambda s, t: s == t),
        Task("Root", (Child("Reach", bind=lambda s: waypoint if s < waypoint else goal),),
             terminated=lambda s: s == goal),
    ]
    terminal = np.arange(length) == goal
    return compile_hierarchy(tasks, "Root", n_states=length, n_actions=2, terminal=terminal,
                             abstraction=abstraction)

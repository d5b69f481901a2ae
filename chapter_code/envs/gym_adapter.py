"""Exact models from Gymnasium's toy-text environments (FrozenLake, Taxi, CliffWalking)."""

from __future__ import annotations

from typing import Any

import numpy as np

from chapter_code.envs.tabular import TabularMDP


def from_gymnasium(env: Any, *, gamma: float = 0.99) -> TabularMDP:
    """Build a :class:`TabularMDP` from an env whose ``unwrapped.P`` is a toy-text model.

    ``unwrapped.P[s][a]`` is a list of ``(prob, next_state, reward, terminated)``. A state is
    terminal when some transition arrives in it with ``terminated=True``; that flag must then be
    a function of the arrival state (it is for FrozenLake and Taxi), otherwise ``ValueError``.
    Rewards are averaged into ``R[s, a]``; terminal states become absorbing with zero reward.
    """
    base = getattr(env, "unwrapped", env)
    model = getattr(base, "P", None)
    if not isinstance(model, dict):
        raise TypeError(
            f"env must expose a toy-text model dict at env.unwrapped.P, got {type(env).__name__}"
        )
    n_states = len(model)
    n_actions = len(model[0])
    P = np.zeros((n_states, n_actions, n_states))
    R = np.zeros((n_states, n_actions))
    arrives_done = np.zeros(n_states, dtype=bool)
    arrives_live = np.zeros(n_states, dtype=bool)
    for s in range(n_states):
        for a in range(n_actions):
            for prob, s_next, reward, done in model[s][a]:
                P[s, a, s_next] += prob
                R[s, a] += prob * reward
                if prob > 0:
                    (arrives_done if done else arrives_live)[s_next] = True
    ambiguous = np.flatnonzero(arrives_done & arrives_live)
    if ambiguous.size:
        raise ValueError(
            f"env termination is not a function of the arrival state (state {ambiguous[0]} is "
            "reached both with terminated=True and False); it has no TabularMDP form"
        )
    terminal = arrives_done
    P[terminal] = 0.0
    for s in np.flatnonzero(terminal):
        P[s, :, s] = 1.0
    R[terminal] = 0.0
    return TabularMDP(P=P, R=R, gamma=gamma, terminal=terminal)

"""Exact models from Gymnasium's toy-text environments (FrozenLake, Taxi, CliffWalking)."""

from __future__ import annotations

from typing import Any

import numpy as np

from chapter_code.envs.tabular import TabularMDP


def from_gymnasium(env: Any, *, gamma: float = 0.99) -> TabularMDP:
    """Build a :class:`TabularMDP` from an env whose ``unwrapped.P`` is a toy-text model.

    ``unwrapped.P[s][a]`` is a list of ``(prob, next_state, reward, terminated)``. A state that
    is only ever entered with ``terminated=True`` becomes terminal (FrozenLake's holes and goal),
    so state indices match the env. Where the flag is not a function of the arrival state
    (Taxi: a state entered by the final drop-off is also entered, in unreachable corners of the
    model, without it), those terminating transitions go to one extra absorbing terminal state
    appended at index S. The reward of a transition, ``R_transition[s, a, s']``, is the
    probability-weighted mean of the rewards the model lists for (s, a, s') (the listed reward
    itself in the toy-text models, whose rewards are functions of (s, a, s')).
    """
    base = getattr(env, "unwrapped", env)
    model = getattr(base, "P", None)
    if not isinstance(model, dict):
        raise TypeError(
            f"env must expose a toy-text model dict at env.unwrapped.P, got {type(env).__name__}"
        )
    n_states = len(model)
    n_actions = len(model[0])
    transitions = [
        (s, a, prob, s_next, reward, bool(done))
        for s in range(n_states)
        for a in range(n_actions)
        for prob, s_next, reward, done in model[s][a]
        if prob > 0
    ]
    entered_live = np.zeros(n_states, dtype=bool)
    entered_done = np.zeros(n_states, dtype=bool)
    for _, _, _, s_next, _, done in transitions:
        (entered_done if done else entered_live)[s_next] = True
    terminal = entered_done & ~entered_live
    needs_sink = any(done and not terminal[s_next] for *_, s_next, _, done in transitions)
    size = n_states + int(needs_sink)
    P = np.zeros((size, n_actions, size))
    paid = np.zeros((size, n_actions, size))  # Σ prob · reward over the entries of (s, a, s')
    for s, a, prob, s_next, reward, done in transitions:
        arrival = int(s_next) if (terminal[s_next] or not done) else n_states
        P[s, a, arrival] += prob
        paid[s, a, arrival] += prob * reward
    R = np.divide(paid, P, out=np.zeros_like(P), where=P > 0)
    terminal = np.append(terminal, True) if needs_sink else terminal
    absorbing = np.flatnonzero(terminal)
    P[absorbing] = 0.0
    P[absorbing, :, absorbing] = 1.0
    return TabularMDP(P=P, R=R, gamma=gamma, terminal=terminal)

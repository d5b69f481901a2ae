"""A plain-Python twin of the compiled option-critic loop, for one run.

Slow and readable: one transition at a time, the task stepped through
:meth:`chapter_code.envs.tabular.TabularMDP.step` (the sampled transition and the reward it
pays), the updates of Algorithm 1 (Bacon, Harb & Precup 2017) written out with NumPy. It draws
its random numbers in the order of :func:`chapter_code.option_critic.option_critic` (start
state, option choice, action, transition, termination), so from the same generator the two
give the same episodes; the tests hold them to that.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from chapter_code._checks import check_int, check_real
from chapter_code.envs.tabular import TabularMDP
from chapter_code.option_critic.tabular import TabularResult


def reference_option_critic(
    tasks: Sequence[TabularMDP],
    schedule: Sequence[int],
    *,
    n_options: int,
    rng: np.random.Generator,
    alpha: float = 0.5,
    lr_intra: float = 0.0025,
    lr_term: float = 0.25,
    temperature: float = 0.01,
    xi: float = 0.0,
    baseline: bool = True,
    epsilon: float = 0.01,
    termination_init: float = 0.0,
    max_steps: int = 1000,
) -> TabularResult:
    """Option-critic for one run whose episode e is played in ``tasks[schedule[e]]``; the
    arguments mean what they mean for :func:`chapter_code.option_critic.option_critic`.
    Returns its :class:`TabularResult` with a run axis of length 1."""
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    n_options = check_int("n_options", n_options, minimum=1)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    for name, value in (("alpha", alpha), ("lr_intra", lr_intra), ("lr_term", lr_term),
                        ("temperature", temperature), ("xi", xi), ("epsilon", epsilon),
                        ("termination_init", termination_init)):
        check_real(name, value)
    S, A = tasks[0].n_states, tasks[0].n_actions
    gamma = tasks[0].gamma
    Q_U = np.zeros((S, n_options, A))
    Q_Omega = np.zeros((S, n_options))
    theta = np.zeros((n_options, S, A))
    vartheta = np.full((n_options, S), float(termination_init))
    steps = np.zeros((1, len(schedule)), dtype=np.int64)
    switches = np.zeros((1, len(schedule)), dtype=np.int64)

    def beta(o: int, s: int) -> float:
        return float(1.0 / (1.0 + np.exp(-vartheta[o, s])))

    def policy(o: int, s: int) -> np.ndarray:
        z = np.exp(theta[o, s] / temperature - np.max(theta[o, s] / temperature))
        return z / z.sum()

    def choose(s: int) -> int:
        if n_options == 1:
            return 0
        explore = rng.random() < epsilon
        candidates = [o for o in range(n_options) if explore or Q_Omega[s, o] == Q_Omega[s].max()]
        choice = -1
        for ties, o in enumerate(candidates, start=1):  # uniform over candidates, one draw each
            if rng.random() * ties < 1.0:
                choice = o
        return choice

    for episode, k in enumerate(schedule):
        mdp = tasks[int(k)]
        live = ~mdp.terminal
        start_cdf = np.cumsum(live / live.sum())
        start_cdf[-1] = 1.0
        s = int(np.searchsorted(start_cdf, rng.random(), side="right"))
        o = choose(s)
        t = 0
        while True:
            cdf = np.cumsum(policy(o, s))
            cdf[-1] = 1.0
            a = int(np.searchsorted(cdf, rng.random(), side="right"))
            nxt, reward, done = mdp.step(np.array([s]), np.array([a]), rng)
            s_next, r, terminated = int(nxt[0]), float(reward[0]), bool(done[0])
            t += 1
            # 1. options evaluation: the one-step target r + γ U(ω, s')
            U = 0.0
            if not terminated:
                U = (1 - beta(o, s_next)) * Q_Omega[s_next, o] + beta(o, s_next) * Q_Omega[
                    s_next].max()
            Q_U[s, o, a] += alpha * (r + gamma * U - Q_U[s, o, a])
            Q_Omega[s, o] += alpha * (r + gamma * U - Q_Omega[s, o])
            # 2. options improvement: intra-option policy, then termination at s'
            pi = policy(o, s)
            advantage = Q_U[s, o, a] - (Q_Omega[s, o] if baseline else 0.0)
            theta[o, s] += lr_intra * advantage * (np.eye(A)[a] - pi) / temperature
            if not terminated:
                b = beta(o, s_next)
                vartheta[o, s_next] -= lr_term * b * (1 - b) * (
                    Q_Omega[s_next, o] - Q_Omega[s_next].max() + xi)
            s = s_next
            if terminated or t >= max_steps:
                steps[0, episode] = t
                break
            if n_options > 1 and rng.random() < beta(o, s):
                o = choose(s)
                switches[0, episode] += 1
    return TabularResult(steps=steps, switches=switches,
                         tables={"Q_U": Q_U[None], "Q_Omega": Q_Omega[None],
                                 "theta": theta[None], "vartheta": vartheta[None]})

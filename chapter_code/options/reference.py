"""A plain-Python twin of the compiled option learners, acting in a Gymnasium env.

Slow and readable: one seed, one transition at a time, the environment stepped through its
Gymnasium interface (so it sees exactly the sampled reward and the ``terminated`` /
``truncated`` flags an agent sees). It draws its random numbers in the same order as the
compiled loop of :mod:`chapter_code.options.learning`, so given the same generator the two
produce the same values; the tests hold them to that.
"""

from __future__ import annotations

from collections.abc import Sequence

import gymnasium
import numpy as np

from chapter_code._checks import check_choice, check_int, check_real
from chapter_code.options.learning import BEHAVIOURS, LearningResult
from chapter_code.options.option import Option

METHODS = ("smdp", "intra")


def reference_learning(
    env: gymnasium.Env,
    options: Sequence[Option],
    *,
    method: str,
    n_episodes: int,
    gamma: float,
    rng: np.random.Generator,
    alpha: float = 0.1,
    epsilon: float = 0.1,
    behaviour: str = "epsilon-greedy",
) -> LearningResult:
    """SMDP Q-learning (``method="smdp"``; flat Q-learning when ``options`` are the primitive
    ones) or intra-option Q-learning (``"intra"``) for one seed, in ``env``.

    ``env`` has discrete observations (the state index the options are defined over) and its
    ``np_random`` is replaced by ``rng``; episodes start from ``env.reset()`` and end on
    ``terminated`` or ``truncated`` (a time limit: the running option bootstraps). Returns the
    records of :class:`LearningResult` with one seed.
    """
    method = check_choice("method", method, METHODS)
    behaviour = check_choice("behaviour", behaviour, BEHAVIOURS)
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    if method == "smdp" and behaviour != "epsilon-greedy":
        raise ValueError("SMDP Q-learning executes its options: behaviour must be "
                         f"'epsilon-greedy', got {behaviour!r}")
    options = list(options)
    n_actions = int(env.action_space.n)  # type: ignore[attr-defined]
    I = np.stack([o.initiation for o in options]).T  # (S, O)
    Pi = np.stack([o.policy for o in options])  # (O, S, A)
    B = np.stack([o.termination for o in options]).T  # (S, O)
    running = np.stack([o.domain for o in options]).T  # (S, O)
    Q = np.zeros(I.shape)
    env.unwrapped.np_random = rng
    steps = np.zeros((1, n_episodes), dtype=np.int64)
    returns = np.zeros((1, n_episodes))
    decisions = np.zeros((1, n_episodes), dtype=np.int64)

    def best(s: int) -> float:
        return float(np.max(Q[s][I[s]]))

    def choose(s: int) -> int:
        explore = rng.random() < epsilon
        allowed = [o for o in range(len(options)) if I[s, o]]
        candidates = allowed if explore else [o for o in allowed if Q[s, o] == best(s)]
        choice = -1
        for ties, o in enumerate(candidates, start=1):  # uniform choice, one draw per tie
            if rng.random() * ties < 1.0:
                choice = o
        return choice

    for episode in range(n_episodes):
        s, _ = env.reset()
        t, discount = 0, 1.0
        o, s0, G, gamma_k = 0, s, 0.0, 1.0
        if behaviour == "epsilon-greedy":
            o = choose(s)
            decisions[0, episode] = 1
        while True:
            if behaviour == "uniform-random":
                a = min(int(rng.random() * n_actions), n_actions - 1)
            else:
                a = int(np.searchsorted(np.cumsum(Pi[o, s]), rng.random(), side="right"))
            s_next, reward, terminated, truncated, _ = env.step(a)
            r = float(reward)
            t += 1
            returns[0, episode] += discount * r
            discount *= gamma
            if method == "intra":
                b = 1.0 / n_actions if behaviour == "uniform-random" else Pi[o, s, a]
                best_next = 0.0 if terminated else best(s_next)  # before any update (s' may be s)
                for u in range(len(options)):
                    if running[s, u] and Pi[u, s, a] > 0:
                        U = 0.0 if terminated else (
                            (1 - B[s_next, u]) * Q[s_next, u] + B[s_next, u] * best_next)
                        Q[s, u] += alpha * (Pi[u, s, a] / b) * (r + gamma * U - Q[s, u])
            stops = False
            if behaviour == "epsilon-greedy":
                G += gamma_k * r
                gamma_k *= gamma
                stops = terminated or truncated or rng.random() < B[s_next, o]
                if stops and method == "smdp":
                    if terminated:
                        target = G
                    elif truncated:  # not stopped: continue with o's value U(s', o)
                        target = G + gamma_k * ((1 - B[s_next, o]) * Q[s_next, o]
                                                + B[s_next, o] * best(s_next))
                    else:
                        target = G + gamma_k * best(s_next)
                    Q[s0, o] += alpha * (target - Q[s0, o])
            s = s_next
            if terminated or truncated:
                steps[0, episode] = t
                break
            if stops:
                o = choose(s)
                s0, G, gamma_k = s, 0.0, 1.0
                decisions[0, episode] += 1
    return LearningResult(steps=steps, returns=returns, decisions=decisions, Q=Q[None],
                          option_names=tuple(o.name for o in options))

"""Skills reused downstream on the 2D point environment: a manager that chooses among frozen
skills to reach a goal, against flat learning from scratch on the same budget.

The task: from the centre of the unit box, reach the disc of radius ``GOAL_RADIUS`` around
``GOAL``, paying -1 per step, within ``max_steps`` steps. Both learners see the same coarse
state, the cell of an ``n_cells`` x ``n_cells`` grid over the box, and learn by SMDP Q-learning
(Sutton, Precup & Singh 1999, eq. 15 in the options notation): an action o started in cell c
that runs k steps with return G = -(1 + γ + ... + γ^(k-1)) and stops in cell c' updates

    Q(c, o) <- Q(c, o) + α [G + γ^k max_o' Q(c', o') - Q(c, o)]     (no max term at the goal).

The flat learner's actions are the 8 compass moves, one step each (SMDP Q-learning whose options
are primitive actions); the manager has the same 8 moves and the K skills beside them, each
skill run for ``skill_steps`` steps with its mean action tanh(μ(s, z)).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from chapter_code._checks import check_int, check_real
from chapter_code.skills.sac import START, SkillActor, point_step, skill_observation

GOAL = (0.85, 0.85)
"""centre of the goal disc: near the north-east corner"""
GOAL_RADIUS = 0.1
"""the episode ends once the point is this close to ``GOAL``"""
COMPASS = np.array([(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1) if (dx, dy) != (0, 0)],
                   dtype=np.float32)
"""the flat learner's 8 actions, full moves along and between the axes"""

# run(state, action, steps_left) -> (next state, steps taken, goal reached)
Runner = Callable[[np.ndarray, int, int], tuple[np.ndarray, int, bool]]


def cell_of(state: np.ndarray, n_cells: int) -> int:
    """The index of the grid cell holding ``state`` (2,), row-major over (x, y)."""
    i, j = (np.minimum((np.asarray(state) * n_cells).astype(int), n_cells - 1))
    return int(i * n_cells + j)


def reached(state: np.ndarray) -> bool:
    """Whether ``state`` lies in the goal disc."""
    return bool(np.hypot(state[0] - GOAL[0], state[1] - GOAL[1]) < GOAL_RADIUS)


def discounted_cost(k: int, gamma: float) -> float:
    """G = -(1 + γ + ... + γ^(k-1)), the return of k steps paying -1 each."""
    return -float(k) if gamma == 1.0 else -(1.0 - gamma**k) / (1.0 - gamma)


def run_moves(moves: Callable[[np.ndarray, int], np.ndarray], length: int) -> Runner:
    """A runner that applies ``moves(state, action)`` (an action in [-1, 1]²) for up to
    ``length`` steps, stopping early at the goal."""

    def run(state: np.ndarray, action: int, steps_left: int) -> tuple[np.ndarray, int, bool]:
        for k in range(1, min(length, steps_left) + 1):
            move = torch.from_numpy(moves(state, action)[None])
            state = point_step(torch.from_numpy(state[None]), move)[0].numpy()
            if reached(state):
                return state, k, True
        return state, min(length, steps_left), False

    return run


def skill_runner(actor: SkillActor, n_skills: int, skill_steps: int) -> Runner:
    """Skill z run for ``skill_steps`` steps with its mean action tanh(μ(s, z))."""

    def moves(state: np.ndarray, z: int) -> np.ndarray:
        with torch.no_grad():
            obs = skill_observation(torch.from_numpy(state[None]), torch.tensor([z]), n_skills)
            mean = actor.net(obs).chunk(2, dim=-1)[0]
        return torch.tanh(mean)[0].numpy()

    return run_moves(moves, skill_steps)


def compass_runner() -> Runner:
    """The flat learner's runner: compass move ``a`` for one step."""
    return run_moves(lambda state, a: COMPASS[a], 1)


def with_compass(skills: Runner) -> Runner:
    """The manager's runner: actions 0-7 are the compass moves, 8 + z runs skill z (options
    beside the primitive actions, as in the grid version)."""
    compass = compass_runner()

    def run(state: np.ndarray, action: int, steps_left: int) -> tuple[np.ndarray, int, bool]:
        if action < len(COMPASS):
            return compass(state, action, steps_left)
        return skills(state, action - len(COMPASS), steps_left)

    return run


def goal_task_q_learning(run: Runner, n_actions: int, *, n_episodes: int, n_cells: int = 5,
                    max_steps: int = 100, alpha: float = 0.1, epsilon: float = 0.1,
                    gamma: float = 0.99, rng: np.random.Generator) -> np.ndarray:
    """SMDP Q-learning of the goal task (module docstring) with ε-greedy choices (ties to the
    first action), ``n_episodes`` episodes from the centre; returns the steps each took."""
    n_actions = check_int("n_actions", n_actions, minimum=1)
    n_episodes = check_int("n_episodes", n_episodes, minimum=1)
    n_cells = check_int("n_cells", n_cells, minimum=1)
    max_steps = check_int("max_steps", max_steps, minimum=1)
    alpha = check_real("alpha", alpha, low=0.0, high=1.0, low_open=True)
    epsilon = check_real("epsilon", epsilon, low=0.0, high=1.0)
    gamma = check_real("gamma", gamma, low=0.0, high=1.0, low_open=True)
    q = np.zeros((n_cells * n_cells, n_actions))
    steps = np.zeros(n_episodes, dtype=np.int64)
    for episode in range(n_episodes):
        state, t, done = np.array(START, dtype=np.float32), 0, False
        while not done and t < max_steps:
            c = cell_of(state, n_cells)
            explore = rng.random() < epsilon
            o = int(rng.integers(n_actions)) if explore else int(np.argmax(q[c]))
            state, k, done = run(state, o, max_steps - t)
            t += k
            future = 0.0 if done else gamma**k * q[cell_of(state, n_cells)].max()
            q[c, o] += alpha * (discounted_cost(k, gamma) + future - q[c, o])
        steps[episode] = t
    return steps

"""Options (Sutton, Precup & Singh 1999): an initiation set I, a policy π and a termination β."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from chapter_code._checks import check_int
from chapter_code.envs.corridor import RIGHT, Corridor
from chapter_code.envs.tabular import TabularMDP

_TOL = 1e-8


@dataclass(frozen=True, eq=False)
class Option:
    """A Markov option o = (I, π, β) over a tabular MDP.

    ``initiation`` (S,) bool: the states where o may start. ``policy`` (S, A): π(a | s), the
    action probabilities while o runs. ``termination`` (S,): β(s), the probability that o stops
    on arriving in s. Validated on construction; the arrays are stored read-only.
    """

    name: str
    initiation: np.ndarray
    policy: np.ndarray
    termination: np.ndarray

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty str, got {self.name!r}")
        initiation = np.array(self.initiation)
        policy = np.array(self.policy, dtype=float)
        termination = np.array(self.termination, dtype=float)
        if initiation.ndim != 1 or initiation.dtype != bool:
            raise ValueError(
                f"initiation must be a 1-D bool array (S,), got dtype {initiation.dtype} "
                f"shape {initiation.shape}"
            )
        n_states = initiation.shape[0]
        if policy.ndim != 2 or policy.shape[0] != n_states:
            raise ValueError(f"policy must have shape (S, A) with S={n_states}, got {policy.shape}")
        if (policy < 0).any() or np.abs(policy.sum(axis=1) - 1.0).max() > _TOL:
            bad = int(np.argmax(np.abs(policy.sum(axis=1) - 1.0) + (policy < 0).any(axis=1)))
            raise ValueError(
                f"policy rows must be probability distributions; row {bad} of option "
                f"{self.name!r} is {policy[bad]}"
            )
        if termination.shape != (n_states,):
            raise ValueError(f"termination must have shape (S,) = ({n_states},), got "
                             f"{termination.shape}")
        if not np.isfinite(termination).all() or (termination < 0).any() or (
            termination > 1
        ).any():
            raise ValueError(f"termination β must lie in [0, 1] for option {self.name!r}")
        for field_name, value in (
            ("initiation", initiation), ("policy", policy), ("termination", termination)
        ):
            value.setflags(write=False)
            object.__setattr__(self, field_name, value)

    @property
    def n_states(self) -> int:
        """Number of states S the option is defined over."""
        return self.initiation.shape[0]

    @property
    def domain(self) -> np.ndarray:
        """States where the option can be running: I ∪ {s : β(s) < 1}. Shape (S,) bool."""
        return self.initiation | (self.termination < 1.0)


def options_agree(a: Option, b: Option) -> bool:
    """Whether options ``a`` and ``b`` are the same option for an agent that starts them:
    equal initiation sets I, equal terminations β, and equal policies π(· | s) in every state
    s of I (exact equality; names and the policy outside I are not compared).

    Both must be defined over the same (S, A); ``ValueError`` otherwise.
    """
    for name, option in (("a", a), ("b", b)):
        if not isinstance(option, Option):
            raise TypeError(f"{name} must be an Option, got {type(option).__name__}")
    if a.policy.shape != b.policy.shape:
        raise ValueError(f"a and b must be options over the same (S, A); a has policy shape "
                         f"{a.policy.shape}, b {b.policy.shape}")
    starts = a.initiation
    return bool(np.array_equal(a.initiation, b.initiation)
                and np.array_equal(a.termination, b.termination)
                and np.array_equal(a.policy[starts], b.policy[starts]))


@dataclass(frozen=True)
class OptionArrays:
    """A set of options stacked for vectorised code: I (O, S), π (O, S, A), β (O, S)."""

    names: tuple[str, ...]
    initiation: np.ndarray
    policy: np.ndarray
    termination: np.ndarray
    domain: np.ndarray


def stack_options(mdp: TabularMDP, options: Sequence[Option]) -> OptionArrays:
    """Stack ``options`` into arrays after checking they fit ``mdp``.

    Every non-terminal state must be in some option's initiation set: otherwise an agent that
    arrives there has nothing to choose (the four-rooms listing's hallway bug), so we raise.
    """
    options = list(options)
    if not options or not all(isinstance(o, Option) for o in options):
        raise TypeError("options must be a non-empty sequence of Option")
    for o in options:
        if o.policy.shape != (mdp.n_states, mdp.n_actions):
            raise ValueError(
                f"option {o.name!r} has policy shape {o.policy.shape}, but the MDP has "
                f"(S, A) = {(mdp.n_states, mdp.n_actions)}"
            )
    initiation = np.stack([o.initiation for o in options])
    uncovered = np.flatnonzero(~initiation.any(axis=0) & ~mdp.terminal)
    if uncovered.size:
        raise ValueError(
            f"options must cover every non-terminal state; no option can start in states "
            f"{uncovered[:10].tolist()}{' ...' if uncovered.size > 10 else ''}"
        )
    return OptionArrays(
        names=tuple(o.name for o in options),
        initiation=initiation,
        policy=np.stack([o.policy for o in options]),
        termination=np.stack([o.termination for o in options]),
        domain=np.stack([o.domain for o in options]),
    )


def primitive_options(mdp: TabularMDP) -> list[Option]:
    """One option per action a: I = non-terminal states, π(s) = a, β ≡ 1 (a one-step option)."""
    live = ~mdp.terminal
    eye = np.eye(mdp.n_actions)
    return [
        Option(
            name=f"a{a}",
            initiation=live.copy(),
            policy=np.tile(eye[a], (mdp.n_states, 1)),
            termination=np.ones(mdp.n_states),
        )
        for a in range(mdp.n_actions)
    ]


def landmark_option(mdp: Corridor, spacing: int) -> Option:
    """In a corridor, "walk right to the next landmark": β = 1 on every ``spacing``-th cell.

    Landmarks are the cells k·spacing and the goal; the option can start in any non-terminal cell.
    """
    if not isinstance(mdp, Corridor):
        raise TypeError(f"mdp must be a Corridor, got {type(mdp).__name__}")
    spacing = check_int("spacing", spacing, minimum=1)
    cells = np.arange(mdp.n_states)
    termination = ((cells % spacing == 0) | mdp.terminal).astype(float)
    policy = np.zeros((mdp.n_states, mdp.n_actions))
    policy[:, RIGHT] = 1.0
    return Option(
        name=f"right-to-landmark/{spacing}",
        initiation=~mdp.terminal,
        policy=policy,
        termination=termination,
    )

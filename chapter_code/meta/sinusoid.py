"""Finn et al. (2017) §5.1 sinusoid regression: y = A sin(ω x − φ), A ~ U[0.1, 5], φ ~ U[0, π],
ω = 1, x ~ U[−5, 5], K points per task, regressed by a 40-40 ReLU MLP.

The paper's tasks all have ω = 1. A frequency range wider than one point draws ω ~ U[low, high]
too: a broader task family, used to measure when K points and a few gradient steps stop being
enough to tell the tasks apart."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from chapter_code._checks import check_int, check_real
from chapter_code.meta.networks import check_generator, uniform

AMPLITUDE_RANGE = (0.1, 5.0)
PHASE_RANGE = (0.0, math.pi)
PAPER_FREQUENCY_RANGE = (1.0, 1.0)
X_RANGE = (-5.0, 5.0)

Tasks = tuple[Tensor, Tensor, Tensor]
"""amplitude A, phase φ and angular frequency ω of every task, each (n_tasks,)"""


def check_frequency_range(frequency_range: tuple[float, float]) -> tuple[float, float]:
    """``(low, high)`` with 0 < low <= high, else a ValueError naming ``frequency_range``."""
    if not isinstance(frequency_range, tuple) or len(frequency_range) != 2:
        raise TypeError(f"frequency_range must be a (low, high) tuple, got {frequency_range!r}")
    low = check_real("frequency_range[0]", frequency_range[0], low=0.0, low_open=True)
    high = check_real("frequency_range[1]", frequency_range[1], low=low)
    return low, high


def sample_tasks(
    n_tasks: int, generator: torch.Generator,
    frequency_range: tuple[float, float] = PAPER_FREQUENCY_RANGE,
) -> Tasks:
    """``n_tasks`` sinusoids ``(amplitude, phase, frequency)``. Amplitudes are drawn first, then
    phases, then (only for a range wider than one point) frequencies."""
    n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    generator = check_generator(generator)
    low, high = check_frequency_range(frequency_range)
    amplitude = uniform((n_tasks,), *AMPLITUDE_RANGE, generator)
    phase = uniform((n_tasks,), *PHASE_RANGE, generator)
    frequency = (uniform((n_tasks,), low, high, generator) if high > low
                 else torch.full((n_tasks,), low))
    return amplitude, phase, frequency


def target(amplitude: Tensor, phase: Tensor, frequency: Tensor, x: Tensor) -> Tensor:
    """The sinusoid A sin(ω x − φ) of every task at ``x`` (n_tasks, k, 1)."""
    if not amplitude.shape == phase.shape == frequency.shape or amplitude.ndim != 1:
        raise ValueError(f"amplitude, phase and frequency must all be (n_tasks,), got "
                         f"{tuple(amplitude.shape)}, {tuple(phase.shape)} and "
                         f"{tuple(frequency.shape)}")
    return amplitude[:, None, None] * torch.sin(frequency[:, None, None] * x
                                                - phase[:, None, None])


def sample_points(
    amplitude: Tensor, phase: Tensor, frequency: Tensor, k: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """``k`` points of every task: ``x, y`` each (n_tasks, k, 1), x ~ U[−5, 5]."""
    k = check_int("k", k, minimum=1)
    generator = check_generator(generator)
    x = uniform((len(amplitude), k, 1), *X_RANGE, generator)
    return x, target(amplitude, phase, frequency, x)

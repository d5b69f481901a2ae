"""Finn et al. (2017) §5.1 sinusoid regression: y = A sin(x − φ), A ~ U[0.1, 5], φ ~ U[0, π],
x ~ U[−5, 5], K points per task, regressed by a 40-40 ReLU MLP."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from chapter_code._checks import check_int
from chapter_code.meta.networks import check_generator, uniform

AMPLITUDE_RANGE = (0.1, 5.0)
PHASE_RANGE = (0.0, math.pi)
X_RANGE = (-5.0, 5.0)


def sample_tasks(n_tasks: int, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Amplitudes and phases of ``n_tasks`` sinusoids: ``(amplitude, phase)``, each (n_tasks,)."""
    n_tasks = check_int("n_tasks", n_tasks, minimum=1)
    generator = check_generator(generator)
    return (uniform((n_tasks,), *AMPLITUDE_RANGE, generator),
            uniform((n_tasks,), *PHASE_RANGE, generator))


def target(amplitude: Tensor, phase: Tensor, x: Tensor) -> Tensor:
    """The sinusoid A sin(x − φ) of every task at ``x`` (n_tasks, k, 1)."""
    if amplitude.shape != phase.shape or amplitude.ndim != 1:
        raise ValueError(f"amplitude and phase must both be (n_tasks,), got "
                         f"{tuple(amplitude.shape)} and {tuple(phase.shape)}")
    return amplitude[:, None, None] * torch.sin(x - phase[:, None, None])


def sample_points(
    amplitude: Tensor, phase: Tensor, k: int, generator: torch.Generator
) -> tuple[Tensor, Tensor]:
    """``k`` points of every task: ``x, y`` each (n_tasks, k, 1), x ~ U[−5, 5]."""
    k = check_int("k", k, minimum=1)
    generator = check_generator(generator)
    x = uniform((len(amplitude), k, 1), *X_RANGE, generator)
    return x, target(amplitude, phase, x)

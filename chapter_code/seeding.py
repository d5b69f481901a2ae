"""One way to turn a seed into a random generator; nothing in the package uses global RNG state.

An experiment that needs several independent streams of random numbers (initial weights,
training tasks, evaluation tasks) names them: ``stream(seed, "eval-tasks")``. Each name gives a
statistically independent generator, reproducible from ``(seed, name)`` alone, so adding a
stream never shifts another and no ``seed + 1`` offsets are needed.
"""

from __future__ import annotations

import zlib
from numbers import Integral
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

SeedLike = int | np.random.Generator


def _check_seed(seed: object, name: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"{name} must be an int or a numpy.random.Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed}")
    return int(seed)


def as_generator(seed: SeedLike, name: str = "seed") -> np.random.Generator:
    """Return ``seed`` if it is a Generator, else a fresh PCG64 Generator seeded with it."""
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(_check_seed(seed, name))


def _sequence(seed: int, stream: str) -> np.random.SeedSequence:
    if not isinstance(stream, str) or not stream:
        raise TypeError(f"stream must be a non-empty str, got {stream!r}")
    return np.random.SeedSequence(_check_seed(seed, "seed"),
                                  spawn_key=(zlib.crc32(stream.encode()),))


def stream(seed: int, name: str) -> np.random.Generator:
    """The NumPy generator of the stream called ``name`` under ``seed``."""
    return np.random.default_rng(_sequence(seed, name))


def torch_stream(seed: int, name: str) -> torch.Generator:
    """The torch (CPU) generator of the stream called ``name`` under ``seed``."""
    import torch

    state = _sequence(seed, name).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state) & (2**63 - 1))

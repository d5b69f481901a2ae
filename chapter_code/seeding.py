"""One way to turn a seed into a random generator; nothing in the package uses global RNG state."""

from __future__ import annotations

from numbers import Integral

import numpy as np

SeedLike = int | np.random.Generator


def as_generator(seed: SeedLike, name: str = "seed") -> np.random.Generator:
    """Return ``seed`` if it is a Generator, else a fresh PCG64 Generator seeded with it."""
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, Integral):
        raise TypeError(f"{name} must be an int or a numpy.random.Generator, got {seed!r}")
    if seed < 0:
        raise ValueError(f"{name} must be a non-negative int, got {seed}")
    return np.random.default_rng(int(seed))

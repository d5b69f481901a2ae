"""Small networks built from an explicit ``torch.Generator`` (no global RNG anywhere)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from chapter_code._checks import check_int


def check_generator(generator: object, name: str = "generator") -> torch.Generator:
    """Return ``generator`` if it is a ``torch.Generator``, else raise ``TypeError``."""
    if not isinstance(generator, torch.Generator):
        raise TypeError(f"{name} must be a torch.Generator, got {type(generator).__name__}")
    return generator


def uniform(shape: tuple[int, ...], low: float, high: float, generator: torch.Generator) -> Tensor:
    """Samples of U[low, high) with the given shape, drawn from ``generator``."""
    return low + (high - low) * torch.rand(shape, generator=generator)


def mlp(sizes: tuple[int, ...], generator: torch.Generator) -> nn.Sequential:
    """A ReLU MLP with layer widths ``sizes`` (input, hidden..., output), no output activation.

    Weights and biases follow PyTorch's default Linear initialisation, U(±1/sqrt(fan_in)),
    drawn from ``generator``.
    """
    generator = check_generator(generator)
    if not isinstance(sizes, tuple) or len(sizes) < 2:
        raise ValueError(f"sizes must be a tuple of at least 2 widths, got {sizes!r}")
    sizes = tuple(check_int("sizes[i]", s, minimum=1) for s in sizes)
    layers: list[nn.Module] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layer = nn.Linear(n_in, n_out, device="meta").to_empty(device="cpu")
        bound = 1.0 / math.sqrt(n_in)
        with torch.no_grad():
            layer.weight.copy_(uniform((n_out, n_in), -bound, bound, generator))
            layer.bias.copy_(uniform((n_out,), -bound, bound, generator))
        layers.append(layer)
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)

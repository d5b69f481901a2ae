"""The sinusoid task family: the closed form A sin(ω x − φ), the paper's ω = 1, and wider
frequency ranges."""

import math

import numpy as np
import pytest
import torch

from chapter_code.meta.sinusoid import PAPER_FREQUENCY_RANGE, sample_points, sample_tasks


@pytest.mark.unit
def test_points_follow_the_closed_form():
    tasks = sample_tasks(5, torch.Generator().manual_seed(0), (1.0, 3.0))
    x, y = sample_points(*tasks, 7, torch.Generator().manual_seed(1))
    a, phi, w = (t.numpy()[:, None, None] for t in tasks)
    np.testing.assert_allclose(y.numpy(), a * np.sin(w * x.numpy() - phi), rtol=1e-5, atol=1e-6)


@pytest.mark.unit
def test_the_paper_family_has_frequency_one_and_draws_nothing_for_it():
    amplitude, phase, frequency = sample_tasks(6, torch.Generator().manual_seed(2))
    assert PAPER_FREQUENCY_RANGE == (1.0, 1.0) and torch.all(frequency == 1.0)
    generator = torch.Generator().manual_seed(2)
    expected_amplitude = 0.1 + 4.9 * torch.rand(6, generator=generator)
    expected_phase = math.pi * torch.rand(6, generator=generator)
    torch.testing.assert_close(amplitude, expected_amplitude)
    torch.testing.assert_close(phase, expected_phase)


@pytest.mark.unit
def test_a_wider_range_draws_frequencies_inside_it():
    frequency = sample_tasks(2000, torch.Generator().manual_seed(3), (1.0, 4.0))[2]
    assert frequency.min() >= 1.0 and frequency.max() < 4.0
    assert abs(frequency.mean().item() - 2.5) < 0.1


@pytest.mark.unit
@pytest.mark.parametrize("bad", [(0.0, 1.0), (2.0, 1.0), (1.0, float("nan"))])
def test_bad_frequency_range_raises_naming_it(bad):
    with pytest.raises(ValueError, match="frequency_range"):
        sample_tasks(3, torch.Generator().manual_seed(0), bad)
    with pytest.raises(TypeError, match="frequency_range"):
        sample_tasks(3, torch.Generator().manual_seed(0), [1.0, 2.0])

"""Seeds and named streams."""

import numpy as np
import pytest
import torch

from chapter_code.seeding import as_generator, stream, torch_stream


@pytest.mark.unit
def test_named_streams_repeat_and_differ():
    a, b = stream(3, "tasks").random(5), stream(3, "tasks").random(5)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, stream(3, "weights").random(5))
    assert not np.allclose(a, stream(4, "tasks").random(5))
    t1 = torch.rand(4, generator=torch_stream(3, "tasks"))
    assert torch.equal(t1, torch.rand(4, generator=torch_stream(3, "tasks")))
    assert not torch.equal(t1, torch.rand(4, generator=torch_stream(3, "eval")))


@pytest.mark.unit
def test_seeds_and_streams_are_validated():
    rng = np.random.default_rng(0)
    assert as_generator(rng) is rng
    for bad, error in ((-1, ValueError), (1.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="seed"):
            as_generator(bad)
        with pytest.raises(error, match="seed"):
            stream(bad, "x")
    with pytest.raises(TypeError, match="stream"):
        stream(0, "")

"""Where FuN's goals point: the goal-target offsets by hand and against a plain loop, and the
grid counts of a short run (every step counted once, deterministic, bad input)."""

import numpy as np
import pytest
import torch

from chapter_code.feudal.fun import FeudalNet
from chapter_code.feudal.goal_map import goal_map, goal_targets
from chapter_code.seeding import torch_stream

pytestmark = pytest.mark.unit


def test_goal_targets_by_hand():
    # s_0 = (0, 0); the walk goes right, right, then up.  g_0 = (0, 1) "up", g_1 = (1, 0) "right"
    states = torch.tensor([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0], [2.0, 1.0]])
    goals = torch.tensor([[0.0, 1.0], [1.0, 0.0], [1.0, 0.0], [0.0, 0.0]])
    # t = 0, c = 3: moves (1, 0), (2, 0), (2, 1); cosines with "up" 0, 0, 1/√5: k = 3
    # t = 1: moves (1, 0), (1, 1); cosines with "right" 1, 1/√2: k = 1
    # t = 2: only s_3 is ahead: k = 1
    assert goal_targets(states, goals, 3).tolist() == [3, 1, 1]
    # with c = 2, t = 0 sees only the two moves right: both have cosine 0, the first wins
    assert goal_targets(states, goals, 2).tolist() == [1, 1, 1]


def test_goal_targets_match_a_plain_loop():
    gen = torch_stream(0, "targets")
    states, goals = torch.randn(30, 5, generator=gen), torch.randn(30, 5, generator=gen)
    for c in (1, 4, 10, 40):
        expected = []
        for t in range(29):
            scores = [torch.nn.functional.cosine_similarity(states[t + k] - states[t], goals[t],
                                                            dim=0)
                      for k in range(1, min(c, 29 - t) + 1)]
            expected.append(int(np.argmax(scores)) + 1)
        assert goal_targets(states, goals, c).tolist() == expected


def test_goal_map_counts_every_step_once_and_is_deterministic():
    net = FeudalNet(7, torch_stream(0, "init"), c=4, r=2)
    a = goal_map(net, "MiniGrid-Empty-5x5-v0", n_episodes=3, seed=1)
    b = goal_map(net, "MiniGrid-Empty-5x5-v0", n_episodes=3, seed=1)
    assert np.array_equal(a.visits, b.visits) and np.array_equal(a.targets, b.targets)
    assert a.alignment == b.alignment and a.success == b.success
    # one visit per step plus the final cell of each episode; one target per step
    assert a.visits.sum() == a.targets.sum() + 3
    assert a.visits.shape == a.targets.shape == (5, 5)
    assert a.visits[0].sum() == a.visits[:, 0].sum() == 0  # the walls are never occupied
    assert -1.0 <= a.alignment <= 1.0 and a.success in (0.0, 1 / 3, 2 / 3, 1.0)
    other = goal_map(net, "MiniGrid-Empty-5x5-v0", n_episodes=3, seed=2)
    assert not np.array_equal(a.visits, other.visits)


def test_bad_input():
    states = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="c must be"):
        goal_targets(states, states, 0)
    with pytest.raises(ValueError, match=r"shape \(T, d\)"):
        goal_targets(states, torch.zeros(4, 3), 2)
    with pytest.raises(ValueError, match="at least 2 steps"):
        goal_targets(states[:1], states[:1], 2)
    with pytest.raises(TypeError, match="net must be a FeudalNet"):
        goal_map(torch.nn.Linear(2, 2), "MiniGrid-Empty-5x5-v0", n_episodes=1, seed=0)
    net = FeudalNet(7, torch_stream(0, "init"))
    with pytest.raises(ValueError, match="n_episodes must be"):
        goal_map(net, "MiniGrid-Empty-5x5-v0", n_episodes=0, seed=0)

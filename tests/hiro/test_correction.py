"""HIRO's goal transition, intrinsic reward and off-policy correction (Nachum et al. 2018,
eqs. 2, 3, 5), against hand computations and a closed-form least-squares goal."""

import pytest
import torch

from chapter_code.hiro.correction import (
    candidate_goals,
    goal_transition,
    intrinsic_reward,
    off_policy_correction,
    proportional_worker,
    relabel_score,
)
from chapter_code.seeding import torch_stream

pytestmark = pytest.mark.unit

D = torch.float64


def test_goal_transition_and_reward_by_hand():
    s = torch.tensor([[1.0, 2.0]], dtype=D)
    g = torch.tensor([[3.0, -1.0]], dtype=D)
    s2 = torch.tensor([[2.0, 0.0]], dtype=D)
    # target s + g = (4, 1); after moving to (2, 0) the remaining change is (2, 1)
    assert goal_transition(s, g, s2).tolist() == [[2.0, 1.0]]
    assert intrinsic_reward(s, g, s2).item() == pytest.approx(-(5 ** 0.5))
    # reaching the target pays 0 and leaves goal 0
    assert intrinsic_reward(s, g, s + g).item() == 0.0
    assert goal_transition(s, g, s + g).abs().max().item() == 0.0


def test_goal_transition_keeps_the_absolute_target():
    gen = torch_stream(0, "test")
    states = torch.randn(6, 3, generator=gen, dtype=D)
    goal = torch.randn(3, generator=gen, dtype=D)
    target = states[0] + goal
    for i in range(5):
        goal = goal_transition(states[i], goal, states[i + 1])
        torch.testing.assert_close(states[i + 1] + goal, target)


def _setup(B=5, c=4, obs_dim=3, d=2, seed=0):
    gen = torch_stream(seed, "setup")
    states = torch.randn(B, c + 1, obs_dim, generator=gen, dtype=D)
    goal = torch.randn(B, d, generator=gen, dtype=D)
    return gen, states, goal


def test_candidates_are_the_papers():
    _, states, goal = _setup()
    high = torch.tensor([0.5, 4.0], dtype=D)
    a = candidate_goals(goal, states[:, 0, :2], states[:, -1, :2], high,
                        generator=torch_stream(1, "c"))
    b = candidate_goals(goal, states[:, 0, :2], states[:, -1, :2], high,
                        generator=torch_stream(1, "c"))
    assert a.shape == (5, 10, 2)
    torch.testing.assert_close(a, b)  # determinism

    def clip(x):
        return torch.stack([x[..., 0].clamp(-0.5, 0.5), x[..., 1].clamp(-4.0, 4.0)], -1)

    torch.testing.assert_close(a[:, 0], clip(goal))  # the original goal
    achieved = states[:, -1, :2] - states[:, 0, :2]
    torch.testing.assert_close(a[:, 1], clip(achieved))  # s_{t+c} - s_t
    # the samples: N(achieved, (high / 2)^2) from the same generator, then clipped
    noise = torch.randn(5, 8, 2, generator=torch_stream(1, "c"), dtype=D)
    raw = achieved[:, None] + noise * high / 2
    torch.testing.assert_close(a[:, 2:], clip(raw))
    assert bool((a[..., 0].abs() <= 0.5).all()) and bool((raw[..., 0].abs() > 0.5).any())
    assert bool((achieved[:, 0].abs() > 0.5).any())  # the clipping was exercised on column 1


def _linear_worker(W, A):
    return lambda obs, g: obs @ A.T + g @ W.T


def test_score_by_hand_on_one_transition():
    # c = 2, 1-d state and goal, worker mu(s, g) = 2 g
    states = torch.tensor([[[0.0], [1.0], [3.0]]], dtype=D)
    actions = torch.tensor([[[1.0], [0.5]]], dtype=D)
    cand = torch.tensor([[[2.0], [0.0]]], dtype=D)
    score = relabel_score(lambda s, g: 2 * g, states, actions, cand)
    # candidate 2: goals 2, 2 + 0 - 1 = 1 -> actions 4, 2 -> errors 3, 1.5
    # candidate 0: goals 0, -1 -> actions 0, -2 -> errors 1, 2.5
    torch.testing.assert_close(score, torch.tensor([[-0.5 * (9 + 2.25), -0.5 * (1 + 6.25)]],
                                                   dtype=D))


def test_correction_finds_the_least_squares_goal_of_a_linear_worker():
    """For mu(s, g) = A s + W g the score is a concave quadratic in g̃_t whose maximiser is a
    linear least-squares solution; put it among the candidates and the correction picks it."""
    B, c, obs_dim, d, act = 6, 5, 3, 2, 4
    gen, states, goal = _setup(B, c, obs_dim, d)
    W = torch.randn(act, d, generator=gen, dtype=D)
    A = torch.randn(act, obs_dim, generator=gen, dtype=D)
    worker = _linear_worker(W, A)
    actions = torch.randn(B, c, act, generator=gen, dtype=D)
    # residual a_i - A s_i - W (s_t - s_i) = W g̃: stack over i and solve
    moved = states[:, :1, :d] - states[:, :c, :d]
    rhs = actions - states[:, :c] @ A.T - moved @ W.T               # (B, c, act)
    stacked = W.repeat(c, 1).expand(B, c * act, d)                  # one W per step i
    best = torch.linalg.lstsq(stacked, rhs.reshape(B, c * act, 1)).solution[..., 0]
    cand = torch.randn(B, 7, d, generator=gen, dtype=D)
    cand[:, 3] = best
    score = relabel_score(worker, states, actions, cand)
    assert score.argmax(dim=1).tolist() == [3] * B
    # and it is the true maximiser: small perturbations score lower
    bumped = best[:, None] + 1e-3 * torch.randn(B, 4, d, generator=gen, dtype=D)
    assert bool((relabel_score(worker, states, actions, bumped)
                 < relabel_score(worker, states, actions, best[:, None])).all())


def test_correction_recovers_the_goal_the_current_worker_would_have_used():
    """Actions recorded by the current worker under goal s_{t+c} - s_t: that candidate scores
    0 (the maximum) and is chosen over the stale original goal."""
    B, c, obs_dim, d, act = 4, 3, 3, 2, 2
    gen, states, goal = _setup(B, c, obs_dim, d, seed=2)
    W = torch.randn(act, d, generator=gen, dtype=D)
    A = torch.randn(act, obs_dim, generator=gen, dtype=D)
    worker = _linear_worker(W, A)
    achieved = states[:, -1, :d] - states[:, 0, :d]
    goals = achieved[:, None] + states[:, :1, :d] - states[:, :c, :d]
    actions = worker(states[:, :c].reshape(-1, obs_dim), goals.reshape(-1, d)).reshape(B, c, act)
    high = torch.full((d,), 10.0, dtype=D)
    chosen, index = off_policy_correction(worker, states, actions, goal, high,
                                          generator=torch_stream(0, "r"))
    assert index.tolist() == [1] * B
    torch.testing.assert_close(chosen, achieved)
    # with actions recorded under the original goal, the original is kept
    goals = goal[:, None] + states[:, :1, :d] - states[:, :c, :d]
    actions = worker(states[:, :c].reshape(-1, obs_dim), goals.reshape(-1, d)).reshape(B, c, act)
    chosen, index = off_policy_correction(worker, states, actions, goal, high,
                                          generator=torch_stream(0, "r"))
    assert index.tolist() == [0] * B
    torch.testing.assert_close(chosen, goal)


def test_proportional_worker_by_hand():
    # obs = x, y, vx, vy, gx, gy; mu = clip(k g - damping v, -1, 1)
    obs = torch.tensor([[9.0, 9.0, 0.5, -1.0, 9.0, 9.0],
                        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
                        [0.0, 0.0, -4.0, 0.0, 0.0, 0.0]], dtype=D)
    g = torch.tensor([[0.1, 0.2], [0.4, -0.6], [0.1, -0.1]], dtype=D)
    act = proportional_worker(2.0, damping=0.3)(obs, g)
    expected = [[0.2 - 0.15, 0.4 + 0.3],  # inside the box
                [0.8, -1.0],              # 2 * -0.6 = -1.2, clipped
                [1.0, -0.2]]              # 0.2 + 0.3 * 4 = 1.4, clipped
    torch.testing.assert_close(act, torch.tensor(expected, dtype=D))
    torch.testing.assert_close(proportional_worker(0.5, damping=0.0)(obs, g), 0.5 * g)


def test_proportional_worker_correction_has_the_closed_form_optimum():
    """Actions recorded with gain 2 under goal g_t, relabelled for gain 4: away from the clip,
    Σ_i ||2 (g_t + Δ_i) - 4 (g̃ + Δ_i)||² (Δ_i = s_t - s_i, equal damping terms cancel) is
    least at g̃ = g_t / 2 - mean_i Δ_i / 2; the score of eq. 5 peaks there."""
    B, c = 8, 10
    gen = torch_stream(0, "worker")
    states = 0.05 * torch.randn(B, c + 1, 6, generator=gen, dtype=D)
    goal = 0.1 * torch.randn(B, 2, generator=gen, dtype=D)
    old = proportional_worker(2.0, damping=0.3)
    new = proportional_worker(4.0, damping=0.3)
    delta = states[:, :1, :2] - states[:, :c, :2]                      # (B, c, 2)
    goals = goal[:, None] + delta
    actions = old(states[:, :c].reshape(-1, 6), goals.reshape(-1, 2)).reshape(B, c, 2)
    assert float(actions.abs().max()) < 1  # no clipping: the quadratic is exact
    best = 0.5 * goal - 0.5 * delta.mean(dim=1)
    at_best = relabel_score(new, states, actions, best[:, None])
    bumped = best[:, None] + 1e-3 * torch.randn(B, 6, 2, generator=gen, dtype=D)
    assert bool((relabel_score(new, states, actions, bumped) < at_best).all())
    # and the old worker's own goal explains its actions exactly (score 0)
    torch.testing.assert_close(relabel_score(old, states, actions, goal[:, None]),
                               torch.zeros(B, 1, dtype=D))


def test_proportional_worker_rejects_bad_input():
    with pytest.raises(TypeError, match="gain"):
        proportional_worker("2", damping=0.3)
    with pytest.raises(ValueError, match="gain"):
        proportional_worker(float("nan"), damping=0.3)
    with pytest.raises(ValueError, match="damping"):
        proportional_worker(2.0, damping=-0.1)
    worker = proportional_worker(2.0, damping=0.3)
    with pytest.raises(ValueError, match="obs must be"):
        worker(torch.zeros(3, 2, dtype=D), torch.zeros(3, 2, dtype=D))
    with pytest.raises(ValueError, match="g"):
        worker(torch.zeros(3, 4, dtype=D), torch.zeros(2, 2, dtype=D))
    with pytest.raises(TypeError, match="obs must be a torch.Tensor"):
        worker([[0.0] * 4], torch.zeros(1, 2, dtype=D))


def test_bad_input_errors():
    gen, states, goal = _setup()
    high = torch.ones(2, dtype=D)
    worker = _linear_worker(torch.ones(2, 2, dtype=D), torch.ones(2, 3, dtype=D))
    actions = torch.zeros(5, 4, 2, dtype=D)
    with pytest.raises(ValueError, match="same shape"):
        goal_transition(torch.zeros(2), torch.zeros(3), torch.zeros(2))
    with pytest.raises(ValueError, match="goal_high"):
        candidate_goals(goal, goal, goal, -high, generator=gen)
    with pytest.raises(ValueError, match="goal_high"):
        candidate_goals(goal, goal, goal, torch.ones(3, dtype=D), generator=gen)
    with pytest.raises(TypeError, match="generator"):
        candidate_goals(goal, goal, goal, high, generator=0)
    with pytest.raises(ValueError, match="n_samples"):
        candidate_goals(goal, goal, goal, high, n_samples=-1, generator=gen)
    with pytest.raises(TypeError, match="states must be a torch.Tensor"):
        off_policy_correction(worker, states.numpy(), actions, goal, high, generator=gen)
    with pytest.raises(ValueError, match="states must be"):
        relabel_score(worker, states[:, :3], actions, goal[:, None])
    with pytest.raises(ValueError, match="actions must have 3 dimensions"):
        relabel_score(worker, states, actions[0], goal[:, None])

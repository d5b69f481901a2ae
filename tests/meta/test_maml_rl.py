"""The RL pieces of MAML: vectorised rollouts, returns, the baseline, TRPO, the learner."""

import pytest
import torch

from chapter_code.envs import Navigation2D
from chapter_code.envs.navigation import sample_goals
from chapter_code.meta import batched_call, expand_params, finite_difference_metric_error
from chapter_code.meta.baselines import baseline_features, discounted_returns, linear_baseline
from chapter_code.meta.maml_rl import (
    RELEASED_BASE_EPS,
    RLLAB_DEFAULT_BASE_EPS,
    MamlRL,
    adaptation_episodes,
)
from chapter_code.meta.policies import GaussianMLPPolicy, gaussian_kl, task_policy
from chapter_code.meta.rollout import rollout
from chapter_code.meta.trpo import (
    conjugate_gradient,
    finite_difference_hvp,
    hessian_vector_product,
    trpo_step,
)


def _policy(seed=0):
    return GaussianMLPPolicy(2, 2, torch.Generator().manual_seed(seed), hidden=(16, 16))


@pytest.mark.unit
def test_vectorised_rollout_equals_a_loop_over_tasks():
    policy = _policy()
    goals = sample_goals(3, torch.Generator().manual_seed(0))
    noise = torch.randn((3, 4, 100, 2), generator=torch.Generator().manual_seed(1))
    params = {k: v + 0.1 * i for i, (k, v) in enumerate(policy.named_parameters())}
    batched = rollout(policy, expand_params(params, 3), Navigation2D(goals, 4), noise)
    for i in range(3):
        single = rollout(policy, expand_params(params, 1), Navigation2D(goals[i:i + 1], 4),
                         noise[i:i + 1])
        for field in ("obs", "action", "reward", "mask"):
            torch.testing.assert_close(getattr(batched, field)[i:i + 1], getattr(single, field))


@pytest.mark.unit
def test_a_policy_without_its_own_batched_forward_goes_through_vmap():
    class Plain(torch.nn.Module):  # a Gaussian policy that defines no task_forward
        def __init__(self) -> None:
            super().__init__()
            self.mean = torch.nn.Linear(2, 2)
            self.log_std = torch.nn.Parameter(torch.zeros(2))

        def forward(self, obs):
            mean = self.mean(obs)
            return mean, self.log_std.expand_as(mean)

    plain = Plain()
    with torch.no_grad():  # fixed weights: the layer's random initialisation plays no part
        plain.mean.weight.copy_(torch.tensor([[1.0, -2.0], [0.5, 3.0]]))
        plain.mean.bias.copy_(torch.tensor([0.1, -0.2]))
    params = expand_params(dict(plain.named_parameters()), 3)
    obs = torch.randn((3, 4, 2), generator=torch.Generator().manual_seed(1))
    mean, log_std = task_policy(plain, params, obs)
    torch.testing.assert_close(mean, plain(obs)[0])
    torch.testing.assert_close(log_std, torch.zeros(3, 4, 2))


@pytest.mark.unit
def test_batched_matmul_policy_equals_vmap_with_its_gradient():
    policy = _policy()
    obs = torch.randn((3, 4, 5, 2), generator=torch.Generator().manual_seed(1))
    params = {k: (v.detach() + 0.1 * torch.arange(3.0).reshape(3, *[1] * v.ndim))
              .requires_grad_(True) for k, v in policy.named_parameters()}
    fast, slow = task_policy(policy, params, obs), batched_call(policy, params, obs)
    torch.testing.assert_close(fast, policy.task_forward(params, obs))
    for a, b in zip(fast, slow, strict=True):
        torch.testing.assert_close(a, b)
    grads = [torch.autograd.grad((out[0] ** 2).sum() + out[1].sum(), list(params.values()))
             for out in (fast, slow)]
    for a, b in zip(*grads, strict=True):
        torch.testing.assert_close(a, b)


@pytest.mark.unit
def test_discounted_returns_match_a_backward_loop():
    reward = torch.randn((2, 3, 7), generator=torch.Generator().manual_seed(0))
    expected = torch.zeros_like(reward)
    running = torch.zeros(2, 3)
    for t in reversed(range(7)):
        running = reward[..., t] + 0.9 * running
        expected[..., t] = running
    torch.testing.assert_close(discounted_returns(reward, 0.9), expected)


@pytest.mark.unit
def test_linear_baseline_recovers_returns_that_are_linear_in_its_features():
    obs = torch.randn((2, 5, 10, 2), generator=torch.Generator().manual_seed(0))
    weights = torch.randn((2, 8), generator=torch.Generator().manual_seed(1))
    returns = torch.einsum("inf,if->in", baseline_features(obs).flatten(1, 2),
                           weights).reshape(2, 5, 10)
    fitted = linear_baseline(obs, returns, torch.ones_like(returns), reg=1e-9)
    torch.testing.assert_close(fitted, returns, rtol=1e-4, atol=1e-4)


@pytest.mark.unit
def test_conjugate_gradient_solves_a_positive_definite_system():
    g = torch.Generator().manual_seed(0)
    m = torch.randn((6, 6), generator=g, dtype=torch.float64)
    a = m @ m.T + 6 * torch.eye(6, dtype=torch.float64)
    b = torch.randn(6, generator=g, dtype=torch.float64)
    x, ax = conjugate_gradient(lambda v: a @ v, b, iters=20)
    torch.testing.assert_close(x, torch.linalg.solve(a, b))
    torch.testing.assert_close(ax, a @ x)


@pytest.mark.unit
def test_gaussian_kl_matches_torch_distributions():
    g = torch.Generator().manual_seed(0)
    mp, lp, mq, lq = (torch.randn((4, 2), generator=g) for _ in range(4))
    p = torch.distributions.Normal(mp, lp.exp())
    q = torch.distributions.Normal(mq, lq.exp())
    torch.testing.assert_close(gaussian_kl(mp, lp, mq, lq),
                               torch.distributions.kl_divergence(p, q).sum(-1))


def _train(seed, iterations, **kwargs):
    policy = _policy(seed)
    learner = MamlRL(policy, n_trajectories=5, **kwargs)
    generator = torch.Generator().manual_seed(seed)
    infos = [learner.meta_step(sample_goals(4, generator), generator)
             for _ in range(iterations)]
    return learner, infos


@pytest.mark.determinism
def test_same_seed_same_meta_training():
    a, _ = _train(3, 2)
    b, _ = _train(3, 2)
    for k in a.params:
        assert torch.equal(a.params[k], b.params[k])


def _adapted_kl_per_task(policy, old, new, objective, inner_lr):
    """Mean over tasks of KL(π_θ'_old ‖ π_θ'_new) on the validation steps, recomputed one task
    at a time: each θ' by its own inner policy-gradient step on the objective's episodes, each
    KL by torch.distributions."""
    ((episodes, adv),) = objective.stages
    valid = objective.valid

    def adapted(params, i):
        params = {k: v.detach().clone().requires_grad_(True) for k, v in params.items()}
        mean, log_std = torch.func.functional_call(policy, params, (episodes.obs[i],))
        log_prob = torch.distributions.Normal(mean, log_std.exp()).log_prob(
            episodes.action[i]).sum(-1)
        loss = -(log_prob * adv[i] * episodes.mask[i]).sum() / episodes.mask[i].sum()
        grads = torch.autograd.grad(loss, list(params.values()))
        return {k: (v - inner_lr * g).detach()
                for (k, v), g in zip(params.items(), grads, strict=True)}

    kls = []
    for i in range(valid.obs.shape[0]):
        pi_old, pi_new = (torch.distributions.Normal(mean, log_std.exp()) for mean, log_std in (
            torch.func.functional_call(policy, adapted(p, i), (valid.obs[i],))
            for p in (old, new)))
        kl = torch.distributions.kl_divergence(pi_old, pi_new).sum(-1)
        kls.append((kl * valid.mask[i]).sum() / valid.mask[i].sum())
    return float(torch.stack(kls).mean())


@pytest.mark.learns
def test_maml_trpo_improves_the_adapted_return_and_respects_the_trust_region():
    """On held-out goals the return after one adaptation step rises over 12 meta-iterations,
    and each TRPO step's KL between the old and the new adapted policies, recomputed per task
    from a replay of the step's episodes, is at most max_kl (and is the KL the step reports)."""
    learner = MamlRL(_policy(0), n_trajectories=5)
    held_out = sample_goals(8, torch.Generator().manual_seed(9))

    def adapted_return():
        episodes = adaptation_episodes(learner.policy, learner.params, held_out,
                                       inner_lrs=(0.1,), n_trajectories=10,
                                       generator=torch.Generator().manual_seed(10))
        return float(episodes[1].returns.mean())

    before = adapted_return()
    generator = torch.Generator().manual_seed(0)
    for _ in range(12):
        goals = sample_goals(4, generator)
        state = generator.get_state()
        old = {k: v.detach().clone() for k, v in learner.params.items()}
        info = learner.meta_step(goals, generator)
        new = {k: v.detach().clone() for k, v in learner.params.items()}
        replayed = MamlRL(_policy(0), n_trajectories=5)
        replayed.policy.load_state_dict(old)
        objective = replayed.outer_objective(goals, torch.Generator().set_state(state))
        assert float(objective.valid.returns.mean()) == info.return_after  # the same episodes
        kl = _adapted_kl_per_task(replayed.policy, old, new, objective, learner.inner_lr)
        assert kl <= learner.max_kl * (1 + 1e-4)
        assert kl == pytest.approx(info.kl, rel=1e-3, abs=1e-9)
    after = adapted_return()
    assert after > before + 10.0


@pytest.mark.unit
def test_learner_rejects_bad_arguments():
    with pytest.raises(ValueError, match="outer"):
        MamlRL(_policy(), outer="sgd")
    with pytest.raises(ValueError, match="inner_lr"):
        MamlRL(_policy(), inner_lr=0.0)
    with pytest.raises(ValueError, match="trust_region"):
        MamlRL(_policy(), trust_region="fisher")
    with pytest.raises(TypeError, match="policy"):
        MamlRL("policy")
    with pytest.raises(TypeError, match="generator"):
        MamlRL(_policy()).meta_step(torch.zeros(2, 2), 0)


def _float64_objective(first_order, inner_steps=1, trust_region="exact", **kwargs):
    policy = GaussianMLPPolicy(2, 2, torch.Generator().manual_seed(0), hidden=(6, 6)).double()
    learner = MamlRL(policy, n_trajectories=3, first_order=first_order, inner_steps=inner_steps,
                     trust_region=trust_region, **kwargs)
    goals = sample_goals(2, torch.Generator().manual_seed(1)).double()
    return learner, learner.outer_objective(goals, torch.Generator().manual_seed(2))


def _shift(params, v, eps):
    out, offset = {}, 0
    for k, p in params.items():
        out[k] = (p.detach() + eps * v[offset:offset + p.numel()].view_as(p)).requires_grad_(True)
        offset += p.numel()
    return out


def _flat_grad(value, params):
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(value, list(params.values()))])


@pytest.mark.unit
@pytest.mark.parametrize("inner_steps", [1, 0])
def test_trust_region_curvature_is_the_kl_hessian_through_the_adaptation(inner_steps):
    """H v from double back-propagation equals central finite differences of ∇KL(θ'(θ)) (the
    paper's own way to get it), through one second-order inner step or none (plain TRPO's
    Fisher matrix); through the step it differs from FOMAML's Fisher matrix at θ'."""
    learner, objective = _float64_objective(False, inner_steps)
    leaves = list(learner.params.values())
    n = sum(p.numel() for p in leaves)
    v = torch.randn(n, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    exact = hessian_vector_product(objective.kl, leaves)(v)
    eps = 1e-5
    grads = []
    for s in (eps, -eps):
        shifted = _shift(learner.params, v, s)
        grads.append(_flat_grad(objective.evaluate(shifted)[1], shifted))
    finite = (grads[0] - grads[1]) / (2 * eps)
    torch.testing.assert_close(exact, finite, rtol=1e-6, atol=1e-8)
    if inner_steps:
        fo_learner, fo_objective = _float64_objective(True)
        fisher = hessian_vector_product(fo_objective.kl, list(fo_learner.params.values()))(v)
        assert (exact - fisher).norm() > 1e-3 * fisher.norm()


@pytest.mark.unit
def test_finite_difference_hvp_matches_the_exact_product_and_restores_the_parameters():
    """f(θ) = Σ exp(θ) + (aᵀθ)²: ∇²f v = exp(θ) ⊙ v + 2a(aᵀv) in closed form."""
    generator = torch.Generator().manual_seed(0)
    theta = torch.randn(7, generator=generator, dtype=torch.float64, requires_grad=True)
    a = torch.randn(7, generator=generator, dtype=torch.float64)
    v = torch.randn(7, generator=generator, dtype=torch.float64)
    start = theta.detach().clone()

    def gradient():
        return torch.autograd.grad(theta.exp().sum() + (a @ theta) ** 2, theta)[0]

    product = finite_difference_hvp(gradient, [theta], base_eps=1e-5)(v)
    closed_form = start.exp() * v + 2 * a * (a @ v)
    torch.testing.assert_close(product, closed_form, rtol=1e-8, atol=1e-10)
    assert torch.equal(theta.detach(), start)
    with pytest.raises(ValueError, match="base_eps"):
        finite_difference_hvp(gradient, [theta], base_eps=0.0)


@pytest.mark.unit
def test_finite_difference_metric_error_is_small_in_float64_with_a_sane_step():
    """The released code's products of JᵀFJ agree with ours in float64 at base_eps 1e-5, and
    the error measure sees a step too large to resolve the curvature."""
    policy = GaussianMLPPolicy(2, 2, torch.Generator().manual_seed(0), hidden=(6, 6)).double()
    learner = MamlRL(policy, n_trajectories=3, trust_region="exact")
    goals = sample_goals(2, torch.Generator().manual_seed(1)).double()
    fine, coarse = finite_difference_metric_error(learner, goals,
                                                  torch.Generator().manual_seed(2), (1e-5, 10.0))
    assert fine < 1e-6
    assert coarse > 1e-3
    with pytest.raises(ValueError, match=r"base_eps\[0\]"):
        finite_difference_metric_error(learner, goals, torch.Generator(), (-1.0,))
    with pytest.raises(TypeError, match="learner"):
        finite_difference_metric_error(policy, goals, torch.Generator(), (1e-5,))


@pytest.mark.unit
def test_finite_difference_trust_region_uses_the_released_step_of_one():
    """The released code builds rllab's FiniteDifferenceHvp(num_slices): base_eps = 1, so a
    product is (∇KL(θ + εv) − ∇KL(θ − εv)) / 2ε with ε = 1/‖θ‖, computed here by hand. With
    rllab's nominal 1e-8 instead, float64 products equal the exact JᵀFJ v; the other metrics
    use TRPO's own double back-propagation."""
    assert RELEASED_BASE_EPS == 1.0 and RLLAB_DEFAULT_BASE_EPS == 1e-8
    learner, objective = _float64_objective(False, trust_region="finite-difference")
    assert learner.finite_difference_eps == RELEASED_BASE_EPS
    leaves = list(learner.params.values())
    v = torch.randn(76, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    exact = hessian_vector_product(objective.kl, leaves)(v)
    start = [p.detach().clone() for p in leaves]
    eps = 1.0 / (float(torch.cat([p.reshape(-1) for p in start]).norm()) + 1e-8)
    grads = [_flat_grad(objective.evaluate(shifted)[1], shifted)
             for shifted in (_shift(learner.params, v, eps), _shift(learner.params, v, -eps))]
    by_hand = (grads[0] - grads[1]) / (2 * eps)
    product = learner.metric_product(objective)(v)
    torch.testing.assert_close(product, by_hand, rtol=1e-9, atol=1e-12)
    assert all(torch.equal(p.detach(), s) for p, s in zip(leaves, start, strict=True))
    assert not torch.allclose(product, exact, rtol=1e-6, atol=1e-9)  # a step of 1/‖θ‖ is large
    nominal, nominal_objective = _float64_objective(False, trust_region="finite-difference",
                                                    finite_difference_eps=RLLAB_DEFAULT_BASE_EPS)
    torch.testing.assert_close(nominal.metric_product(nominal_objective)(v), exact, rtol=1e-6,
                               atol=1e-9)
    for trust_region in ("exact", "adapted"):
        other, other_objective = _float64_objective(False, trust_region=trust_region)
        assert other.metric_product(other_objective) is None
    with pytest.raises(ValueError, match="finite_difference_eps"):
        MamlRL(_policy(), finite_difference_eps=0.0)


@pytest.mark.unit
def test_adapted_trust_region_is_the_fisher_matrix_at_the_adapted_parameters():
    """MAML's "adapted" metric is FOMAML's (J = I): F at θ', on the same episodes, while the
    surrogate keeps MAML's second-order gradient."""
    v = torch.randn(76, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    products, grads = [], []
    for first_order, trust_region in ((False, "adapted"), (True, "exact"), (False, "exact")):
        learner, objective = _float64_objective(first_order, trust_region=trust_region)
        leaves = list(learner.params.values())
        products.append(hessian_vector_product(objective.kl, leaves)(v))
        grads.append(_flat_grad(objective.loss, learner.params))
    torch.testing.assert_close(products[0], products[1])
    torch.testing.assert_close(grads[0], grads[2])
    assert (grads[0] - grads[1]).norm() > 1e-3 * grads[1].norm()


@pytest.mark.unit
def test_rl_meta_gradient_matches_finite_differences_of_the_surrogate():
    learner, objective = _float64_objective(False)
    grad = _flat_grad(objective.loss, learner.params)
    n = grad.numel()
    for seed in range(3):
        v = torch.randn(n, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
        with torch.no_grad():
            plus, minus = (objective.evaluate(_shift(learner.params, v, s))[0]
                           for s in (1e-6, -1e-6))
        torch.testing.assert_close(grad @ v, (plus - minus) / 2e-6, rtol=1e-6, atol=1e-9)


@pytest.mark.unit
def test_trpo_step_on_a_quadratic_trust_region_matches_the_closed_form():
    """Loss gᵀx and KL ½(x − x₀)ᵀA(x − x₀): the step is −sqrt(2δ / gᵀA⁻¹g) A⁻¹g, scaled by
    the first backtracking fraction whose KL is within δ (Schulman et al. 2015, App. C)."""
    gen = torch.Generator().manual_seed(0)
    m = torch.randn((5, 5), generator=gen, dtype=torch.float64)
    a = m @ m.T + torch.eye(5, dtype=torch.float64)
    g = torch.randn(5, generator=gen, dtype=torch.float64)
    x0 = torch.randn(5, generator=gen, dtype=torch.float64)
    x = x0.clone().requires_grad_(True)

    def loss_and_kl(params):
        d = params["x"] - x0
        return g @ params["x"], 0.5 * d @ a @ d

    loss, kl = loss_and_kl({"x": x})
    info = trpo_step({"x": x}, loss, kl, loss_and_kl, max_kl=0.01, cg_iters=10, damping=0.0)
    a_inv_g = torch.linalg.solve(a, g)
    full_step = -torch.sqrt(2 * 0.01 / (g @ a_inv_g)) * a_inv_g
    assert info.step_fraction in (1.0, 0.8)  # KL = δ exactly at the full step, up to rounding
    torch.testing.assert_close(x.detach(), x0 + info.step_fraction * full_step)
    assert info.kl == pytest.approx(0.01 * info.step_fraction**2, rel=1e-9)
    assert info.loss_after < info.loss_before


@pytest.mark.unit
def test_trpo_step_with_a_metric_measures_the_curvature_at_the_step_itself():
    """A metric that returns 0 on vectors shorter than 1 (as float32 finite differences lose
    short vectors) and Av on longer ones: CG sees only the damping d and returns x = −g/d;
    the step is then scaled by the fresh xᵀ(A + dI)x, as rllab does."""
    gen = torch.Generator().manual_seed(0)
    m = torch.randn((5, 5), generator=gen, dtype=torch.float64)
    a = m @ m.T + torch.eye(5, dtype=torch.float64)
    g = 0.1 * torch.randn(5, generator=gen, dtype=torch.float64)
    assert g.norm() < 1
    x0 = torch.randn(5, generator=gen, dtype=torch.float64)
    x = x0.clone().requires_grad_(True)
    damping = 1e-3

    def loss_and_kl(params):
        d = params["x"] - x0
        return g @ params["x"], 0.5 * d @ a @ d

    def lossy_metric(v):
        return a @ v if v.norm() > 1 else torch.zeros_like(v)

    loss, kl = loss_and_kl({"x": x})
    info = trpo_step({"x": x}, loss, kl, loss_and_kl, max_kl=0.01, damping=damping,
                     metric=lossy_metric)
    expected = -torch.sqrt(2 * 0.01 / (g @ a @ g + damping * g @ g)) * g
    assert info.step_fraction == 1.0
    torch.testing.assert_close(x.detach(), x0 + expected)


@pytest.mark.unit
def test_trpo_step_restores_finite_parameters_when_a_degenerate_metric_overflows_the_step():
    """A metric that returns 0 with no damping makes conjugate gradient divide by zero: the step
    is not finite, no fraction of it is accepted, and the parameters come back unchanged."""
    x0 = torch.tensor([0.5, -1.0], dtype=torch.float64)
    x = x0.clone().requires_grad_(True)

    def loss_and_kl(params):
        return params["x"].sum(), 0.5 * ((params["x"] - x0) ** 2).sum()

    loss, kl = loss_and_kl({"x": x})
    info = trpo_step({"x": x}, loss, kl, loss_and_kl, damping=0.0,
                     metric=lambda v: torch.zeros_like(v))
    assert info.step_fraction == 0.0
    assert torch.equal(x.detach(), x0)


@pytest.mark.unit
def test_trpo_step_keeps_the_parameters_when_no_step_is_acceptable():
    x = torch.zeros(2, dtype=torch.float64, requires_grad=True)

    def loss_and_kl(params):
        return params["x"].sum(), 0.5 * (params["x"] ** 2).sum()

    def evaluate(params):  # the line search sees a KL above δ at every fraction
        return params["x"].sum(), torch.tensor(1.0)

    loss, kl = loss_and_kl({"x": x})
    info = trpo_step({"x": x}, loss, kl, evaluate, max_kl=0.01, max_backtracks=3)
    assert info.step_fraction == 0.0 and torch.equal(x.detach(), torch.zeros(2))
    with pytest.raises(ValueError, match="max_kl"):
        trpo_step({"x": x}, loss, kl, loss_and_kl, max_kl=0.0)

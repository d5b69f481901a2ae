"""The two gradient theorems of Bacon, Harb & Precup (2017) against finite differences of the
exact objective on small random MDPs, the learner's update functions against those
gradients, and the degenerate cases (β ≡ 1: a one-step policy over options; one option:
actor-critic)."""

import numpy as np
import pytest

from chapter_code.envs import TabularMDP, policy_evaluation
from chapter_code.option_critic import (
    central_differences,
    intra_option_policy_gradient,
    intra_option_policy_step,
    option_values,
    sigmoid,
    softmax,
    termination_gradient,
    termination_gradient_step,
)
from chapter_code.seeding import stream

S, A, O = 5, 3, 2
H = 1e-6


def random_mdp(seed: int, gamma: float = 0.9) -> TabularMDP:
    """A random 5-state MDP with random transition rewards; state 4 is terminal."""
    rng = stream(seed, "mdp")
    P = rng.dirichlet(np.ones(S), size=(S, A))
    R = rng.normal(size=(S, A, S))
    terminal = np.zeros(S, dtype=bool)
    terminal[-1] = True
    return TabularMDP(P=P, R=R, gamma=gamma, terminal=terminal)


def random_params(seed: int, n_options: int = O):
    rng = stream(seed, "params")
    theta = rng.normal(size=(n_options, S, A))
    vartheta = rng.normal(size=(n_options, S))
    pi_omega = rng.dirichlet(np.ones(n_options), size=S)
    return theta, vartheta, pi_omega


@pytest.mark.unit
def test_central_differences_on_a_closed_form():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    x = np.array([0.5, -1.5])
    np.testing.assert_allclose(central_differences(lambda v: 0.5 * v @ A @ v, x), A @ x,
                               atol=1e-8)
    with pytest.raises(ValueError, match="step"):
        central_differences(np.sum, x, step=0.0)


@pytest.mark.unit
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize(("temperature", "xi"), [(1.0, 0.0), (0.5, 0.3)])
def test_intra_option_policy_gradient_theorem_matches_finite_differences(seed, temperature, xi):
    """Theorem 1: Σ μ_Ω(s, ω | s_0, ω_0) Σ_a ∂π/∂θ Q_U equals ∂Q_Ω(s_0, ω_0)/∂θ."""
    mdp = random_mdp(seed)
    theta, vartheta, pi_omega = random_params(seed)
    s0, o0 = 1, 1

    def objective(th):
        return option_values(mdp, th, vartheta, pi_omega, temperature=temperature,
                             xi=xi).Q_Omega[s0, o0]

    theorem = intra_option_policy_gradient(mdp, theta, vartheta, pi_omega, s0, o0,
                                           temperature=temperature, xi=xi)
    numeric = central_differences(objective, theta, H)
    assert np.abs(numeric).max() > 1e-2  # the objective does depend on θ
    np.testing.assert_allclose(theorem, numeric, atol=1e-7)


@pytest.mark.unit
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("xi", [0.0, 0.25])
def test_termination_gradient_theorem_matches_finite_differences(seed, xi):
    """Theorem 2 (with the ξ-regularised advantage A_Ω + ξ when ending an option costs ξ):
    -Σ μ_Ω(s', ω | s_1, ω_0) ∂β/∂ϑ (A_Ω + ξ) equals ∂U(ω_0, s_1)/∂ϑ."""
    mdp = random_mdp(seed)
    theta, vartheta, pi_omega = random_params(seed)
    s1, o0 = 2, 0

    def objective(vt):
        return option_values(mdp, theta, vt, pi_omega, xi=xi).U[s1, o0]

    theorem = termination_gradient(mdp, theta, vartheta, pi_omega, s1, o0, xi=xi)
    numeric = central_differences(objective, vartheta, H)
    assert np.abs(numeric).max() > 1e-2
    np.testing.assert_allclose(theorem, numeric, atol=1e-7)


@pytest.mark.unit
def test_exact_values_satisfy_equations_1_to_3():
    """Q_Ω = Σ_a π Q_U (eq. 1), Q_U = R + γ P U (eq. 2), U = (1 - β) Q_Ω + β V_Ω (eq. 3)."""
    mdp = random_mdp(4)
    theta, vartheta, pi_omega = random_params(4)
    v = option_values(mdp, theta, vartheta, pi_omega)
    np.testing.assert_allclose(v.Q_Omega, np.einsum("osa,soa->so", v.pi, v.Q_U), atol=1e-12)
    live = ~mdp.terminal
    expected_U = (1 - v.beta.T) * v.Q_Omega + v.beta.T * v.V_Omega[:, None]
    np.testing.assert_allclose(v.U[live], expected_U[live], atol=1e-12)
    np.testing.assert_allclose(v.Q_U, mdp.R[:, None, :] + mdp.gamma * np.einsum(
        "sat,to->soa", mdp.P, v.U) * live[:, None, None], atol=1e-12)


@pytest.mark.unit
@pytest.mark.parametrize("seed", [0, 1])
def test_beta_one_is_a_one_step_policy_over_options(seed):
    """β ≡ 1: every option lasts one step, so V_Ω is the value of the flat policy
    π(a|s) = Σ_ω π_Ω(ω|s) π_ω(a|s) (policy evaluation by a linear solve)."""
    mdp = random_mdp(seed)
    theta, _, pi_omega = random_params(seed)
    v = option_values(mdp, theta, np.full((O, S), 50.0), pi_omega)
    assert (v.beta == 1.0).all()
    mixture = np.einsum("so,osa->sa", pi_omega, v.pi)
    np.testing.assert_allclose(v.V_Omega, policy_evaluation(mdp, mixture), atol=1e-10)


@pytest.mark.unit
@pytest.mark.parametrize("vartheta0", [-50.0, 0.7])
def test_one_option_is_actor_critic(vartheta0):
    """One option with β ≡ 0 (or any β: with one option, ending it restarts it): Q_Ω is the
    flat V^π, A_Ω = 0, the termination gradient vanishes, and Theorem 1 is the policy gradient
    theorem, ∂V^π(s_0)/∂θ by finite differences of a linear-solve policy evaluation."""
    mdp = random_mdp(3)
    theta, _, _ = random_params(3, n_options=1)
    vartheta = np.full((1, S), vartheta0)
    ones = np.ones((S, 1))
    v = option_values(mdp, theta, vartheta, ones)
    np.testing.assert_allclose(v.Q_Omega[:, 0], policy_evaluation(mdp, v.pi[0]), atol=1e-10)
    np.testing.assert_allclose(termination_gradient(mdp, theta, vartheta, ones, 0, 0), 0.0,
                               atol=1e-12)

    def flat_value(th):
        pi = np.exp(th[0] - th[0].max(axis=1, keepdims=True))
        return policy_evaluation(mdp, pi / pi.sum(axis=1, keepdims=True))[0]

    np.testing.assert_allclose(intra_option_policy_gradient(mdp, theta, vartheta, ones, 0, 0),
                               central_differences(flat_value, theta, H), atol=1e-7)


@pytest.mark.unit
@pytest.mark.parametrize("temperature", [1.0, 0.1])
def test_policy_step_in_expectation_is_theorem_1s_local_term(temperature):
    """Averaged over a ~ π_ω(·|s), the learner's step (α_θ = 1) is Σ_a ∂π(a|s)/∂θ Q_U(s, ω, a),
    the local term of Theorem 1 (its gradient divided by μ_Ω), baseline or not."""
    mdp = random_mdp(5)
    theta, vartheta, pi_omega = random_params(5)
    s0, o0 = 0, 0
    v = option_values(mdp, theta, vartheta, pi_omega, temperature=temperature)
    grad = intra_option_policy_gradient(mdp, theta, vartheta, pi_omega, s0, o0,
                                        temperature=temperature)
    mu = np.linalg.inv(np.eye(S * O) - v.chain)[s0 * O + o0].reshape(S, O)
    for s in range(S - 1):
        for o in range(O):
            for baseline in (0.0, v.Q_Omega[s, o]):
                pi = softmax(theta[o, s], temperature)
                step = sum(pi[a] * (intra_option_policy_step(
                    theta[o, s], a, v.Q_U[s, o, a], baseline, 1.0, temperature) - theta[o, s])
                    for a in range(A))
                np.testing.assert_allclose(step * mu[s, o], grad[o, s], atol=1e-10)


@pytest.mark.unit
def test_termination_step_is_theorem_2s_local_term():
    """The learner's termination step (α_ϑ = 1) is -∂β/∂ϑ (A_Ω + ξ), Theorem 2's local term;
    ∂β/∂ϑ checked by finite differences of the sigmoid."""
    mdp = random_mdp(6)
    theta, vartheta, pi_omega = random_params(6)
    xi = 0.1
    v = option_values(mdp, theta, vartheta, pi_omega, xi=xi)
    for s in range(S - 1):
        for o in range(O):
            dbeta = (sigmoid(vartheta[o, s] + H) - sigmoid(vartheta[o, s] - H)) / (2 * H)
            step = termination_gradient_step(vartheta[o, s], v.Q_Omega[s, o], v.V_Omega[s], xi,
                                             1.0) - vartheta[o, s]
            np.testing.assert_allclose(step, -dbeta * (v.A_Omega[s, o] + xi), atol=1e-9)


@pytest.mark.unit
def test_termination_step_raises_beta_where_the_option_is_worse_than_the_best():
    """The sign of Theorem 2: a negative advantage (and small ξ) raises β, a positive lowers it,
    and ξ stretches an option whose value equals the best."""
    assert termination_gradient_step(0.0, 0.2, 0.5, 0.0, 1.0) > 0.0
    assert termination_gradient_step(0.0, 0.5, 0.2, 0.0, 1.0) < 0.0
    assert termination_gradient_step(0.0, 0.5, 0.5, 0.01, 1.0) < 0.0


@pytest.mark.unit
def test_exact_bad_input():
    mdp = random_mdp(0)
    theta, vartheta, pi_omega = random_params(0)
    with pytest.raises(ValueError, match="theta"):
        option_values(mdp, theta[:, :, :2], vartheta, pi_omega)
    with pytest.raises(ValueError, match="vartheta"):
        option_values(mdp, theta, vartheta[:, :3], pi_omega)
    with pytest.raises(ValueError, match="pi_omega"):
        option_values(mdp, theta, vartheta, pi_omega * 2)
    with pytest.raises(ValueError, match="temperature"):
        option_values(mdp, theta, vartheta, pi_omega, temperature=0.0)
    with pytest.raises(ValueError, match="state"):
        intra_option_policy_gradient(mdp, theta, vartheta, pi_omega, S - 1, 0)
    with pytest.raises(ValueError, match="option"):
        termination_gradient(mdp, theta, vartheta, pi_omega, 0, O)
    with pytest.raises(TypeError, match="mdp"):
        option_values("four rooms", theta, vartheta, pi_omega)

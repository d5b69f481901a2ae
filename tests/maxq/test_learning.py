"""MAXQ-Q: hand-computed updates, the decomposition identity, the compiled loop against the plain
recursive reference in Gymnasium's Taxi-v4, the optimum on deterministic Taxi, determinism and
clear errors."""

import gymnasium
import numpy as np
import pytest

from chapter_code.envs import corridor, from_gymnasium, value_iteration
from chapter_code.maxq import (
    Child,
    Primitive,
    Task,
    best_child,
    compile_hierarchy,
    completion_target,
    completion_update,
    exploration_rate,
    greedy_returns,
    maxq_q_learning,
    primitive_value_update,
    q_value,
    simulator,
    simulator_from_mdp,
    taxi_hierarchy,
    taxi_start_states,
    value,
)
from chapter_code.maxq.flat import flat_q_learning
from chapter_code.maxq.reference import reference_maxq_q


@pytest.mark.unit
def test_update_functions_by_hand():
    assert primitive_value_update(2.0, -1.0, 0.25) == 0.75 * 2.0 - 0.25
    assert completion_target(0.81, -100.0, 3.0, -2.0) == pytest.approx(0.81 * (-100 + 3 - 2))
    assert completion_update(4.0, 10.0, 0.5) == 7.0


def _two_waypoint_corridor():
    """Cells 0-1-2, goal 2 pays +1; Root -> Reach(t), t = 1 before cell 1, else 2; Reach(t) ->
    Right, Left (Right first, so greedy ties go right) with pseudo-reward 5 on reaching t."""
    tasks = [Primitive("Left", 0), Primitive("Right", 1),
             Task("Reach", ("Right", "Left"), params=(1, 2), terminated=lambda s, t: s == t,
                  pseudo_reward=lambda s, t: 5.0 if s == t else 0.0),
             Task("Root", (Child("Reach", bind=lambda s: 1 if s < 1 else 2),),
                  terminated=lambda s: s == 2)]
    h = compile_hierarchy(tasks, "Root", n_states=3, n_actions=2,
                          terminal=np.array([False, False, True]), abstraction=False)
    return h, simulator_from_mdp(corridor(3), 0)


@pytest.mark.unit
def test_two_episodes_of_maxq_q_by_hand():
    """α = 1/2, γ = 0.9, greedy. Episode 1 walks 0 -> 1 -> 2: V(Right, 1) = 1/2, and each
    C̃(Reach(t), ·, Right) = α γ R̃ = 2.25 while C stays 0; episode 2 moves them to
    (1 - α) 2.25 + α γ R̃ = 3.375. Also in episode 2, C(Root, 0, Reach) moves
    to α γ [C(Root, 1, Reach) + V(Reach(2), 1)] = 0.5 · 0.9 · (0 + 0.5) = 0.225, where
    V(Reach(2), 1) = V(Right, 1) + C(Reach(2), 1, Right) = 0.5 uses C, not C̃."""
    h, sim = _two_waypoint_corridor()
    r = maxq_q_learning(h, sim, n_seeds=1, n_steps=4, alpha=0.5, epsilon=0.0, gamma=0.9)
    g = h.graph
    C, Ct, V = r.C[0], r.Ct[0], r.V[0]
    root, reach1, reach2 = h.node("Root"), h.node("Reach(1)"), h.node("Reach(2)")
    right = h.node("Right")
    assert r.returns.tolist() == [[1.0, 1.0]] and r.ends.tolist() == [[2, 4]]
    assert V[g.v_index[right, 0]] == 0.0 and V[g.v_index[right, 1]] == 0.75
    assert C[g.c_index[root, 0, 0]] == pytest.approx(0.225)
    assert Ct[g.c_index[root, 0, 0]] == pytest.approx(0.225)
    assert Ct[g.c_index[reach1, 0, 0]] == pytest.approx(3.375)
    assert Ct[g.c_index[reach2, 0, 1]] == pytest.approx(3.375)
    assert C[g.c_index[reach1, 0, 0]] == 0.0 and C[g.c_index[reach2, 0, 1]] == 0.0
    assert np.count_nonzero(C) == 1 and h.n_v == 2 * 3  # composite values are never stored


def _python_value(h, C, V, i, s):
    """V(i, s) by plain recursion over the children that can run (eq. 8)."""
    g = h.graph
    if g.action[i] >= 0:
        return V[g.v_index[i, s]]
    if g.terminated[i, s]:
        return 0.0
    qs = [_python_value(h, C, V, g.child[i, k, s], s)
          + (0.0 if g.c_index[i, k, s] < 0 else C[g.c_index[i, k, s]])
          for k in range(g.n_slots[i]) if g.child[i, k, s] >= 0
          and not g.terminated[g.child[i, k, s], s]]
    return max(qs) if qs else 0.0


@pytest.mark.unit
@pytest.mark.parametrize("abstraction", [True, False])
def test_decomposition_identity_holds_at_every_node_after_learning(abstraction):
    """Q(i, s, a) = V(a, s) + C(i, s, a) and V(i, s) = max_a Q(i, s, a), for every composite
    node, child and non-terminal state, with V computed by plain recursion."""
    h = taxi_hierarchy(abstraction=abstraction)
    sim = simulator(gymnasium.make("Taxi-v4", is_rainy=True))
    r = maxq_q_learning(h, sim, n_seeds=1, n_steps=20_000, seed=4)
    C, V, Ct = r.C[0], r.V[0], r.Ct[0]
    g = h.graph
    work = np.zeros(len(h.names))
    checked = 0
    for i in np.flatnonzero(g.action < 0):
        for s in range(500):
            if g.terminated[i, s]:
                continue
            qs = []
            for k in range(g.n_slots[i]):
                a = g.child[i, k, s]
                if a < 0 or g.terminated[a, s]:
                    continue
                c = 0.0 if g.c_index[i, k, s] < 0 else C[g.c_index[i, k, s]]
                q = q_value(g, C, V, i, k, s, work)
                assert q == _python_value(h, C, V, a, s) + c
                qs.append(q)
                checked += 1
            assert value(g, C, V, i, s, work) == max(qs) == _python_value(h, C, V, i, s)
            assert best_child(g, Ct, C, V, i, s, work) >= 0
    assert checked > 4000


@pytest.mark.unit
@pytest.mark.parametrize("abstraction", [True, False])
@pytest.mark.parametrize("variant", [{}, {"is_rainy": True, "fickle_passenger": True}])
@pytest.mark.parametrize(("seed", "epsilon", "decay"), [(0, 0.3, 0.0), (1, 0.3, 0.0),
                                                       (2, 1.0, 1.0), (3, 0.6, 0.05)])
def test_compiled_loop_equals_the_reference_in_gymnasium_taxi(abstraction, variant, seed,
                                                              epsilon, decay):
    """Same generator, same random numbers: the numba loop on the simulator and the recursive
    Python MAXQ-Q stepping gymnasium.make("Taxi-v4") give bit-identical tables and episodes,
    with a constant ε and with the decaying GLIE schedule (time-limit truncations included:
    ε = 0.3 keeps early episodes long)."""
    h = taxi_hierarchy(abstraction=abstraction)
    env = gymnasium.make("Taxi-v4", **variant)
    fast = maxq_q_learning(h, simulator(env), n_seeds=1, n_steps=3000, epsilon=epsilon,
                           epsilon_decay=decay, gamma=0.95, seed=seed)
    ref = reference_maxq_q(env, h, n_steps=3000, epsilon=epsilon, epsilon_decay=decay,
                           gamma=0.95, rng=np.random.default_rng(seed))
    assert np.array_equal(fast.C, ref.C) and np.array_equal(fast.Ct, ref.Ct)
    assert np.array_equal(fast.V, ref.V)
    assert np.array_equal(fast.returns, ref.returns) and np.array_equal(fast.ends, ref.ends)
    assert (np.diff(fast.ends[0], prepend=0) == 200).any()  # some episodes hit the time limit


@pytest.mark.unit
def test_exploration_rate_decays_to_zero_but_keeps_exploring():
    """ε_n = ε / (1 + c n): ε at n = 0, halved at n = 1 / c, below any bound eventually (greedy in
    the limit), yet Σ ε_n diverges (every child is tried infinitely often; Borel-Cantelli): the
    partial sums grow like (ε / c) log n. c = 0 keeps ε constant."""
    assert exploration_rate(0.8, 0.5, 0) == 0.8
    assert exploration_rate(0.8, 0.5, 2) == 0.4
    assert exploration_rate(1.0, 1.0, 9) == 0.1
    assert exploration_rate(0.1, 0.0, 10**9) == 0.1
    rates = np.array([exploration_rate(1.0, 1.0, n) for n in range(10**5)])
    assert np.all(np.diff(rates) < 0) and np.allclose(rates, 1.0 / (1.0 + np.arange(10**5)))
    assert exploration_rate(1.0, 1.0, 10**9) < 1e-8
    partial = np.cumsum(rates)  # Σ_{n < N} ε_n ≥ log N: it never stops growing
    assert partial[-1] > np.log(10**5) and partial[-1] - partial[10**4 - 1] > np.log(10) - 1e-3
    assert np.all(partial[1:] >= np.log(np.arange(2, 10**5 + 1)))


@pytest.mark.unit
def test_the_schedule_counts_choices_per_task_and_state():
    """With ε = 1, c = 1 on the corridor, a task's first choice in a state is random and its
    later ones ever rarer: after 2,000 steps the last 100 episodes take the greedy two steps
    almost always, where a constant ε = 1 keeps walking at random (about twice as long)."""
    h, sim = _two_waypoint_corridor()
    glie = maxq_q_learning(h, sim, n_seeds=20, n_steps=2000, epsilon=1.0, epsilon_decay=1.0,
                           alpha=0.5, seed=0)
    const = maxq_q_learning(h, sim, n_seeds=20, n_steps=2000, epsilon=1.0, alpha=0.5, seed=0)
    late_glie = np.mean([glie.returns[i, glie.count[i] - 100:glie.count[i]].mean()
                         for i in range(20)])
    late_const = np.mean([const.returns[i, const.count[i] - 100:const.count[i]].mean()
                          for i in range(20)])
    steps_glie = np.mean([np.diff(glie.ends[i, :glie.count[i]])[-100:].mean() for i in range(20)])
    assert late_glie == late_const == 1.0  # every episode reaches the goal
    assert steps_glie < 2.1  # almost always the greedy two steps; ε = 1 random walk: ~4
    assert np.mean([np.diff(const.ends[i, :const.count[i]])[-100:].mean()
                    for i in range(20)]) > 3


@pytest.mark.unit
def test_greedy_ties_go_to_the_first_child_in_the_fixed_order():
    """Equal values: best_child picks the first runnable slot; with the children listed the
    other way round it picks the other child. Flat Q's greedy choice breaks ties the same way."""
    from chapter_code.maxq.flat import _greedy

    def corridor_with(children):
        tasks = [Primitive("Left", 0), Primitive("Right", 1),
                 Task("Root", children, terminated=lambda s: s == 2)]
        return compile_hierarchy(tasks, "Root", n_states=3, n_actions=2,
                                 terminal=np.array([False, False, True]), abstraction=False)

    for children, first in ((("Right", "Left"), "Right"), (("Left", "Right"), "Left")):
        h = corridor_with(children)
        C, Ct, V = np.zeros(h.n_c), np.zeros(h.n_c), np.full(h.n_v, -1.0)
        work = np.zeros(len(h.names))
        for s in (0, 1):
            k = best_child(h.graph, Ct, C, V, h.node("Root"), s, work)
            assert h.names[h.graph.child[h.node("Root"), k, s]] == first
        Ct[h.graph.c_index[h.node("Root"), 1, 0]] = 1e-12  # a hair better: the second wins
        k = best_child(h.graph, Ct, C, V, h.node("Root"), 0, work)
        assert k == 1
    assert _greedy(np.array([0.0, 3.0, 3.0, 1.0])) == 1
    assert _greedy(np.zeros(6)) == 0


@pytest.mark.learns
def test_greedy_hierarchical_policy_is_optimal_on_deterministic_taxi():
    """After 100,000 steps the greedy policy of MAXQ-Q with abstraction earns, from each of the
    300 start states, exactly the optimal return of value iteration on the env's model (mean
    7.93); Taxi's hierarchy admits the optimal policy, so the hierarchical optimum is global."""
    env = gymnasium.make("Taxi-v4")
    V_star, _ = value_iteration(from_gymnasium(env, gamma=1.0))
    starts = taxi_start_states()
    assert starts.size == 300 and round(V_star[starts].mean(), 2) == 7.93
    h = taxi_hierarchy(abstraction=True)
    sim = simulator(env)
    r = maxq_q_learning(h, sim, n_seeds=3, n_steps=100_000, seed=0)
    greedy = greedy_returns(h, sim, (r.C, r.Ct, r.V), starts)
    assert np.array_equal(greedy, np.broadcast_to(V_star[starts], greedy.shape))


@pytest.mark.learns
def test_flat_q_learns_on_fickle_rainy_taxi():
    sim = simulator(gymnasium.make("Taxi-v4", is_rainy=True, fickle_passenger=True))
    _, r = flat_q_learning(sim, n_seeds=3, n_steps=60_000, seed=2)
    first = [r.returns[i, :20].mean() for i in range(3)]
    last = [r.returns[i, r.count[i] - 20:r.count[i]].mean() for i in range(3)]
    assert min(last) > max(first) + 100


@pytest.mark.determinism
def test_same_seed_same_tables():
    h = taxi_hierarchy()
    sim = simulator(gymnasium.make("Taxi-v4", is_rainy=True, fickle_passenger=True))
    a = maxq_q_learning(h, sim, n_seeds=2, n_steps=5000, seed=11)
    b = maxq_q_learning(h, sim, n_seeds=2, n_steps=5000, seed=11)
    c = maxq_q_learning(h, sim, n_seeds=2, n_steps=5000, seed=12)
    assert np.array_equal(a.C, b.C) and np.array_equal(a.returns, b.returns)
    assert not np.array_equal(a.C, c.C)
    qa, _ = flat_q_learning(sim, n_seeds=2, n_steps=5000, seed=11)
    qb, _ = flat_q_learning(sim, n_seeds=2, n_steps=5000, seed=11)
    assert np.array_equal(qa, qb)


@pytest.mark.unit
def test_bad_arguments_raise_clear_errors():
    h = taxi_hierarchy()
    sim = simulator(gymnasium.make("Taxi-v4"))
    with pytest.raises(ValueError, match="n_seeds must be an integer >= 1"):
        maxq_q_learning(h, sim, n_seeds=0, n_steps=10)
    with pytest.raises(ValueError, match=r"alpha must lie in \(0, 1\]"):
        maxq_q_learning(h, sim, n_seeds=1, n_steps=10, alpha=0.0)
    with pytest.raises(ValueError, match="epsilon must lie in"):
        maxq_q_learning(h, sim, n_seeds=1, n_steps=10, epsilon=1.5)
    with pytest.raises(ValueError, match=r"epsilon_decay must lie in \[0, inf\]"):
        maxq_q_learning(h, sim, n_seeds=1, n_steps=10, epsilon_decay=-0.1)
    with pytest.raises(ValueError, match="epsilon_decay must lie in"):
        flat_q_learning(sim, n_seeds=1, n_steps=10, epsilon_decay=float("nan"))
    with pytest.raises(ValueError, match="epsilon_decay must lie in"):
        reference_maxq_q(gymnasium.make("Taxi-v4"), h, n_steps=5, epsilon_decay=-1.0,
                         rng=np.random.default_rng(0))
    with pytest.raises(TypeError, match="sim must be a Simulator"):
        maxq_q_learning(h, gymnasium.make("Taxi-v4"), n_seeds=1, n_steps=10)
    with pytest.raises(TypeError, match="hierarchy must be a CompiledHierarchy"):
        maxq_q_learning("taxi", sim, n_seeds=1, n_steps=10)
    with pytest.raises(ValueError, match="tables must be"):
        maxq_q_learning(h, sim, n_seeds=1, n_steps=10, tables=(np.zeros(3),) * 3)
    with pytest.raises(ValueError, match="sim has 3 states"):
        maxq_q_learning(h, simulator_from_mdp(corridor(3), 0), n_seeds=1, n_steps=10)
    with pytest.raises(TypeError, match="toy-text"):
        simulator(object())
    with pytest.raises(TypeError, match="rng must be a numpy.random.Generator"):
        reference_maxq_q(gymnasium.make("Taxi-v4"), h, n_steps=5, rng=0)


@pytest.mark.unit
def test_ancestor_termination_matches_the_reference():
    """A variant whose Put (and Root) also end when the taxi enters column 2 carrying the
    passenger: Navigate is interrupted by an ancestor, and Put must not learn from it."""
    from chapter_code.maxq.taxi import decode, taxi_tasks

    def carried_to_column_2(s):
        return decode(s)[2] == 4 and decode(s)[1] == 2

    tasks = []
    for task in taxi_tasks():
        if task.name == "Put":
            task = Task("Put", task.children, abstraction=task.abstraction,
                        terminated=lambda s: decode(s)[2] != 4 or carried_to_column_2(s))
        if task.name == "Root":
            task = Task("Root", task.children, abstraction=task.abstraction,
                        terminated=lambda s: decode(s)[2] == decode(s)[3]
                        or carried_to_column_2(s))
        tasks.append(task)
    terminal = np.array([decode(s)[2] == decode(s)[3] for s in range(500)])
    h = compile_hierarchy(tasks, "Root", n_states=500, n_actions=6, terminal=terminal)
    env = gymnasium.make("Taxi-v4", is_rainy=True)
    fast = maxq_q_learning(h, simulator(env), n_seeds=1, n_steps=4000, seed=5)
    ref = reference_maxq_q(env, h, n_steps=4000, rng=np.random.default_rng(5))
    assert np.array_equal(fast.C, ref.C) and np.array_equal(fast.V, ref.V)
    assert np.array_equal(fast.returns, ref.returns)
    assert fast.count[0] > 20


@pytest.mark.unit
def test_decomposition_terms_add_up_to_the_root_value():
    """V(Root, s) = V(leaf, s) + the C of every task on the greedy path (eq. 12)."""
    from chapter_code.maxq import decomposition

    h = taxi_hierarchy()
    sim = simulator(gymnasium.make("Taxi-v4"))
    r = maxq_q_learning(h, sim, n_seeds=1, n_steps=30_000, seed=3)
    work = np.zeros(len(h.names))
    for s in taxi_start_states()[::17]:
        terms = decomposition(h, r.C[0], r.Ct[0], r.V[0], int(s))
        assert terms[0][0] == "Root" and terms[-1][1] == ""
        assert sum(t[2] for t in terms) == pytest.approx(value(h.graph, r.C[0], r.V[0], 0,
                                                               int(s), work))


@pytest.mark.learns
def test_without_puts_pseudo_reward_greedy_learners_loop_pickup_putdown_on_noisy_taxi():
    """Gymnasium ends Put when Putdown drops the passenger at a wrong landmark, which
    C(Root, s, Put) = 0 cannot see. Under the decaying schedule, learners without Put's
    pseudo-reward end with greedy policies that pick up and drop the passenger in place until the
    time limit (online episodes cut at 200 steps); with it, none of the last episodes is cut."""
    from chapter_code.maxq.taxi import decode, taxi_tasks

    tasks = [Task("Put", t.children, terminated=t.terminated, abstraction=t.abstraction)
             if t.name == "Put" else t for t in taxi_tasks()]
    terminal = np.array([decode(s)[2] == decode(s)[3] for s in range(500)])
    without = compile_hierarchy(tasks, "Root", n_states=500, n_actions=6, terminal=terminal)
    sim = simulator(gymnasium.make("Taxi-v4", is_rainy=True, fickle_passenger=True))

    def cut_share(h):
        r = maxq_q_learning(h, sim, n_seeds=3, n_steps=150_000, epsilon=1.0, epsilon_decay=1.0,
                            seed=1)
        lengths = [np.diff(r.ends[i, :r.count[i]])[-200:] for i in range(3)]
        return np.mean([np.mean(n >= 200) for n in lengths])

    assert cut_share(without) > 0.2
    assert cut_share(taxi_hierarchy()) == 0.0

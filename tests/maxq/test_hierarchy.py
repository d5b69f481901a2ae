"""Task hierarchies: the values they store (Dietterich 2000, §5.1.6), and clear errors for
ill-formed ones."""

import numpy as np
import pytest

from chapter_code.maxq import Child, Primitive, Task, compile_hierarchy, taxi_hierarchy
from chapter_code.maxq.taxi import LANDMARKS, corridor_hierarchy, decode

pytestmark = pytest.mark.unit


def test_flat_q_stores_3000_and_maxq_without_abstraction_14000_values():
    dense = taxi_hierarchy(abstraction=False)
    n_leaves = int((dense.graph.action >= 0).sum())
    assert dense.graph.terminated.shape[1] * n_leaves == 3000  # flat Q: one value per (s, a)
    assert dense.values_stored == 14_000
    assert dense.n_v == 3000 and dense.n_c == 11_000


def test_abstraction_stores_616_values_dietterichs_632_less_the_unreadable_16():
    """Dietterich counts C(Navigate(t), s, a) for all 25 cells; at t itself Navigate(t) has
    ended and its C is never read, so 4 targets x 4 moves = 16 of his 632 are not stored."""
    h = taxi_hierarchy(abstraction=True)
    assert h.values_stored == 616
    unreadable = 0
    for t in range(4):
        n = h.node(f"Navigate({t})")
        live = ~h.graph.terminated[h.node("Root")]  # not delivered
        cells = {decode(s)[:2] for s in range(500) if h.graph.terminated[n, s] and live[s]}
        assert cells == {LANDMARKS[t]}
        unreadable += len(cells) * int(h.graph.n_slots[n])
    assert h.values_stored + unreadable == 632


def test_abstraction_shares_one_entry_between_states_with_equal_keys():
    h = taxi_hierarchy(abstraction=True)
    north = h.node("North")
    assert set(h.graph.v_index[north]) == {h.graph.v_index[north, 0]}  # one value, every state
    nav = h.node("Navigate(0)")
    # the same cell, any passenger or destination: one C(Navigate(0), s, North)
    live = ~h.graph.terminated[h.node("Root")]
    same_cell = [s for s in range(500) if decode(s)[:2] == (2, 2) and live[s]]
    assert len({h.graph.c_index[nav, 0, s] for s in same_cell}) == 1


def test_the_corridor_hierarchy_uses_the_same_api():
    h = corridor_hierarchy(6, 3)
    assert h.names == ("Root", "Reach(3)", "Reach(5)", "Left", "Right")
    root = h.node("Root")
    assert [h.names[h.graph.child[root, 0, s]] for s in range(5)] == ["Reach(3)"] * 3 + [
        "Reach(5)"] * 2


def _leaves():
    return [Primitive("L", 0), Primitive("R", 1)]


@pytest.mark.parametrize(("tasks", "message"), [
    ([*_leaves(), Task("Root", ("A",), terminated=lambda s: False),
      Task("A", ("B",), terminated=lambda s: False),
      Task("B", ("A", "L"), terminated=lambda s: False)], "cycle: A -> B -> A"),
    ([*_leaves(), Task("Root", (), terminated=lambda s: False)], "'Root' has no children"),
    ([*_leaves(), Task("Root", ("L", "Up"), terminated=lambda s: False)],
     "unknown child 'Up'"),
    ([*_leaves(), Task("Go", ("L",), params=(1, 2), terminated=lambda s, t: s == t),
      Task("Root", ("Go",), terminated=lambda s: False)], "without bind"),
    ([*_leaves(), Task("Root", ("L", "L"), terminated=lambda s: False)], "two child slots"),
    ([*_leaves(), Task("Root", ("L",), terminated=lambda s: False, abstraction={"X": id})],
     "unknown child slot"),
    ([*_leaves(), Task("Go", ("L",), params=(1,), terminated=lambda s, t: s == t),
      Task("Root", (Child("Go", bind=lambda s: 7),), terminated=lambda s: False)],
     "not an instance"),
])
def test_bad_hierarchies_raise_value_error_naming_the_problem(tasks, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        compile_hierarchy(tasks, "Root", n_states=3, n_actions=2)


def test_bad_arguments_raise_clear_errors():
    tasks = [*_leaves(), Task("Root", ("L",), terminated=lambda s: False)]
    with pytest.raises(ValueError, match="root must name a composite task"):
        compile_hierarchy(tasks, "L", n_states=3, n_actions=2)
    with pytest.raises(ValueError, match="action 5"):
        compile_hierarchy([Primitive("L", 5), tasks[2]], "Root", n_states=3, n_actions=2)
    with pytest.raises(ValueError, match="n_states must be"):
        compile_hierarchy(tasks, "Root", n_states=0, n_actions=2)
    with pytest.raises(ValueError, match="terminal must have shape"):
        compile_hierarchy(tasks, "Root", n_states=3, n_actions=2, terminal=np.zeros(4, bool))
    with pytest.raises(ValueError, match="unknown node"):
        taxi_hierarchy().node("Fly")


def test_put_pays_its_pseudo_reward_only_when_it_ends_without_the_delivery():
    """R̃_Put(s') = -100 where Put has ended with the passenger dropped at a landmark that is not
    the destination, 0 where it ended with the delivery; no other task has a pseudo-reward."""
    from chapter_code.maxq.taxi import DROP_PSEUDO_REWARD, encode

    h = taxi_hierarchy()
    put = h.node("Put")
    assert h.graph.pseudo[put, encode(4, 0, 2, 1)] == DROP_PSEUDO_REWARD == -100.0  # left at Y
    assert h.graph.pseudo[put, encode(0, 4, 1, 1)] == 0.0  # delivered at G
    others = [n for n in range(len(h.names)) if n != put]
    assert not h.graph.pseudo[others].any()

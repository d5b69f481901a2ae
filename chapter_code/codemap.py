"""The book's code map: each equation or algorithm, the function that computes it, and the
notebook that shows that function's source under the equation.

``python -m chapter_code.codemap`` rewrites ``book/code_map.md`` from :data:`ENTRIES`; a test
checks the page is current, that every function exists, and that each notebook shows the code
it is listed for.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parent.parent / "book" / "code_map.md"


@dataclass(frozen=True)
class CodeMapEntry:
    """One row: ``what`` the book computes, its ``source`` in the paper, the dotted path of
    the ``function`` that computes it, and the ``notebook`` (file stem) that shows its code."""

    what: str
    source: str
    function: str
    notebook: str


ENTRIES: tuple[CodeMapEntry, ...] = (
    CodeMapEntry("Hallway options: initiation set, termination, least-stumbling policy",
                 "Sutton, Precup & Singh (1999), §3.1", "chapter_code.options.hallway_options",
                 "01_options_smdp"),
    CodeMapEntry("Option model r^o_s and p^o_ss' (one linear solve)",
                 "Sutton, Precup & Singh (1999), eqs. 6-7", "chapter_code.options.option_model",
                 "01_options_smdp"),
    CodeMapEntry("Backup of synchronous value iteration over options",
                 "Sutton, Precup & Singh (1999), eq. 13", "chapter_code.options.smdp_backup",
                 "01_options_smdp"),
    CodeMapEntry("Synchronous value iteration over options, with boundary values",
                 "Sutton, Precup & Singh (1999), eq. 13, §3.1",
                 "chapter_code.options.smdp_value_iteration", "01_options_smdp"),
    CodeMapEntry("Value of a policy over options, V^μ (linear solve)",
                 "Sutton, Precup & Singh (1999), eq. 8", "chapter_code.options.option_policy_value",
                 "01_options_smdp"),
    CodeMapEntry("Interrupted options: stop where Q(s, o) < V(s)",
                 "Sutton, Precup & Singh (1999), §4, Theorem 2",
                 "chapter_code.options.interrupted_options", "01_options_smdp"),
    CodeMapEntry("SMDP Q-learning update", "Sutton, Precup & Singh (1999), §3.2",
                 "chapter_code.options.smdp_q_update", "05_four_rooms"),
    CodeMapEntry("Value of arriving in s' with option o running, U(s', o)",
                 "Sutton, Precup & Singh (1999), §6", "chapter_code.options.continuation",
                 "02_intra_option_learning"),
    CodeMapEntry("Intra-option Q-learning update", "Sutton, Precup & Singh (1999), eq. 21",
                 "chapter_code.options.intra_option_q_update", "02_intra_option_learning"),
    CodeMapEntry("MAML inner step θ' = θ - α ∇L(θ), differentiable (second order)",
                 "Finn, Abbeel & Levine (2017), Algorithm 1", "chapter_code.meta.adapt",
                 "10_maml_navigation"),
    CodeMapEntry("Reptile update θ + ε(φ − θ), φ = k SGD steps on the task (first order)",
                 "Nichol, Achiam & Schulman (2018), Algorithms 1 and 2",
                 "chapter_code.meta.reptile_step", "10_maml_navigation"),
    CodeMapEntry("MAML-RL meta-objective: adapt, sample with θ', surrogate through the step",
                 "Finn, Abbeel & Levine (2017), Algorithm 3",
                 "chapter_code.meta.maml_rl.MamlRL.outer_objective", "10_maml_navigation"),
    CodeMapEntry("TRPO step: conjugate gradient and backtracking line search under mean KL",
                 "Schulman et al. (2015), Appendix C", "chapter_code.meta.trpo.trpo_step",
                 "10_maml_navigation"),
    CodeMapEntry("The Taxi task hierarchy and its state abstractions",
                 "Dietterich (2000), §3.1, §5.1.6", "chapter_code.maxq.taxi_tasks",
                 "06_maxq_taxi"),
    CodeMapEntry("Decomposed action value Q(i, s, a) = V(a, s) + C(i, s, a)",
                 "Dietterich (2000), eq. 10", "chapter_code.maxq.q_value", "06_maxq_taxi"),
    CodeMapEntry("Composite value V(i, s) = max_a [V(a, s) + C(i, s, a)], computed, never stored",
                 "Dietterich (2000), eqs. 13-14", "chapter_code.maxq.value", "06_maxq_taxi"),
    CodeMapEntry("MAXQ leaf update V(a, s) <- (1 - α) V(a, s) + α r",
                 "Dietterich (2000), Table 4", "chapter_code.maxq.primitive_value_update",
                 "06_maxq_taxi"),
    CodeMapEntry("MAXQ-Q completion target γ^N [R̃_i(s') + C(i, s', a*) + V(a*, s')]",
                 "Dietterich (2000), Table 4", "chapter_code.maxq.completion_target",
                 "06_maxq_taxi"),
    CodeMapEntry("MAXQ-Q update of the completion functions C and C̃",
                 "Dietterich (2000), Table 4", "chapter_code.maxq.completion_update",
                 "06_maxq_taxi"),
    CodeMapEntry("Ordered greedy child argmax_a [C̃(i, s, a) + V(a, s)]",
                 "Dietterich (2000), Table 4", "chapter_code.maxq.best_child", "06_maxq_taxi"),
    CodeMapEntry("GLIE exploration rate ε / (1 + c n) of a task's n-th choice in a state",
                 "Singh, Jaakkola, Littman & Szepesvári (2000)",
                 "chapter_code.maxq.exploration_rate", "06_maxq_taxi"),

    CodeMapEntry("Intra-option policy gradient, exactly: μ_Ω times Σ_a ∂π/∂θ Q_U",
                 "Bacon, Harb & Precup (2017), Theorem 1, eqs. 1-4",
                 "chapter_code.option_critic.intra_option_policy_gradient", "13_option_critic"),
    CodeMapEntry("Termination gradient, exactly: -μ_Ω (shifted chain) times ∂β/∂ϑ (A_Ω + ξ)",
                 "Bacon, Harb & Precup (2017), Theorem 2, eq. 5",
                 "chapter_code.option_critic.termination_gradient", "13_option_critic"),
    CodeMapEntry("Option-critic evaluation: Q_U(s, ω, a) and Q_Ω(s, ω) toward r + γ U(ω, s')",
                 "Bacon, Harb & Precup (2017), Algorithm 1, step 1; eq. 3",
                 "chapter_code.option_critic.option_evaluation", "13_option_critic"),
    CodeMapEntry("Intra-option policy step (softmax, baseline Q_Ω)",
                 "Bacon, Harb & Precup (2017), Algorithm 1, step 2; Theorem 1",
                 "chapter_code.option_critic.intra_option_policy_step", "13_option_critic"),
    CodeMapEntry("Termination step (sigmoid) with the regulariser ξ",
                 "Bacon, Harb & Precup (2017), Algorithm 1, step 2; Theorem 2; ALE section",
                 "chapter_code.option_critic.termination_gradient_step", "13_option_critic"),
    CodeMapEntry("One transition of option-critic (evaluation, policy step, termination step)",
                 "Bacon, Harb & Precup (2017), Algorithm 1",
                 "chapter_code.option_critic.option_critic_update", "13_option_critic"),
    CodeMapEntry("Shared-encoder option-critic: critic, intra-option policy, termination losses",
                 "Bacon, Harb & Precup (2017), ALE section; Algorithm 1",
                 "chapter_code.option_critic.critic_loss", "13_option_critic"),
    CodeMapEntry("Intra-option policy loss with entropy bonus (Theorem 1, baseline Q_Ω)",
                 "Bacon, Harb & Precup (2017), Theorem 1; ALE section",
                 "chapter_code.option_critic.intra_option_policy_loss", "13_option_critic"),
    CodeMapEntry("Termination loss β(s') (A_Ω + ξ) (Theorem 2)",
                 "Bacon, Harb & Precup (2017), Theorem 2; ALE section",
                 "chapter_code.option_critic.termination_loss", "13_option_critic"),

    CodeMapEntry("Bottleneck states: one pick per passage of local cut vertices, ranked by "
                 "betweenness", "Şimşek & Barto (2008); Freeman (1977)",
                 "chapter_code.options.bottleneck_states", "03_option_discovery"),
    CodeMapEntry("Local cut vertices (a state that disconnects its own neighbourhood)",
                 "after Şimşek, Wolfe & Barto (2005), local graph partitioning",
                 "chapter_code.options.local_cut_vertices", "03_option_discovery"),
    CodeMapEntry("Subgoal options to bottlenecks (initiation, termination, policy as the "
                 "hallway options)", "Sutton, Precup & Singh (1999), §3.1",
                 "chapter_code.options.subgoal_options", "03_option_discovery"),
    CodeMapEntry("DIAYN pseudo-reward log q(z|s') − log p(z)", "Eysenbach et al. (2019)",
                 "chapter_code.skills.diayn_reward", "04_skills_diayn"),
    CodeMapEntry("Discriminator step: gradient ascent on log q(z|s)", "Eysenbach et al. (2019)",
                 "chapter_code.skills.discriminator_step", "04_skills_diayn"),
    CodeMapEntry("VIC's prior: the maximiser p ∝ exp E[log q(z|s_T)] of the bound",
                 "Gregor, Rezende & Wierstra (2016)", "chapter_code.skills.best_prior",
                 "04_skills_diayn"),
    CodeMapEntry("Soft value V = α log Σ exp(Q/α)", "Haarnoja et al. (2017)",
                 "chapter_code.skills.soft_value", "04_skills_diayn"),
    CodeMapEntry("Soft (Boltzmann) policy exp((Q − V)/α)", "Haarnoja et al. (2017)",
                 "chapter_code.skills.soft_policy", "04_skills_diayn"),
    CodeMapEntry("Soft Q target r + γ V(s')", "Haarnoja et al. (2017)",
                 "chapter_code.skills.soft_q_target", "04_skills_diayn"),
    CodeMapEntry("Soft Q-learning update", "Haarnoja et al. (2017)",
                 "chapter_code.skills.soft_q_update", "04_skills_diayn"),
    CodeMapEntry("log π of a tanh-squashed Gaussian action", "Haarnoja et al. (2018), appendix C",
                 "chapter_code.skills.tanh_gaussian_log_prob", "04_skills_diayn"),
    CodeMapEntry("SAC clipped double-Q soft target", "Haarnoja et al. (2018)",
                 "chapter_code.skills.sac_soft_target", "04_skills_diayn"),
    CodeMapEntry("SAC temperature loss J(α)", "Haarnoja et al. (2018)",
                 "chapter_code.skills.temperature_loss", "04_skills_diayn"),
    CodeMapEntry("RL² input x_t = [onehot(s_t), onehot(a_{t-1}), r_{t-1}, d_{t-1}]",
                 "Duan et al. (2016), §2.2, Fig. 1", "chapter_code.rl2.rl2_inputs",
                 "11_rl2_bandits_mdps"),
    CodeMapEntry("RL² batched trial rollout (hidden state reset only between trials)",
                 "Duan et al. (2016), §2.2", "chapter_code.rl2.rollout", "11_rl2_bandits_mdps"),
    CodeMapEntry("RL² step: policy and value from one GRU, or the value from a GRU of its own",
                 "Duan et al. (2016), Fig. 1; the authors' released code",
                 "chapter_code.rl2.RL2Policy.step", "11_rl2_bandits_mdps"),
    CodeMapEntry("Weight normalisation W = g · v / ‖v‖, one gain per output unit",
                 "Salimans & Kingma (2016), eq. 2", "chapter_code.rl2.WeightNormGRUCell.weights",
                 "11_rl2_bandits_mdps"),
    CodeMapEntry("The authors' released GRU step: ReLU candidate, reset gate after W_h",
                 "Duan et al. (2016), the authors' released code",
                 "chapter_code.rl2.WeightNormGRUCell.forward", "11_rl2_bandits_mdps"),
    CodeMapEntry("Generalised advantage estimation over a trial",
                 "Schulman et al. (2016), eq. 16", "chapter_code.rl2.gae", "11_rl2_bandits_mdps"),
    CodeMapEntry("PPO clipped surrogate",
                 "Schulman et al. (2017), eq. 7", "chapter_code.rl2.clipped_surrogate",
                 "11_rl2_bandits_mdps"),
    CodeMapEntry("PPO's KL guard: the pass kept, or the step halved until it fits",
                 "Duan et al. (2016), the authors' released PPO",
                 "chapter_code.rl2.KLGuard.finish", "11_rl2_bandits_mdps"),
    CodeMapEntry("RL² with TRPO: surrogate and mean KL over whole trials",
                 "Schulman et al. (2015), eq. 14; Duan et al. (2016), §2.3",
                 "chapter_code.rl2.trpo_objective", "11_rl2_bandits_mdps"),
    CodeMapEntry("UCB1 index with Beta(1, 1)-started statistics and tuned c",
                 "Auer, Cesa-Bianchi & Fischer (2002), Fig. 1", "chapter_code.rl2.ucb1_index",
                 "11_rl2_bandits_mdps"),
    CodeMapEntry("UCB1 exploration bonus c sqrt(2 ln t / T_i)",
                 "Auer, Cesa-Bianchi & Fischer (2002), Fig. 1", "chapter_code.rl2.ucb1_bonus",
                 "11_rl2_bandits_mdps"),
    CodeMapEntry("Gittins calibration: continuation value of one more pull",
                 "Whittle (1980); Niño-Mora (2011)", "chapter_code.rl2.gittins.continuation_value",
                 "11_rl2_bandits_mdps"),
    CodeMapEntry("Finite-horizon Gittins index by retirement calibration",
                 "Whittle (1980); Niño-Mora (2011)", "chapter_code.rl2.gittins.index_table",
                 "11_rl2_bandits_mdps"),
    CodeMapEntry("UCRL2 inner maximum over an L1 ball of transitions",
                 "Jaksch, Ortner & Auer (2010), Fig. 2", "chapter_code.rl2.optimistic_transition",
                 "11_rl2_bandits_mdps"),
    CodeMapEntry("Internal critic: intrinsic reward 1 when the goal is reached",
                 "Kulkarni et al. (2016), §4.1", "chapter_code.feudal.intrinsic_reward", "07_hdqn"),
    CodeMapEntry("Q-learning target of controller and meta-controller",
                 "Kulkarni et al. (2016), eqs. 1-3", "chapter_code.feudal.q_learning_target",
                 "07_hdqn"),
    CodeMapEntry("Tabular Q-learning step toward the target", "Kulkarni et al. (2016), eqs. 3-4",
                 "chapter_code.feudal.q_update", "07_hdqn"),
    CodeMapEntry("Linearly annealed exploration rate (1 to 0.1 over 50,000 steps)",
                 "Kulkarni et al. (2016), §4.1", "chapter_code.feudal.annealed_epsilon", "07_hdqn"),
    CodeMapEntry("epsilon-greedy choice of goal or action", "Kulkarni et al. (2016), Algorithm 2",
                 "chapter_code.feudal.epsilon_greedy", "07_hdqn"),
    CodeMapEntry("Tabular h-DQN loop over seeds (compiled)", "Kulkarni et al. (2016), Algorithm 1",
                 "chapter_code.feudal.hdqn._hdqn_loop", "07_hdqn"),
    CodeMapEntry("DQN loss of the network version, summed over seeds",
                 "Kulkarni et al. (2016), eqs. 3-4", "chapter_code.feudal.hdqn.dqn_loss",
                 "07_hdqn"),
    CodeMapEntry("Cosine similarity d_cos", "Vezhnevets et al. (2017)",
                 "chapter_code.feudal.fun.cosine_similarity", "08_feudal_fun"),
    CodeMapEntry("Worker's intrinsic reward r^I_t", "Vezhnevets et al. (2017), eq. 8",
                 "chapter_code.feudal.fun.intrinsic_reward", "08_feudal_fun"),
    CodeMapEntry("Transition policy gradient (the manager's loss)",
                 "Vezhnevets et al. (2017), eq. 7",
                 "chapter_code.feudal.fun.transition_policy_loss", "08_feudal_fun"),
    CodeMapEntry("Goal embedding w_t = phi(sum of the last c + 1 goals)",
                 "Vezhnevets et al. (2017)",
                 "chapter_code.feudal.fun.pooled_goal_embedding", "08_feudal_fun"),
    CodeMapEntry("Worker's logits U_t w_t", "Vezhnevets et al. (2017)",
                 "chapter_code.feudal.fun.worker_policy_logits", "08_feudal_fun"),
    CodeMapEntry("One step of FuN (manager, worker, intrinsic reward)", "Vezhnevets et al. (2017)",
                 "chapter_code.feudal.fun.FeudalNet.forward", "08_feudal_fun"),
    CodeMapEntry("HIRO goal transition h(s, g, s') = s + g - s'",
                 "Nachum et al. (2018), §3", "chapter_code.hiro.goal_transition",
                 "09_hiro"),
    CodeMapEntry("HIRO worker reward -||s + g - s'||",
                 "Nachum et al. (2018), §3", "chapter_code.hiro.intrinsic_reward",
                 "09_hiro"),
    CodeMapEntry("Relabelling candidates: g_t, s_{t+c} - s_t, 8 clipped Gaussian samples",
                 "Nachum et al. (2018), §3.3", "chapter_code.hiro.candidate_goals", "09_hiro"),
    CodeMapEntry("Relabelling score: log-probability of the recorded worker actions",
                 "Nachum et al. (2018), eq. 5", "chapter_code.hiro.relabel_score", "09_hiro"),
    CodeMapEntry("Off-policy correction: argmax of eq. 5 over the candidates",
                 "Nachum et al. (2018), eq. 5", "chapter_code.hiro.off_policy_correction",
                 "09_hiro"),
    CodeMapEntry("TD3 target policy smoothing",
                 "Fujimoto et al. (2018), eq. 14", "chapter_code.hiro.smoothed_target_action",
                 "09_hiro"),
    CodeMapEntry("TD3 clipped double-Q target y = r + γ min(Q'_1, Q'_2)",
                 "Fujimoto et al. (2018), eq. 10", "chapter_code.hiro.clipped_double_q_target",
                 "09_hiro"),
    CodeMapEntry("TD3 delayed policy update schedule",
                 "Fujimoto et al. (2018), Algorithm 1", "chapter_code.hiro.is_policy_step",
                 "09_hiro"),
    CodeMapEntry("Soft target update θ' <- τθ + (1 - τ)θ'",
                 "Fujimoto et al. (2018), Algorithm 1", "chapter_code.hiro.soft_update",
                 "09_hiro"),
    CodeMapEntry("TD3 step of n stacked learners",
                 "Fujimoto et al. (2018), Algorithm 1", "chapter_code.hiro.TD3.update",
                 "09_hiro"),
)


def resolve(path: str) -> Callable[..., Any]:
    """The object a dotted ``path`` names: a module path followed by one or more attribute names
    (``chapter_code.options.smdp_backup``, ``chapter_code.meta.maml_rl.MamlRL.outer_objective``);
    ``ValueError`` if it does not exist."""
    parts = path.split(".")
    for split in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:split]))
        except ImportError:
            continue
        try:
            for name in parts[split:]:
                obj = getattr(obj, name)
        except AttributeError:
            break
        return obj  # type: ignore[no-any-return]
    raise ValueError(f"code map names {path!r}, which does not exist")


def render(entries: tuple[CodeMapEntry, ...] = ENTRIES) -> str:
    """The code map page as MyST markdown."""
    lines = [
        "# Code map",
        "",
        "Every equation and algorithm the book computes, the function in `chapter_code` that",
        "computes it, and the notebook that shows that function's source under the equation.",
        "The page is generated from `chapter_code.codemap`; a test fails when a listed function",
        "does not exist or a notebook stops showing it.",
        "",
        "| What | Paper | Function | Shown in |",
        "| --- | --- | --- | --- |",
    ]
    for e in entries:
        resolve(e.function)
        lines.append(f"| {e.what} | {e.source} | `{e.function}` | "
                     f"{{doc}}`../notebooks/{e.notebook}` |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write the page (no arguments) or, with ``--check``, exit 1 if it is out of date."""
    argv = sys.argv[1:] if argv is None else argv
    text = render()
    if argv == ["--check"]:
        return 0 if PAGE.read_text() == text else 1
    if argv:
        raise SystemExit("usage: python -m chapter_code.codemap [--check]")
    PAGE.write_text(text)
    print(f"wrote {PAGE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

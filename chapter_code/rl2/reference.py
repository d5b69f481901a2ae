"""The plain per-task twin of :func:`chapter_code.rl2.agent.rollout`: one task at a time, one
step at a time, each task's slice of the same pre-drawn random numbers. It is the reference
the batched rollout is tested against and the baseline the speed benchmark times."""

from __future__ import annotations

import numpy as np
import torch

from chapter_code.rl2.agent import RL2Policy, Trajectory, TrialEnv, rl2_inputs, sample_action


@torch.no_grad()
def reference_rollout(policy: RL2Policy, env: TrialEnv, draws: dict[str, np.ndarray],
                      action_uniforms: np.ndarray) -> Trajectory:
    """One trial per task of ``draws``, looping over tasks and then over steps; returns the
    same record as the batched rollout."""
    per_task = []
    for i in range(action_uniforms.shape[0]):
        task = {key: value[i:i + 1] for key, value in draws.items()}
        state, obs = env.start(task)
        prev_action, prev_reward, prev_done = np.array([-1]), np.zeros(1), np.zeros(1)
        h = policy.initial_state(1)
        steps = []
        for t in range(env.trial_length):
            x = rl2_inputs(obs, prev_action, prev_reward, prev_done, env.n_obs, env.n_actions)
            logits, value, h = policy.step(x, h)
            action, log_prob = sample_action(logits, action_uniforms[i:i + 1, t])
            state, obs, reward, done = env.transition(task, t, state, action)
            steps.append((x, action, log_prob, value, reward, done, h))
            prev_action, prev_reward, prev_done = action, reward, done
        per_task.append(steps)

    def gather(j: int) -> list:
        return [[step[j] for step in steps] for steps in per_task]

    def stack_torch(j: int) -> torch.Tensor:
        return torch.cat([torch.stack(seq) for seq in gather(j)], dim=1)

    def stack_numpy(j: int) -> np.ndarray:
        return np.concatenate([np.stack(seq) for seq in gather(j)], axis=1)

    return Trajectory(inputs=stack_torch(0), actions=stack_numpy(1), log_probs=stack_torch(2),
                      values=stack_torch(3), rewards=stack_numpy(4), dones=stack_numpy(5),
                      hidden=stack_torch(6))

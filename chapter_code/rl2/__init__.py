"""RL² (Duan et al. 2016) and the baselines of its bandit and tabular-MDP tables."""

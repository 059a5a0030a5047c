"""Greedy evaluation on seeded episodes, the way the Hugging Face Deep RL course scores agents.

Used by ``main.py eval``, the course export and the benchmark; any agent with ``greedy`` and an
``rng`` attribute (tabular or DQN) can be evaluated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np


@dataclass(frozen=True)
class EvalResult:
    """Greedy evaluation over seeded episodes (the course's ``evaluate_agent`` numbers)."""

    mean_reward: float
    std_reward: float
    success_rate: float
    mean_length: float
    episodes: int
    returns: tuple[float, ...]


def evaluate(env: gymnasium.Env, agent: Any, seeds: list[int]) -> EvalResult:
    """Play one greedy episode per seed (``env.reset(seed=...)``), as the course evaluates.

    The env's own time limit ends an episode. Greedy tie-breaks draw from a Generator seeded with
    the first seed (the agent's own is restored afterwards), so the result is reproducible.
    """
    rets, lengths, wins = [], [], 0
    saved_rng = getattr(agent, "rng", None)
    agent.rng = np.random.default_rng(seeds[0] if seeds else 0)
    try:
        for seed in seeds:
            obs, _ = env.reset(seed=int(seed))
            total, n, done = 0.0, 0, False
            while not done:
                obs, r, term, trunc, _ = env.step(int(agent.greedy(obs)))
                total += float(r)
                n += 1
                done = term or trunc
            rets.append(total)
            lengths.append(n)
            wins += bool(term and float(r) > 0)
    finally:
        agent.rng = saved_rng
    arr = np.asarray(rets, dtype=np.float64)
    count = len(rets)
    return EvalResult(
        mean_reward=float(arr.mean()) if count else 0.0,
        std_reward=float(arr.std()) if count else 0.0,
        success_rate=wins / count if count else 0.0,
        mean_length=float(np.mean(lengths)) if count else 0.0,
        episodes=count, returns=tuple(rets),
    )

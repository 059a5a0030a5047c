"""Greedy evaluation on seeded episodes, the way the Hugging Face Deep RL course scores agents.

Used by ``main.py eval``, the course export and the benchmark; :func:`play_action` is also how
a ``TrainingSession`` watching (mode ``"watch"``) acts. Any agent with ``greedy`` and an
``rng`` attribute (tabular or DQN) can be evaluated. :func:`greedy_rollout` plays one greedy
episode on a second env (the app records GIFs with it) without disturbing training.

A greedy policy can loop forever (CliffWalking has no time limit), so every episode has a step
cap, as the course's ``evaluate_agent`` has its ``max_steps``: the env's own time limit when it has
one, else :data:`DEFAULT_MAX_STEPS`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from agents.protocol import Agent
from levels.success import success_judge

DEFAULT_MAX_STEPS = 1_000
"""Step cap of an evaluation episode on an env without a time limit of its own."""


@dataclass(frozen=True)
class EvalResult:
    """Greedy evaluation over seeded episodes (the course's ``evaluate_agent`` numbers)."""

    mean_reward: float
    std_reward: float
    success_rate: float
    mean_length: float
    episodes: int
    returns: tuple[float, ...]
    max_steps: int = DEFAULT_MAX_STEPS
    capped: int = 0
    """Episodes stopped by ``max_steps`` rather than by the env (counted as failures)."""


def play_action(agent: Agent, obs: Any, action_space: gymnasium.spaces.Discrete,
                epsilon: float, rng: np.random.Generator) -> int:
    """The action of an agent that plays without learning (evaluation, watching in the app).

    Its greedy action, or with probability ``epsilon`` (an evaluation epsilon, usually 0) a
    uniformly random one drawn from ``rng``; ``rng`` is not drawn from at all when ``epsilon``
    is 0, so a greedy run is the same whatever ``rng`` is. Nothing is learnt.
    """
    if epsilon > 0.0 and rng.random() < epsilon:
        return int(action_space.start) + int(rng.integers(int(action_space.n)))
    return int(agent.greedy(obs))


def check_play_epsilon(epsilon: float) -> float:
    """``epsilon`` as a float in [0, 1].

    Raises:
        ValueError: anything else, in one sentence.
    """
    value = float(epsilon)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"the evaluation epsilon must be between 0 and 1, got {epsilon!r}")
    return value


def evaluate(env: gymnasium.Env, agent: Agent, seeds: list[int],
             max_steps: int | None = None, epsilon: float = 0.0) -> EvalResult:
    """Play one episode per seed (``env.reset(seed=...)``), as the course evaluates.

    Actions are :func:`play_action`'s: greedy, or random with probability ``epsilon``. An
    episode ends when the env ends it or after ``max_steps`` steps (default: the env's own time
    limit, else :data:`DEFAULT_MAX_STEPS`). Greedy tie-breaks and the epsilon draws come from a
    Generator seeded with the first seed (the agent's own is restored afterwards), so the result
    is reproducible.
    """
    epsilon = check_play_epsilon(epsilon)
    cap = max_steps or step_cap(env)
    rets, lengths, wins, capped = [], [], 0, 0
    judge = success_judge(env)
    saved_rng = agent.rng
    agent.rng = np.random.default_rng(seeds[0] if seeds else 0)
    try:
        for seed in seeds:
            obs, _ = env.reset(seed=int(seed))
            total, n, term, trunc = 0.0, 0, False, False
            while not (term or trunc) and n < cap:
                action = play_action(agent, obs, env.action_space, epsilon, agent.rng)
                obs, r, term, trunc, _ = env.step(action)
                total += float(r)
                n += 1
            rets.append(total)
            lengths.append(n)
            if term or trunc:
                wins += judge(term, trunc, r, obs)
            else:
                capped += 1
    finally:
        agent.rng = saved_rng
    arr = np.asarray(rets, dtype=np.float64)
    count = len(rets)
    return EvalResult(
        mean_reward=float(arr.mean()) if count else 0.0,
        std_reward=float(arr.std()) if count else 0.0,
        success_rate=wins / count if count else 0.0,
        mean_length=float(np.mean(lengths)) if count else 0.0,
        episodes=count, returns=tuple(rets), max_steps=cap, capped=capped,
    )


def step_cap(env: gymnasium.Env) -> int:
    """The most steps one evaluation episode on ``env`` may take (see the module docstring)."""
    from agents.fast import time_limit

    return time_limit(env) or DEFAULT_MAX_STEPS


@dataclass(frozen=True)
class RolloutStep:
    """One step of a greedy rollout: the observation acted on, the action and what followed."""

    obs: Any
    action: int
    reward: float
    next_obs: Any
    terminated: bool
    truncated: bool


def greedy_action_of(agent: Agent, obs: Any, rng: np.random.Generator) -> int:
    """The agent's greedy action in ``obs`` without touching the agent's own Generator.

    A Q-table's ties are broken with ``rng`` exactly as the agent's ``greedy`` would with its own
    (``agents.tabular.greedy_action``); other agents (a DQN) are asked directly: their greedy
    choice draws nothing.
    """
    table = agent.q_table
    if table is not None:
        from agents.tabular import greedy_action

        return int(greedy_action(table[int(obs)].tolist(), rng))
    return int(agent.greedy(obs))


def iter_greedy_steps(env: gymnasium.Env, agent: Agent, obs: Any, rng: np.random.Generator,
                     max_steps: int | None = None) -> Iterator[RolloutStep]:
    """Greedy steps from ``obs`` (the env's current observation) to the end of the episode (the
    env's own time limit included) or ``max_steps`` (default :func:`step_cap`); tie-breaks draw
    from ``rng``."""
    limit = step_cap(env) if max_steps is None else max_steps
    n = 0
    while n < limit:
        action = greedy_action_of(agent, obs, rng)
        next_obs, r, term, trunc, _ = env.step(action)
        n += 1
        yield RolloutStep(obs, action, float(r), next_obs, bool(term), bool(trunc))
        if term or trunc:
            return
        obs = next_obs


def iter_greedy_rollout(env: gymnasium.Env, agent: Agent, seed: int,
                        max_steps: int | None = None) -> Iterator[RolloutStep]:
    """Play one greedy episode on ``env`` (reset with ``seed``), one step per ``next()``.

    Meant for a second env opened just for this (a recording), so the training session's env,
    episode and the agent's Generator are all left as they were: tie-breaks come from a private
    Generator seeded with ``seed``, and nothing is learnt.
    """
    obs, _ = env.reset(seed=int(seed))
    yield from iter_greedy_steps(env, agent, obs, np.random.default_rng(int(seed)), max_steps)


def greedy_rollout(env: gymnasium.Env, agent: Agent, seed: int,
                   on_step: Callable[[RolloutStep], None] | None = None,
                   max_steps: int | None = None) -> list[RolloutStep]:
    """:func:`iter_greedy_rollout` to the end; ``on_step`` sees each step as it happens (after
    ``env.step``, so ``env.render()`` there shows the new state, the final one included)."""
    steps = []
    for step in iter_greedy_rollout(env, agent, seed, max_steps):
        if on_step is not None:
            on_step(step)
        steps.append(step)
    return steps

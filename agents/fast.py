"""Turbo: the same tabular MDP, stepped by compiled code instead of Gymnasium's Python ``step``.

An env that publishes its full model (GridMaze's ``transition_arrays()``, the toy-text envs' ``P``
and ``initial_state_distrib``) can be copied once into ``TabularModel`` arrays; the compiled
kernel ``run_steps`` (``agents.turbokernel``, or the same function compiled ahead of time by
``agents.turbo_aot``) then plays agent, epsilon schedule and env together, typically 100x faster
than ``env.step`` plus ``agent.update`` in Python. This module holds the model, the kernel's
shared vocabulary and ``TurboRunner``, and imports no numba.

It stays the *same* MDP: outcomes keep the order of ``P`` and are drawn exactly as gymnasium's
``categorical_sample`` draws them (first outcome whose cumulative probability exceeds a uniform
number); the episode starts from ``initial_state_distrib`` the same way; the time limit is the
env's own (TimeLimit wrapper or the level's ``max_steps``), so truncation happens at the same step
and, as in the agents, bootstraps while termination does not. The update arithmetic is written in
the same order as ``agents/tabular.py`` so the two paths agree to the last bit on the same
transitions (``tests/test_fast.py`` checks this for all three rules).

Random numbers: the caller passes a block of uniform numbers drawn from the agent's own
``numpy.random.Generator``; the kernel consumes them in order and reports how many it used, so a
run's result depends on the seed only, never on how it was cut into chunks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from levels.success import SuccessJudge

# Update rules, by agent kind (the kernel branches on these codes).
RULE_Q_LEARNING, RULE_SARSA, RULE_EXPECTED_SARSA = 0, 1, 2
RULES = {"q-learning": RULE_Q_LEARNING, "sarsa": RULE_SARSA,
         "expected-sarsa": RULE_EXPECTED_SARSA}

# Uniform numbers one kernel iteration may use at most: action (2), outcome (1), SARSA's next
# action (2), the next episode's start state (1); and per Dyna planning step: the remembered
# state and action (2), SARSA's next action (2).
MAX_UNIFORMS_PER_STEP = 6
UNIFORMS_PER_PLANNING_STEP = 4

# Slots of the int64 ``istate`` array the kernel reads and writes back (the run's live state).
I_STATE = 0  # current state
I_EP_STEP = 1  # steps taken in the current episode
I_NEXT_ACTION = 2  # SARSA's already chosen next action, -1 when none
I_STEP = 3  # schedule step counter (learning steps so far)
I_EPISODE = 4  # schedule episode counter (learning episodes so far)
I_UPOS = 5  # next unused uniform number
I_NOUT = 6  # finished episodes written to the output arrays
I_RPOS = 7  # states written to the path ring so far
I_CUR_START = 8  # ring position where the current episode's path starts
I_LAST_START = 9  # ring positions of the last finished episode's path
I_LAST_END = 10
I_DIVERGED = 11  # 1 when an update produced a non-finite Q-value
N_ISTATE = 12


class TurboUnavailable(ValueError):
    """The env does not publish a transition model the turbo kernel can step faithfully."""


@dataclass(frozen=True, eq=False)
class TabularModel:
    """A tabular MDP as arrays: outcome ``k`` of action ``a`` in state ``s`` has probability
    ``prob[s, a, k]`` and leads to ``next_state[s, a, k]`` with ``reward`` and ``terminated``.

    ``K`` is the largest number of outcomes of any (s, a); shorter lists are padded with
    zero-probability outcomes. ``max_steps`` is the episode time limit (None: no limit).
    """

    prob: np.ndarray
    next_state: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray
    initial: np.ndarray
    max_steps: int | None

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return int(self.prob.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions A."""
        return int(self.prob.shape[1])

    @property
    def cdf(self) -> np.ndarray:
        """Cumulative outcome probabilities [S, A, K], summed in ``P``'s order like gymnasium."""
        return np.cumsum(self.prob, axis=2)

    @classmethod
    def from_env(cls, env: gymnasium.Env) -> TabularModel:
        """Copy the model of ``env`` (wrappers allowed).

        Raises:
            TurboUnavailable: the env has no ``P``/``transition_arrays`` and initial distribution,
                or has dynamics ``P`` does not describe (Taxi's ``fickle_passenger``).
        """
        base = env.unwrapped
        name = type(base).__name__
        if not isinstance(env.observation_space, gymnasium.spaces.Discrete) or not isinstance(
            env.action_space, gymnasium.spaces.Discrete
        ):
            raise TurboUnavailable(f"{name} has no discrete states and actions to tabulate")
        if getattr(base, "fickle_passenger", False):
            raise TurboUnavailable(
                "Taxi with fickle_passenger changes destinations outside its model P"
            )
        initial = getattr(base, "initial_state_distrib", None)
        if initial is None:
            raise TurboUnavailable(f"{name} publishes no initial_state_distrib")
        if hasattr(base, "transition_arrays"):
            arrays = base.transition_arrays()
            prob = np.asarray(arrays["prob"], dtype=np.float64)
            next_state = np.asarray(arrays["next_state"], dtype=np.int64)
            reward = np.asarray(arrays["reward"], dtype=np.float64)
            terminated = np.asarray(arrays["terminated"], dtype=np.bool_)
        elif hasattr(base, "P"):
            prob, next_state, reward, terminated = _arrays_from_p(
                base.P, env.observation_space.n, env.action_space.n
            )
        else:
            raise TurboUnavailable(f"{name} publishes no transition model P")
        return cls(
            # Own, writeable, contiguous copies: one compiled signature for every env.
            prob=np.array(prob, order="C"),
            next_state=np.array(next_state, order="C"),
            reward=np.array(reward, order="C"),
            terminated=np.array(terminated, order="C"),
            initial=np.asarray(initial, dtype=np.float64).copy(),
            max_steps=time_limit(env),
        )


def _arrays_from_p(P: Any, n_states: int, n_actions: int) -> tuple[np.ndarray, ...]:
    """Pad toy-text ``P[s][a]`` outcome lists, kept in their order, into [S, A, K] arrays."""
    k = max(len(P[s][a]) for s in range(n_states) for a in range(n_actions))
    shape = (n_states, n_actions, k)
    prob = np.zeros(shape)
    next_state = np.zeros(shape, dtype=np.int64)
    reward = np.zeros(shape)
    terminated = np.zeros(shape, dtype=np.bool_)
    for s in range(n_states):
        for a in range(n_actions):
            next_state[s, a, :] = s  # padding: a zero-probability self-loop
            for i, (p, s2, r, t) in enumerate(P[s][a]):
                prob[s, a, i] = p
                next_state[s, a, i] = s2
                reward[s, a, i] = r
                terminated[s, a, i] = t
    return prob, next_state, reward, terminated


def time_limit(env: gymnasium.Env) -> int | None:
    """The episode step limit ``env`` enforces: the tightest TimeLimit wrapper or level limit."""
    limits = []
    layer: Any = env
    while isinstance(layer, gymnasium.Wrapper):
        if isinstance(layer, gymnasium.wrappers.TimeLimit):
            limits.append(int(layer._max_episode_steps))
        layer = layer.env
    level = getattr(layer, "level", None)
    if level is not None and getattr(level, "max_steps", None):
        limits.append(int(level.max_steps))
    return min(limits) if limits else None


# ``agents.turbokernel.run_steps``, JIT or ahead-of-time compiled: returns the steps it ran.
TurboKernel = Callable[..., int]


class TurboRunner:
    """Drives the compiled ``run_steps`` for one model and one Q-table, owning its buffers.

    The session keeps the episode bookkeeping (state, step in episode, SARSA's next action,
    schedule counters, path ring) in ``istate`` so the Python and turbo paths hand over to each
    other mid-episode.

    Args:
        model: the env's tabular model.
        kernel: ``agents.turbokernel.run_steps`` or its ahead-of-time build (same arithmetic).
        capacity: finished episodes one call may report.
        judge: what counts as a successful episode.
    """

    BLOCK = 1 << 16

    def __init__(self, model: TabularModel, kernel: TurboKernel, capacity: int = 1 << 15,
                 judge: SuccessJudge | None = None) -> None:
        judge = judge or SuccessJudge("positive")
        self.model = model
        self.kernel = kernel
        self.goal = judge.goal_mask(model.initial.shape[0])
        self.goal_by_reward = bool(judge.uses_reward)
        self.cdf = np.ascontiguousarray(model.cdf)
        self.initial_cdf = np.cumsum(model.initial)
        self.max_steps = int(model.max_steps or 0)
        self.uniforms = np.empty(2 * self.BLOCK)  # pre-drawn numbers, valid up to _filled;
        self._filled = 0  # the unused ones are uniforms[istate[I_UPOS]:_filled]
        self.out_return = np.empty(capacity)
        self.out_length = np.empty(capacity, dtype=np.int64)
        self.out_success = np.empty(capacity, dtype=np.bool_)

    def preload_uniforms(self, values: np.ndarray) -> None:
        """Use ``values`` as the next numbers (from ``istate[I_UPOS] = 0``), before any drawn:
        a scripted stream that a reference implementation replays."""
        self.uniforms = np.array(values, dtype=np.float64)
        self._filled = len(self.uniforms)

    def discard_uniforms(self) -> None:
        """Forget pre-drawn numbers (after a reseed) so the next run starts from the new seed."""
        self._filled = 0

    def run(
        self,
        agent: Any,
        eps_params: tuple[int, float, float, float],
        n_steps: int,
        max_episodes: int,
        istate: np.ndarray,
        ep_return: np.ndarray,
        visits: np.ndarray,
        last_td: np.ndarray,
        ring: np.ndarray,
    ) -> tuple[int, int]:
        """Run up to ``n_steps`` steps / ``max_episodes`` finished episodes on ``agent.q``.

        Returns ``(steps, episodes)``; the finished episodes are in ``out_return[:episodes]``
        etc. Uniform numbers are topped up from ``agent.rng`` in fixed blocks and leftovers kept,
        so the numbers used depend only on how many were used before.
        """
        n_plan = int(agent.planning_steps)
        need = (MAX_UNIFORMS_PER_STEP + UNIFORMS_PER_PLANNING_STEP * n_plan) * (n_steps + 1)
        self._top_up(agent.rng, need, istate)
        cap = max(1, min(max_episodes, len(self.out_return)))
        istate[I_NOUT] = 0
        kind, e0, e1, e2 = eps_params
        steps = self.kernel(
            agent.q, self.cdf, self.model.next_state, self.model.reward,
            self.model.terminated, self.initial_cdf, self.max_steps,
            RULES[agent.kind], float(agent.alpha), float(agent.gamma),
            int(kind), float(e0), float(e1), float(e2),
            self.uniforms[:self._filled], int(n_steps), istate, ep_return, visits, last_td, ring,
            self.out_return[:cap], self.out_length[:cap], self.out_success[:cap],
            self.goal, self.goal_by_reward,
            float(agent.lam), agent.trace == "replacing", *agent.traces.arrays(), n_plan,
            *agent.model.arrays(),
        )  # fmt: skip
        return int(steps), int(istate[I_NOUT])

    def _top_up(self, rng: np.random.Generator, need: int, istate: np.ndarray) -> None:
        """At least ``need`` unused numbers from ``istate[I_UPOS]`` on.

        The leftovers move to the front of the one buffer and ``max(BLOCK, need)`` fresh numbers
        are drawn in place behind them (``out=``): no new array per call, whose page faults cost
        as much as a millisecond-long kernel call, and the same numbers as drawing a new block.
        """
        pos = int(istate[I_UPOS])
        left = max(0, self._filled - pos)
        if left >= need:
            return
        fresh = max(self.BLOCK, need)
        if left + fresh > len(self.uniforms):
            grown = np.empty(2 * (left + fresh))
            grown[:left] = self.uniforms[pos:self._filled]
            self.uniforms = grown
        else:
            self.uniforms[:left] = self.uniforms[pos:self._filled]  # numpy copes with overlap
        rng.random(out=self.uniforms[left:left + fresh])
        self._filled = left + fresh
        istate[I_UPOS] = 0


def place_env(env: gymnasium.Env, state: int, episode_step: int) -> None:
    """Put a toy-text style env (wrappers included) at ``state``, ``episode_step`` steps into an
    episode, so the Python path continues where the turbo path stopped (time limit included)."""
    base = env.unwrapped
    base.s = int(state)
    if hasattr(base, "lastaction"):
        base.lastaction = None
    if hasattr(base, "elapsed_steps"):
        base.elapsed_steps = int(episode_step)
    layer: Any = env
    while isinstance(layer, gymnasium.Wrapper):
        if isinstance(layer, gymnasium.wrappers.TimeLimit):
            layer._elapsed_steps = int(episode_step)
        layer = layer.env


def turbo_model(env: gymnasium.Env) -> TabularModel | None:
    """``TabularModel.from_env(env)``, or None when the env cannot be tabulated faithfully."""
    try:
        return TabularModel.from_env(env)
    except TurboUnavailable:
        return None

"""Turbo must be the same MDP as the env, and the same arithmetic as the Python agents."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.toy_text.utils import categorical_sample
from kernelref import ScriptedRandom, reference_act

from agents.fast import (
    I_DIVERGED,
    I_NEXT_ACTION,
    I_STATE,
    N_ISTATE,
    TabularModel,
    TurboRunner,
    TurboUnavailable,
    time_limit,
    turbo_model,
)  # fmt: skip
from agents.tabular import make_tabular
from agents.turbokernel import _sample, run_steps
from levels.envs import make_env

ENVS = {
    "frozenlake-slippery": lambda: gym.make("FrozenLake-v1", map_name="4x4", is_slippery=True),
    "taxi": lambda: gym.make("Taxi-v4"),
    "cliff": lambda: gym.make("CliffWalking-v1"),
    "cliff-slippery": lambda: gym.make("CliffWalking-v1", is_slippery=True),
    "gridmaze-mouse": lambda: make_env("mouse")[0],
    "gridmaze-ice": lambda: make_env("maze_ice")[0],
}


@pytest.mark.parametrize("name", list(ENVS))
def test_model_equals_env_p_exactly(name: str) -> None:
    env = ENVS[name]()
    base = env.unwrapped
    model = TabularModel.from_env(env)
    n_s, n_a = env.observation_space.n, env.action_space.n
    assert model.prob.shape[:2] == (n_s, n_a)
    for s in range(n_s):
        for a in range(n_a):
            outcomes = base.P[s][a]
            k = len(outcomes)
            assert model.prob.shape[2] >= k
            for i, (p, s2, r, t) in enumerate(outcomes):
                assert (model.prob[s, a, i], model.next_state[s, a, i]) == (p, s2)
                assert (model.reward[s, a, i], model.terminated[s, a, i]) == (r, t)
            assert not model.prob[s, a, k:].any()  # padding never happens
    np.testing.assert_array_equal(model.initial, base.initial_state_distrib)


def test_time_limit_is_the_envs_own() -> None:
    assert time_limit(gym.make("FrozenLake-v1")) == 100
    assert time_limit(gym.make("Taxi-v4")) == 200
    assert time_limit(gym.make("Taxi-v4", max_episode_steps=99)) == 99
    assert time_limit(gym.make("CliffWalking-v1")) is None
    env, resolved = make_env("mouse")
    assert TabularModel.from_env(env).max_steps == resolved.level.max_steps == 5


def test_envs_without_a_faithful_model_are_refused() -> None:
    with pytest.raises(TurboUnavailable, match="fickle"):
        TabularModel.from_env(gym.make("Taxi-v4", fickle_passenger=True))
    assert turbo_model(gym.make("Blackjack-v1")) is None
    assert turbo_model(gym.make("CartPole-v1")) is None


def test_outcomes_are_drawn_like_gymnasium() -> None:
    model = TabularModel.from_env(gym.make("FrozenLake-v1", is_slippery=True))
    cdf = model.cdf

    class Fixed:  # a Generator stand-in returning one chosen number
        def __init__(self, u: float) -> None:
            self.u = u

        def random(self) -> float:
            return self.u

    rng = np.random.default_rng(1)
    for u in [0.0, 1 / 3, 2 / 3, 0.9999999, *rng.random(200)]:
        s, a = int(rng.integers(16)), int(rng.integers(4))
        probs = [o[0] for o in gym.make("FrozenLake-v1").unwrapped.P[s][a]]
        assert _sample(cdf[s, a], u) == categorical_sample(probs, Fixed(u))


def _reference(env: gym.Env, agent, eps: float, uniforms: np.ndarray, n_steps: int):
    """The same run through gymnasium's own ``step`` and ``agents.tabular``'s ``update``."""
    stream = ScriptedRandom(uniforms)
    base = env.unwrapped
    env.reset(seed=0)
    base.s = 0 if type(base).__name__ != "CliffWalkingEnv" else 36
    base.np_random = stream  # env draws (outcomes, resets) come from the same stream
    agent.epsilon = eps
    s, a_next, episodes = int(base.s), None, []
    ret = 0.0
    for _ in range(n_steps):
        if a_next is None:
            a = reference_act(agent.q[s], eps, stream.random(), stream.random())
        else:
            a = a_next
        s2, r, term, trunc, _ = env.step(a)
        ret += r
        a_next = na = None
        if agent.needs_next_action and not term:
            na = reference_act(agent.q[s2], eps, stream.random(), stream.random())
            a_next = None if trunc else na
        agent.update(s, a, r, s2, term, next_action=na, truncated=trunc)
        if term or trunc:
            episodes.append(ret)
            ret = 0.0
            s, _ = env.reset()
            s = int(s)
        else:
            s = int(s2)
    return episodes, stream.pos


@pytest.mark.parametrize("kind", ["q-learning", "sarsa", "expected-sarsa"])
@pytest.mark.parametrize("make", [
    lambda: gym.make("FrozenLake-v1", is_slippery=True, max_episode_steps=7),
    lambda: gym.make("CliffWalking-v1", max_episode_steps=30),
    lambda: gym.make("Taxi-v4", max_episode_steps=20),
], ids=["frozenlake", "cliff", "taxi"])
def test_kernel_matches_env_and_agent_bit_for_bit(kind: str, make) -> None:
    """Same uniforms -> same transitions (env.step) and same Q (agent.update), truncations too."""
    env = make()
    n_s, n_a = env.observation_space.n, env.action_space.n
    eps, n_steps = 0.3, 600
    uniforms = np.random.default_rng(7).random(8 * n_steps)
    ref = make_tabular(kind, n_s, n_a, alpha=0.5, gamma=0.9)
    ref_returns, used = _reference(env, ref, eps, uniforms, n_steps)

    model = TabularModel.from_env(make())
    fast = make_tabular(kind, n_s, n_a, alpha=0.5, gamma=0.9)
    runner = TurboRunner(model, run_steps)
    istate = np.zeros(N_ISTATE, dtype=np.int64)
    istate[I_STATE] = 0 if n_s != 48 else 36
    istate[I_NEXT_ACTION] = -1
    runner.preload_uniforms(uniforms)
    ring = np.zeros(64, dtype=np.int64)
    steps, n_eps = runner.run(fast, (0, eps, 0.0, 0.0), n_steps, 10_000, istate, np.zeros(1),
                              np.zeros(n_s, dtype=np.int64), np.full((n_s, n_a), np.nan), ring)
    assert steps == n_steps
    assert fast.q.tobytes() == ref.q.tobytes()
    assert runner.out_return[:n_eps].tolist() == ref_returns
    assert istate[5] == used  # exactly the same uniform numbers were consumed


def test_kernel_stops_when_episode_slots_are_full() -> None:
    env = gym.make("FrozenLake-v1", is_slippery=False)
    model = TabularModel.from_env(env)
    agent = make_tabular("q-learning", 16, 4, seed=3)
    runner = TurboRunner(model, run_steps)
    istate = np.zeros(N_ISTATE, dtype=np.int64)
    istate[I_NEXT_ACTION] = -1
    buffers = (np.zeros(1), np.zeros(16, dtype=np.int64), np.full((16, 4), np.nan),
               np.zeros(256, dtype=np.int64))
    steps, n_eps = runner.run(agent, (0, 1.0, 0.0, 0.0), 100_000, 3, istate, *buffers)
    assert n_eps == 3 and 3 <= steps < 100_000
    assert steps == int(runner.out_length[:3].sum())  # stopped right at the third episode's end
    assert buffers[1].sum() == steps  # one visit per step


def test_kernel_flags_divergence() -> None:
    model = TabularModel.from_env(gym.make("FrozenLake-v1"))
    agent = make_tabular("q-learning", 16, 4)
    agent.q[:] = np.inf
    istate = np.zeros(N_ISTATE, dtype=np.int64)
    istate[I_NEXT_ACTION] = -1
    steps, _ = TurboRunner(model, run_steps).run(
        agent, (0, 0.5, 0.0, 0.0), 1000, 1000, istate, np.zeros(1),
        np.zeros(16, dtype=np.int64), np.full((16, 4), np.nan), np.zeros(64, dtype=np.int64))
    assert steps == 1 and istate[I_DIVERGED] == 1 and np.isnan(agent.q).any()


def test_run_steps_is_compiled() -> None:
    assert hasattr(run_steps, "signatures") and run_steps.signatures

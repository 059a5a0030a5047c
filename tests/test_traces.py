"""Eligibility traces and Dyna planning: hand-computed updates, lambda = 0 and 0 planning steps
equal to the one-step agents, and the compiled kernel equal to the Python agents bit for bit."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from kernelref import ScriptedRandom, reference_act

from agents.config import ConfigError, TabularConfig
from agents.fast import I_NEXT_ACTION, I_STATE, I_UPOS, N_ISTATE, TabularModel, TurboRunner
from agents.schedules import ConstantSchedule
from agents.session import TrainingSession
from agents.tabular import QLearning, Sarsa, make_tabular
from agents.traces import TRACE_FLOOR
from agents.turbokernel import run_steps
from levels.envs import make_env
from levels.generate import generate_maze

LEFT, RIGHT = 0, 1
KINDS = ["q-learning", "sarsa", "expected-sarsa"]


# ---- hand-computed updates -----------------------------------------------------------------
@pytest.mark.parametrize("trace", ["replacing", "accumulating"])
def test_sarsa_lambda_on_a_three_state_chain(trace: str) -> None:
    """Chain 0 -> 1 -> 2 (terminal, +1) with a revisit of state 0 first; alpha .5, gamma .9,
    lambda .8, so the trace of a pair decays by 0.72 per step."""
    agent = Sarsa(3, 2, alpha=0.5, gamma=0.9, epsilon=0.0, lam=0.8, trace=trace)
    agent.q[0, RIGHT], agent.q[1, RIGHT] = 0.2, 0.4
    # 1) right from 0 bumps back into 0 (reward 0): delta = 0.9*0.2 - 0.2 = -0.02
    u1 = agent.update(0, RIGHT, 0.0, 0, False, next_action=RIGHT)
    assert u1.td_error == pytest.approx(-0.02)
    assert agent.q[0, RIGHT] == pytest.approx(0.2 - 0.01)  # 0.19, trace now 0.72
    # 2) right from 0 to 1: delta = 0.9*0.4 - 0.19 = 0.17; e(0,R) = 1 (replacing) or 1.72
    e = 1.0 if trace == "replacing" else 1.72
    u2 = agent.update(0, RIGHT, 0.0, 1, False, next_action=RIGHT)
    assert u2.td_error == pytest.approx(0.17)
    assert u2.eligibility == pytest.approx(e)
    q0 = 0.19 + 0.5 * 0.17 * e
    assert agent.q[0, RIGHT] == pytest.approx(q0)
    assert u2.new_q == agent.q[0, RIGHT]
    # 3) right from 1 into the goal: delta = 1 - 0.4 = 0.6 credits (1,R) fully, (0,R) by e*0.72
    u3 = agent.update(1, RIGHT, 1.0, 2, True)
    assert u3.td_error == pytest.approx(0.6)
    assert agent.q[1, RIGHT] == pytest.approx(0.4 + 0.3)
    assert agent.q[0, RIGHT] == pytest.approx(q0 + 0.5 * 0.6 * e * 0.72)
    assert agent.q[:, LEFT].tolist() == [0.0, 0.0, 0.0]
    assert len(agent.traces) == 0  # the episode ended


def test_watkins_q_lambda_cuts_traces_after_an_exploratory_action() -> None:
    def run(second_action: int) -> QLearning:
        agent = QLearning(3, 2, alpha=0.5, gamma=0.9, lam=0.8)
        agent.q[1] = [0.0, 1.0]  # RIGHT is greedy in state 1
        agent.update(0, RIGHT, 0.0, 1, False)  # delta = 0.9 * 1 = 0.9 -> Q(0,R) = 0.45
        assert len(agent.traces) == 1
        agent.update(1, second_action, 0.0, 2, False)
        return agent

    greedy = run(RIGHT)  # delta = 0 - 1 = -1 also reaches (0,R) through its trace 0.72
    assert greedy.q[0, RIGHT] == pytest.approx(0.45 - 0.5 * 0.72)
    explored = run(LEFT)  # exploratory: the trace of (0,R) is cut before the update
    assert explored.q[0, RIGHT] == pytest.approx(0.45)
    assert explored.q[1, LEFT] == pytest.approx(0.0)  # delta = 0 + 0.9*0 - 0
    states, actions, values = explored.traces.active()
    assert (states.tolist(), actions.tolist()) == ([1], [LEFT])
    assert values.tolist() == pytest.approx([0.72])


def test_sarsa_keeps_its_traces_through_exploratory_actions() -> None:
    agent = Sarsa(3, 2, alpha=0.5, gamma=0.9, lam=0.8)
    agent.q[1] = [0.0, 1.0]
    agent.update(0, RIGHT, 0.0, 1, False, next_action=LEFT)
    before = float(agent.q[0, RIGHT])
    agent.update(1, LEFT, 1.0, 2, True)
    assert agent.q[0, RIGHT] == pytest.approx(before + 0.5 * 1.0 * 0.72)


def test_traces_fall_off_below_the_floor() -> None:
    agent = QLearning(200, 1, alpha=0.1, gamma=0.9, lam=0.9)
    for s in range(199):
        agent.update(s, 0, 0.0, s + 1, False)
    longest = int(np.log(TRACE_FLOOR) / np.log(0.81))  # 0.81**k >= floor for k = 1..43
    assert len(agent.traces) == longest
    states, _, values = agent.traces.active()
    assert states.tolist() == list(range(199 - longest, 199))
    assert values.min() >= TRACE_FLOOR


def test_one_planning_step_replays_the_only_transition() -> None:
    agent = QLearning(2, 1, alpha=0.5, gamma=0.9, planning_steps=1, seed=0)
    agent.update(0, 0, 1.0, 1, True)  # real: 0 -> 0.5; imagined: 0.5 -> 0.75
    assert agent.q[0, 0] == 0.75
    assert agent.model.known().tolist() == [[True], [False]]
    assert [x.tolist() for x in agent.model.last_planned(5)] == [[0], [0]]


def test_the_model_forgets_edited_states() -> None:
    agent = QLearning(4, 2, planning_steps=3, seed=0)
    agent.update(0, 1, 0.0, 1, False)
    agent.update(1, 1, 0.0, 2, False)
    agent.update(2, 0, 1.0, 3, True)
    agent.forget_states([1])
    assert agent.model.known()[:, :].sum() == 2 and not agent.model.known()[1].any()
    for _ in range(50):  # planning never draws the forgotten state
        agent.update(0, 1, 0.0, 1, False)
        assert 1 not in agent.model.last_planned(3)[0].tolist()


# ---- lambda = 0 and 0 planning steps are the one-step agents -------------------------------
class OneStep:
    """The textbook one-step update beside an agent's own act(): the reference the trace and
    Dyna machinery must reproduce exactly when lambda = 0 and planning steps = 0."""

    def __init__(self, agent) -> None:
        object.__setattr__(self, "agent", agent)

    def __getattr__(self, name):
        return getattr(self.agent, name)

    def __setattr__(self, name, value):  # the session sets epsilon and rng on its agent
        setattr(self.agent, name, value)

    def update(self, s, a, r, s2, term, next_action=None, truncated=False):
        agent = self.agent
        if term:
            bootstrap = 0.0
        elif agent.kind == "sarsa":
            bootstrap = float(agent.q[s2, next_action])
        elif agent.kind == "q-learning":
            bootstrap = float(agent.q[s2].max())
        else:
            row = agent.q[s2].tolist()
            bootstrap = agent.epsilon * (sum(row) / len(row)) + (1 - agent.epsilon) * max(row)
        old = float(agent.q[s, a])
        agent.q[s, a] = old + agent.alpha * ((r + agent.gamma * bootstrap) - old)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("trace", ["replacing", "accumulating"])
def test_lambda_zero_is_the_one_step_agent_in_the_python_path(kind: str, trace: str) -> None:
    def train(agent) -> np.ndarray:
        env, _ = make_env("cliff")
        agent.epsilon_schedule = ConstantSchedule(0.2)
        session = TrainingSession(env, agent, seed=5)
        session.advance(3000)
        return agent.q

    n = make_env("cliff")[0].observation_space.n
    ours = train(make_tabular(kind, n, 4, alpha=0.3, gamma=0.95, lam=0.0, trace=trace))
    reference = train(OneStep(make_tabular(kind, n, 4, alpha=0.3, gamma=0.95)))
    assert ours.tobytes() == reference.tobytes()
    assert np.count_nonzero(ours) > 20  # it did learn something


def test_dyna_with_no_planning_steps_is_plain_q_learning() -> None:
    env, _ = make_env("cliff")
    n = env.observation_space.n
    agent = make_tabular("q-learning", n, 4, alpha=0.3, gamma=0.95, epsilon=0.2,
                         planning_steps=0)
    TrainingSession(env, agent, seed=5).advance(3000)
    env, _ = make_env("cliff")
    reference = OneStep(make_tabular("q-learning", n, 4, alpha=0.3, gamma=0.95, epsilon=0.2))
    TrainingSession(env, reference, seed=5).advance(3000)
    assert agent.q.tobytes() == reference.q.tobytes()
    assert not agent.model.known().any()  # nothing is planned, so nothing is modelled


# ---- the compiled kernel is the Python agent ----------------------------------------------
def _reference(env: gym.Env, agent, eps: float, uniforms: np.ndarray, n_steps: int) -> int:
    """``n_steps`` through gymnasium's ``step`` and the agent's ``update``, every random number
    (actions, outcomes, resets, planning) from one stream in the kernel's order."""
    stream = ScriptedRandom(uniforms)
    base = env.unwrapped
    env.reset(seed=0)
    base.s = 0
    base.np_random = stream
    if hasattr(agent, "rng"):
        agent.rng = stream
    agent.epsilon = eps
    s, a_next = 0, None
    for _ in range(n_steps):
        a = a_next
        if a is None:
            a = reference_act(agent.q[s], eps, stream.random(), stream.random())
        s2, r, term, trunc, _ = env.step(a)
        a_next = na = None
        if agent.needs_next_action and not term:
            na = reference_act(agent.q[s2], eps, stream.random(), stream.random())
            a_next = None if trunc else na
        agent.update(s, a, r, s2, term, next_action=na, truncated=trunc)
        if term or trunc:
            s = int(env.reset()[0])
            if hasattr(agent, "start_episode"):
                agent.start_episode()
        else:
            s = int(s2)
    return stream.pos


def _turbo(make, agent, eps: float, uniforms: np.ndarray, n_steps: int) -> int:
    env = make()
    runner = TurboRunner(TabularModel.from_env(env), run_steps)
    istate = np.zeros(N_ISTATE, dtype=np.int64)
    istate[I_STATE], istate[I_NEXT_ACTION] = 0, -1
    runner.preload_uniforms(uniforms)
    n_s, n_a = agent.q.shape
    steps, _ = runner.run(agent, (0, eps, 0.0, 0.0), n_steps, 10_000, istate, np.zeros(1),
                          np.zeros(n_s, dtype=np.int64), np.full((n_s, n_a), np.nan),
                          np.zeros(64, dtype=np.int64))
    assert steps == n_steps
    return int(istate[I_UPOS])


ENVS = {
    "frozenlake": lambda: gym.make("FrozenLake-v1", is_slippery=True, max_episode_steps=9),
    "taxi": lambda: gym.make("Taxi-v4", max_episode_steps=25),
}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("env_name", list(ENVS))
@pytest.mark.parametrize("knobs", [
    {"lam": 0.0}, {"lam": 0.9, "trace": "replacing"}, {"lam": 0.8, "trace": "accumulating"},
    {"planning_steps": 7}, {"lam": 0.7, "planning_steps": 3},
], ids=["one-step", "replacing", "accumulating", "dyna", "both"])
def test_kernel_matches_the_python_agent_bit_for_bit(kind: str, env_name: str,
                                                     knobs: dict) -> None:
    make = ENVS[env_name]
    env = make()
    n_s, n_a = env.observation_space.n, env.action_space.n
    eps, n_steps = 0.3, 500
    uniforms = np.random.default_rng(11).random(40 * n_steps)
    ref = make_tabular(kind, n_s, n_a, alpha=0.5, gamma=0.9, **knobs)
    used = _reference(env, ref, eps, uniforms, n_steps)
    fast = make_tabular(kind, n_s, n_a, alpha=0.5, gamma=0.9, **knobs)
    assert _turbo(make, fast, eps, uniforms, n_steps) == used
    assert fast.q.tobytes() == ref.q.tobytes()
    for mine, theirs in zip(fast.traces.active(), ref.traces.active()):
        assert mine.tobytes() == theirs.tobytes()
    np.testing.assert_array_equal(fast.traces.slot, ref.traces.slot)
    for mine, theirs in zip(fast.model.arrays(), ref.model.arrays()):
        np.testing.assert_array_equal(mine, theirs)


def test_turbo_traces_stay_sparse_on_a_64x64_maze() -> None:
    from levels.gridmaze import GridMazeEnv

    env = GridMazeEnv(generate_maze(64, 64, seed=1))
    agent = make_tabular("sarsa", env.observation_space.n, 4, lam=0.9, gamma=0.99, epsilon=0.1)
    session = TrainingSession(env, agent, seed=0, turbo=True)
    report = session.advance(20_000)
    assert report.turbo and report.steps == 20_000
    bound = int(np.log(TRACE_FLOOR) / np.log(0.99 * 0.9)) + 1
    assert 0 < len(agent.traces) <= bound


# ---- knobs ---------------------------------------------------------------------------------
def test_knobs_are_range_checked_everywhere() -> None:
    assert TabularConfig(lam=0.5, trace="accumulating", planning_steps=5.0).planning_steps == 5
    for bad in ({"lam": 1.5}, {"trace": "dutch"}, {"planning_steps": 2.5},
                {"planning_steps": -1}):
        with pytest.raises(ConfigError):
            TabularConfig(**bad)
        with pytest.raises(ConfigError):
            make_tabular("sarsa", 4, 2, **bad)
    agent = make_tabular("q-learning", 4, 2)
    with pytest.raises(ConfigError, match="lam"):
        agent.lam = -0.1
    agent.planning_steps = 3.0
    assert agent.planning_steps == 3 and isinstance(agent.planning_steps, int)


def test_session_changes_the_knobs_live_and_fresh_agents_keep_them() -> None:
    env, _ = make_env("cliff")
    session = TrainingSession(env, make_tabular("sarsa", env.observation_space.n, 4), seed=0)
    session.set_hyperparameters(lam=0.7, trace="accumulating", planning_steps=4)
    agent = session.agent
    assert (agent.lam, agent.trace, agent.planning_steps) == (0.7, "accumulating", 4)
    hp = session.hyperparameters()
    assert (hp["lam"], hp["trace"], hp["planning_steps"]) == (0.7, "accumulating", 4)
    fresh = agent.for_spaces(gym.spaces.Discrete(10), gym.spaces.Discrete(4))
    assert (fresh.lam, fresh.trace, fresh.planning_steps) == (0.7, "accumulating", 4)
    with pytest.raises(ConfigError):
        session.set_hyperparameters(planning_steps=-3)

"""TrainingSession: both paths, live hyperparameters, modes, seeds, hand-over, snapshots."""

from __future__ import annotations

import sys

import gymnasium as gym
import numpy as np
import pytest

from agents.config import ConfigError
from agents.course import EVAL_SEEDS, FROZENLAKE, TAXI
from agents.evaluation import evaluate
from agents.fast import TabularModel
from agents.planning import value_iteration
from agents.schedules import ConstantSchedule, ExponentialSchedule
from agents.session import HISTORY, TrainingSession
from agents.tabular import QLearning, TDUpdate, make_tabular
from levels.envs import make_env


def _session(env_id="FrozenLake-v1", kind="q-learning", seed=0, turbo=False, schedule=None,
             **env_kwargs) -> TrainingSession:
    env = gym.make(env_id, **env_kwargs)
    agent = make_tabular(kind, env.observation_space.n, env.action_space.n, alpha=0.5, gamma=0.9)
    agent.epsilon_schedule = schedule or ConstantSchedule(0.3)
    return TrainingSession(env, agent, seed=seed, turbo=turbo)


def _course(hp: dict, env_id: str, seed: int, **kwargs) -> tuple[TrainingSession, gym.Env]:
    env = gym.make(env_id, max_episode_steps=hp["max_steps"], **kwargs)
    agent = make_tabular("q-learning", env.observation_space.n, env.action_space.n,
                         alpha=hp["learning_rate"], gamma=hp["gamma"])
    agent.epsilon_schedule = ExponentialSchedule(hp["max_epsilon"], hp["min_epsilon"],
                                                 hp["decay_rate"])
    return TrainingSession(env, agent, seed=seed, turbo=True), env


def test_course_frozenlake_4x4_non_slippery_reaches_1() -> None:
    """The course's FrozenLake settings (10,000 episodes). Margin, measured on seeds 0-9: every
    seed scores 1.0 on the course's seeds, in 6 steps, from 250 episodes on (40x the budget)."""
    session, env = _course(FROZENLAKE, "FrozenLake-v1", 0, map_name="4x4", is_slippery=False)
    report = session.advance(sys.maxsize, max_episodes=FROZENLAKE["n_training_episodes"])
    assert report.turbo and len(report.episodes) == 10_000
    assert evaluate(env, session.agent, list(EVAL_SEEDS)).mean_reward == 1.0


def test_course_taxi_comes_within_0_2_of_the_optimum_on_the_course_seeds() -> None:
    """The course's Taxi settings and its 100 evaluation seeds: every passenger delivered and a
    mean reward within 0.2 (20 extra steps over the 100 episodes) of the optimal policy's.

    The course's own bar, 7.5, sits just under the optimum (7.56 on these seeds), too close for a
    test: training seed 6 scores 7.46. Measured on training seeds 0-9: 7.44-7.56 with every
    passenger delivered from 10,000 episodes on, 7.46-7.56 at the 25,000 trained here (2.5x the
    episodes the bar needs; at 5,000 seed 4 scores 7.34).
    """
    eval_env = gym.make("Taxi-v4", max_episode_steps=99)
    optimal = QLearning(500, 6, seed=0)
    optimal.q[:] = value_iteration(eval_env.unwrapped.P, TAXI["gamma"])
    best = evaluate(eval_env, optimal, list(EVAL_SEEDS)).mean_reward
    assert best == pytest.approx(7.56)
    session, _ = _course(TAXI, "Taxi-v4", 0)
    report = session.advance(sys.maxsize, max_episodes=TAXI["n_training_episodes"])
    assert report.turbo and len(report.episodes) == 25_000
    result = evaluate(eval_env, session.agent, list(EVAL_SEEDS))
    assert result.success_rate == 1.0 and result.mean_reward >= best - 0.2


@pytest.mark.parametrize("turbo", [True, False], ids=["turbo", "python"])
def test_same_seed_same_q_table_bit_for_bit(turbo: bool) -> None:
    def run(seed: int) -> bytes:
        s = _session("Taxi-v4", seed=seed, turbo=turbo)
        report = s.advance(5000)
        assert report.turbo is turbo
        return s.agent.q.tobytes()

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_turbo_result_does_not_depend_on_chunking() -> None:
    one = _session("Taxi-v4", seed=4, turbo=True)
    one.advance(20_000)
    many = _session("Taxi-v4", seed=4, turbo=True)
    while many.total_steps < 20_000:
        many.advance(min(777, 20_000 - many.total_steps), time_budget_s=0.0)
    assert one.agent.q.tobytes() == many.agent.q.tobytes()
    assert one.episode == many.episode


@pytest.mark.parametrize("turbo", [True, False], ids=["turbo", "python"])
def test_reset_gives_a_fresh_reproducible_run(turbo: bool) -> None:
    s = _session("CliffWalking-v1", seed=3, turbo=turbo)
    s.advance(3000)
    first = s.agent.q.copy()
    s.advance(500)
    s.reset(3)
    assert s.total_steps == 0 and s.episode == 0 and not s.snapshot().visits.any()
    s.advance(3000)
    assert s.agent.q.tobytes() == first.tobytes()


def test_record_returns_the_update_arithmetic() -> None:
    s = _session("CliffWalking-v1", turbo=True)
    report = s.advance(200, record=True)
    assert not report.turbo and len(report.transitions) == 200
    for t in report.transitions:
        u = t.update
        assert isinstance(u, TDUpdate) and (u.state, u.action) == (t.state, t.action)
        assert u.target == u.reward + u.gamma * u.bootstrap
        assert u.new_q == u.old_q + u.alpha * u.td_error
    last = report.transitions[-1].update
    assert s.agent.q[last.state, last.action] == last.new_q


def test_hyperparameter_change_is_used_by_the_next_update() -> None:
    s = _session("CliffWalking-v1")
    s.advance(50)
    s.set_hyperparameters(alpha=0.25, gamma=0.5)
    u = s.advance(1, record=True).transitions[0].update
    assert (u.alpha, u.gamma) == (0.25, 0.5)
    with pytest.raises(ConfigError, match="alpha must be between 0 and 1"):
        s.set_hyperparameters(gamma=0.7, alpha=1.5)
    assert (s.agent.alpha, s.agent.gamma) == (0.25, 0.5)  # nothing applied
    with pytest.raises(ConfigError, match="unknown hyperparameter"):
        s.set_hyperparameters(lr=0.1)


def test_turbo_reads_live_alpha_and_epsilon() -> None:
    s = _session("CliffWalking-v1", turbo=True)
    s.advance(1000)
    s.set_hyperparameters(alpha=0.0)
    before = s.agent.q.copy()
    assert s.advance(2000).turbo
    assert np.array_equal(before, s.agent.q)  # alpha 0: nothing moves
    s.set_hyperparameters(alpha=0.5, schedule="constant", epsilon=0.2)
    assert s.epsilon == 0.2
    s.advance(2000)
    assert not np.array_equal(before, s.agent.q)


def test_exponential_schedule_follows_learning_episodes() -> None:
    sched = ExponentialSchedule(1.0, 0.05, 0.01)
    s = _session("FrozenLake-v1", turbo=True, schedule=sched, is_slippery=False)
    s.advance(sys.maxsize, max_episodes=123)
    assert s.episode == 123 and s.epsilon == sched.value(0, 123)
    s.set_mode("greedy")
    assert s.epsilon == 0.0


def test_greedy_mode_does_not_change_q_but_counts_episodes() -> None:
    s = _session("FrozenLake-v1", turbo=True, is_slippery=True)
    s.advance(3000)
    q = s.agent.q.copy()
    s.set_mode("greedy")
    episodes = s.episode
    report = s.advance(2000)
    assert not report.turbo and report.episodes and s.episode > episodes
    assert s.snapshot().mode == "greedy" and np.array_equal(q, s.agent.q)
    s.set_mode("learn")
    s.advance(500)
    assert not np.array_equal(q, s.agent.q)
    with pytest.raises(ValueError, match="mode must be"):
        s.set_mode("demo")


def test_manual_step_learns_the_course_mouse_example() -> None:
    env, _ = make_env("mouse")
    agent = make_tabular("q-learning", env.observation_space.n, 4, alpha=0.1, gamma=0.99,
                         epsilon=0.0)
    s = TrainingSession(env, agent)
    start = s.state
    t = s.manual_step(2)  # right, onto the small cheese
    assert t.update.new_q == pytest.approx(0.1) and agent.q[start, 2] == t.update.new_q
    assert s.snapshot().position == (0, 1)
    t = s.manual_step(1)  # down, into the poison
    assert t.terminated and t.update.new_q == pytest.approx(-1.0)
    with pytest.raises(ValueError, match="action must be one of 0..3"):
        s.manual_step(7)


def test_sarsa_takes_the_next_action_it_bootstrapped_from() -> None:
    s = _session("CliffWalking-v1", kind="sarsa", turbo=False)
    s.agent.q[:] = np.random.default_rng(0).normal(size=s.agent.q.shape)
    q = s.agent.q.copy()
    ts = s.advance(400, record=True).transitions
    checked = 0
    for now, nxt in zip(ts, ts[1:], strict=False):
        if not (now.terminated or now.truncated):
            assert nxt.state == now.next_state
            assert now.update.bootstrap == q[now.next_state, nxt.action]
            checked += 1
        q[now.state, now.action] = now.update.new_q
    assert checked > 300


@pytest.mark.parametrize("turbo", [True, False], ids=["turbo", "python"])
def test_divergence_stops_until_reset(turbo: bool) -> None:
    s = _session("FrozenLake-v1", turbo=turbo)
    s.agent.q[:] = np.inf
    report = s.advance(100)
    assert report.error and "diverged" in report.error and report.steps == 1
    again = s.advance(100)
    assert again.steps == 0 and again.error == report.error
    with pytest.raises(RuntimeError, match="diverged"):
        s.manual_step(0)
    s.reset()
    assert s.error is None and s.advance(100).steps == 100


def test_turbo_and_python_hand_over_mid_episode() -> None:
    s = _session("FrozenLake-v1", turbo=True, is_slippery=True, max_episode_steps=7)
    model = TabularModel.from_env(s.env)
    lengths = []
    for _ in range(300):
        lengths += [e.length for e in s.advance(5).episodes]
        before = s.snapshot()
        report = s.advance(3, record=True)
        first = report.transitions[0]
        assert first.state == before.state
        assert model.prob[first.state, first.action][
            model.next_state[first.state, first.action] == first.next_state].sum() > 0
        ended = [t for t in report.transitions if t.terminated or t.truncated]
        for t, episode in zip(ended, report.episodes, strict=True):
            assert episode.length == 7 if t.truncated else episode.length <= 7
        lengths += [e.length for e in report.episodes]
    assert max(lengths) == 7 and all(1 <= n <= 7 for n in lengths)


def test_snapshot_position_trail_and_path() -> None:
    s = _session("FrozenLake-v1", is_slippery=False)
    report = s.advance(500, record=True)
    snap = s.snapshot()
    assert snap.position == divmod(snap.state, 4)
    ends = [i for i, t in enumerate(report.transitions) if t.terminated or t.truncated]
    a, b = (ends[-2] + 1 if len(ends) > 1 else 0), ends[-1]
    expected = [report.transitions[a].state] + [t.next_state for t in report.transitions[a:b + 1]]
    assert snap.trail == expected
    assert snap.current_path[-1] == snap.state and len(snap.current_path) == snap.episode_step + 1
    assert snap.q.shape == (16, 4) and snap.q is not s.agent.q
    assert snap.visits.sum() == 500 and snap.returns.shape == (s.episode,)


def test_turbo_trail_is_a_possible_path() -> None:
    s = _session("FrozenLake-v1", turbo=True, is_slippery=True)
    s.advance(5000)
    model = TabularModel.from_env(s.env)
    trail = s.snapshot().trail
    assert trail[0] == 0 and len(trail) >= 2
    reachable = {(st, int(n)) for st in range(16) for n in model.next_state[st][model.prob[st] > 0]}
    assert all((x, y) in reachable for x, y in zip(trail, trail[1:], strict=False))


def test_history_is_bounded() -> None:
    s = _session("FrozenLake-v1", turbo=True, is_slippery=False)
    s.advance(sys.maxsize, max_episodes=HISTORY + 500)
    snap = s.snapshot()
    assert s.episode == HISTORY + 500 and len(snap.returns) == len(snap.lengths) == HISTORY


def test_replace_env_keeps_or_refreshes_the_table() -> None:
    env, _ = make_env("maze_small")
    agent = make_tabular("q-learning", env.observation_space.n, 4)
    s = TrainingSession(env, agent, turbo=True)
    s.advance(3000)
    q = agent.q.copy()
    changed = int(np.flatnonzero(q.any(axis=1))[0])
    edited, _ = make_env("maze_small")
    old = s.replace_env(edited, keep_q=True, changed_states=[changed])
    assert old is env and s.env is edited and s.agent is agent
    assert not agent.q[changed].any()
    assert np.array_equal(np.delete(agent.q, changed, 0), np.delete(q, changed, 0))
    bigger, _ = make_env("maze_ice")
    s.replace_env(bigger, keep_q=True)
    assert s.agent.q.shape == (bigger.observation_space.n, 4) and not s.agent.q.any()
    assert s.advance(1000).turbo


# ---- DQN in a session: edited levels and live epsilon knobs ----------------------------------
DQN_MAZE = "name: small\nmax_steps: 30\nS..#\n.#..\n...#\n#.CG\n"


def _dqn_session(text: str = DQN_MAZE, **hp) -> TrainingSession:
    from agents.dqn import DQN
    from levels.gridmaze import GridMazeEnv
    from levels.level import Level

    env = GridMazeEnv(Level.from_text(text))
    settings = dict(hidden=(16,), learning_starts=20, batch_size=8, train_freq=1,
                    total_steps=1000, exploration_fraction=0.5, learning_rate=1e-3)
    agent = DQN(env.observation_space, env.action_space, device="cpu", **{**settings, **hp})
    return TrainingSession(env, agent, seed=2)


def test_a_dqn_follows_an_edit_that_changes_the_state_count() -> None:
    from levels.gridmaze import GridMazeEnv
    from levels.level import Level

    s = _dqn_session()
    s.set_hyperparameters(batch_size=4, gamma=0.9)
    s.advance(200)
    old = s.agent
    assert old.num_updates > 0 and s.snapshot().q.shape == (16, 4)
    same = GridMazeEnv(Level.from_text(DQN_MAZE.replace("S..#", "S.##")))  # still 16 states
    s.replace_env(same, keep_q=True, changed_states=[2])
    assert s.agent is old and s.agent_notice is None
    cheese = GridMazeEnv(Level.from_text(DQN_MAZE.replace("S..#", "Sc.#")))  # 32 states
    returned = s.replace_env(cheese, keep_q=True)
    assert returned is same and s.env is cheese
    new = s.agent
    assert new is not old and new.kind == "dqn" and "network was reset" in s.agent_notice
    assert new.config == old.config and new.device == old.device and new.seed == old.seed
    assert new.num_steps == 0 and new.replay_size == 0 and new.n_inputs == 32
    assert s.schedule is new.epsilon_schedule and s.epsilon == new.epsilon_start
    assert s.snapshot().q.shape == (32, 4) and s.state_q().shape == (4,)
    report = s.advance(200)
    assert report.steps == 200 and report.error is None and new.num_updates > 0
    assert s.epsilon == pytest.approx(new.epsilon_at(new.num_steps))
    assert np.isfinite(new.q_values(np.arange(32))).all()
    assert s.snapshot().visits.shape == (32,) and s.snapshot().visits.sum() == 200


def test_a_tabular_reset_by_an_edit_is_reported_too() -> None:
    env, _ = make_env("maze_small")
    s = TrainingSession(env, make_tabular("sarsa", env.observation_space.n, 4, alpha=0.3))
    s.advance(500)
    s.replace_env(make_env("maze_ice")[0], keep_q=True)
    assert s.agent_notice == "the Q-table was reset"
    assert s.agent.kind == "sarsa" and s.agent.alpha == 0.3


def test_live_dqn_epsilon_knobs_reach_the_next_act() -> None:
    s = _dqn_session()
    agent = s.agent
    seen: list[float] = []
    act = agent.act
    agent.act = lambda state: seen.append(agent.epsilon) or act(state)
    s.advance(100)
    assert seen[-1] == pytest.approx(1.0 - 0.95 * 99 / 500)  # the linear decay, step 99
    s.set_hyperparameters(epsilon_start=0.3, epsilon_end=0.3)
    assert s.schedule is agent.epsilon_schedule and s.epsilon == pytest.approx(0.3)
    s.advance(1)
    assert seen[-1] == pytest.approx(0.3)
    s.set_hyperparameters(epsilon_end=0.2, exploration_fraction=0.05)  # decay over 50 steps: done
    s.advance(1)
    assert seen[-1] == pytest.approx(0.2) and s.epsilon == pytest.approx(0.2)
    s.set_hyperparameters(epsilon=0.7)  # a DQN's epsilon pins its schedule
    s.advance(1)
    assert seen[-1] == pytest.approx(0.7) and agent.config.epsilon_end == 0.7
    with pytest.raises(ConfigError, match="no hyperparameter 'epsilon_min'"):
        s.set_hyperparameters(epsilon_min=0.1)  # a tabular schedule knob: not a DQN's
    s.reset()
    assert s.schedule is agent.epsilon_schedule and s.epsilon == pytest.approx(0.7)


def test_tabular_epsilon_knobs_rebuild_the_agents_schedule() -> None:
    s = _session()
    agent = s.agent
    s.set_hyperparameters(schedule="exponential", epsilon=0.8, epsilon_min=0.1,
                          epsilon_decay=0.01)
    assert s.schedule is agent.epsilon_schedule
    assert agent.epsilon_schedule == ExponentialSchedule(0.8, 0.1, 0.01)
    assert s.hyperparameters()["epsilon_min"] == 0.1
    with pytest.raises(ConfigError, match="gamma must be between 0 and 1"):
        s.set_hyperparameters(epsilon=0.5, gamma=2.0)  # all or nothing
    assert agent.epsilon_schedule == ExponentialSchedule(0.8, 0.1, 0.01) and agent.gamma == 0.9
    with pytest.raises(ConfigError, match="unknown hyperparameter 'learning_rate'"):
        s.set_hyperparameters(learning_rate=0.1)  # a DQN knob: not a tabular agent's


# ---- set_level: the session decides what an edit keeps -----------------------------------------
MAZE = "name: m\nmax_steps: 50\nS...\n.#..\n..c.\n...G\n"


def _level_session() -> TrainingSession:
    from levels.gridmaze import GridMazeEnv
    from levels.level import Level

    env = GridMazeEnv(Level.from_text(MAZE))
    agent = make_tabular("q-learning", env.observation_space.n, 4, initial_q=0.5)
    return TrainingSession(env, agent, seed=1)


def test_set_level_keeps_learning_and_forgets_only_the_changed_cells() -> None:
    from levels.level import Level

    s = _level_session()
    s.advance(500)
    agent, old_env = s.agent, s.env
    agent.q[:] = 7.0
    edited = Level.from_text(MAZE.replace("S...", "S.#."))
    change = s.set_level(edited)
    assert change.kept and change.changed_cells == {(0, 2)} and change.old_env is old_env
    assert change.reason == "Level edited: Q-values of 1 changed cell(s) reset, the rest kept"
    assert s.agent is agent and s.level == edited
    forgotten = [2, 2 + 16]  # cell (0, 2) with the cheese uneaten and eaten
    assert (agent.q[forgotten] == 0.5).all()
    assert (np.delete(agent.q, forgotten, 0) == 7.0).all()
    same = s.set_level(edited)
    assert same.kept and same.reason == "" and not same.changed_cells


def test_set_level_resets_when_the_states_mean_something_else() -> None:
    from levels.level import Level

    s = _level_session()
    s.advance(500)
    old = s.agent
    no_cheese = Level.from_text(MAZE.replace("..c.", "...."))
    change = s.set_level(no_cheese)
    assert not change.kept and s.agent is not old and s.agent.q.shape == (16, 4)
    assert change.reason == "The level now has 16 states (was 32): the Q-table was reset"
    reshaped = Level.from_text("name: m\nmax_steps: 50\nS.......\n.......G\n")  # 16 states
    change = s.set_level(reshaped)
    assert not change.kept and not change.changed_cells
    assert change.reason == "The level now has 16 states (was 16): the Q-table was reset"
    s.reset()
    env, _ = make_env("FrozenLake-v1")
    with pytest.raises(ValueError, match="needs a session training on a level"):
        TrainingSession(env, s.agent).set_level(reshaped)

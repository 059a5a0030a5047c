"""SessionWorker: the same run whatever the snapshots and chunking, commands at step boundaries,
nothing lost or corrupted, a clean stop."""

from __future__ import annotations

import threading
import time

import gymnasium as gym
import numpy as np
import pytest

from agents.schedules import ConstantSchedule
from agents.session import TrainingSession
from agents.tabular import make_tabular
from agents.worker import Pace, SessionWorker
from levels.gridmaze import GridMazeEnv
from levels.level import Level

MAZE = "name: m\nmax_steps: 60\nS.....\n.#..#.\n..c...\n.##.#.\n.....G\n"
EDITED = MAZE.replace("S.....", "S..#..")
WAIT = 30.0  # seconds a test waits for the worker at most (a busy machine is slow, not stuck)


def _maze_session(turbo: bool = True, seed: int = 3, kind: str = "q-learning",
                  **knobs) -> TrainingSession:
    env = GridMazeEnv(Level.from_text(MAZE))
    agent = make_tabular(kind, env.observation_space.n, 4, alpha=0.3, gamma=0.95, **knobs)
    agent.epsilon_schedule = ConstantSchedule(0.2)
    return TrainingSession(env, agent, seed=seed, turbo=turbo)


def _progress(worker: SessionWorker, past: int) -> int:
    """Wait until the playing worker has run beyond ``past`` steps; returns its count then.

    Waiting for progress, not for a time, keeps a test meaningful on a slow machine: the
    commands that follow land mid-run however long it took to get there."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        steps = worker.call(lambda s: s.total_steps).result(WAIT)
        if steps > past:
            return steps
        time.sleep(0.002)
    raise AssertionError(f"the worker made no progress past {past} steps in {WAIT:g} s")


def _lake_dqn_session(seed: int = 0) -> TrainingSession:
    from agents.dqn import DQN

    env = gym.make("FrozenLake-v1", is_slippery=False)
    agent = DQN(env.observation_space, env.action_space, device="cpu", seed=seed,
                learning_starts=32, batch_size=16, train_freq=2, hidden=(16,))
    return TrainingSession(env, agent, seed=seed)


def _hammer(worker: SessionWorker, stop: threading.Event) -> None:
    """A frame loop that asks for a snapshot as often as it can and reads it."""
    while not stop.is_set():
        worker.request_snapshot()
        snap = worker.latest
        if snap is not None:
            assert snap.session.total_steps >= 0
        time.sleep(0.0002)


def _run_interrupted(session: TrainingSession, steps: int, chunk: float) -> SessionWorker:
    worker = SessionWorker(session, chunk_seconds=chunk).start()
    stop = threading.Event()
    hammer = threading.Thread(target=_hammer, args=(worker, stop))
    hammer.start()
    try:
        report = worker.step(steps, record=False).result(WAIT)
    finally:
        stop.set()
        hammer.join()
        worker.stop()
    assert report.steps == steps
    return worker


@pytest.mark.parametrize("turbo", [True, False])
def test_a_run_interrupted_by_many_snapshots_equals_an_uninterrupted_one(turbo):
    steps = 60_000 if turbo else 3_000
    direct = _maze_session(turbo)
    direct.advance(steps)
    watched = _maze_session(turbo)
    worker = _run_interrupted(watched, steps, chunk=0.0003)  # many tiny chunks
    assert worker.latest is not None and worker.latest.serial > 3
    assert np.array_equal(watched.agent.q, direct.agent.q)
    assert watched.total_steps == direct.total_steps == steps
    assert np.array_equal(watched.snapshot().returns, direct.snapshot().returns)


@pytest.mark.parametrize("kind, knobs", [("q-learning", {}),
                                         ("sarsa", {"planning_steps": 3, "lam": 0.5})])
def test_how_steps_are_cut_into_compiled_calls_never_changes_what_is_learnt(kind, knobs):
    """The worker asks for long compiled calls, a frame loop for short ones: the smallest
    chunks, the frame loop's and the largest (whose pre-drawn numbers outgrow the buffer) learn
    the very same table from the same seed."""
    steps = 400_000
    runs = []
    for chunk_s in (1e-9, None, 1e3):
        session = _maze_session(kind=kind, **knobs)
        report = (session.advance(steps) if chunk_s is None
                  else session.advance(steps, chunk_s=chunk_s))
        assert report.turbo and report.steps == steps
        runs.append(session)
    first = runs[0]
    for other in runs[1:]:
        assert np.array_equal(other.agent.q, first.agent.q)
        assert other.episode == first.episode
        assert np.array_equal(other.snapshot().returns, first.snapshot().returns)


def test_a_dqn_run_interrupted_by_snapshots_equals_an_uninterrupted_one():
    direct = _lake_dqn_session()
    direct.advance(400)
    watched = _lake_dqn_session()
    _run_interrupted(watched, 400, chunk=0.0005)
    for a, b in zip(direct.agent.q_net.parameters(), watched.agent.q_net.parameters()):
        assert np.array_equal(a.detach().numpy(), b.detach().numpy())


def test_commands_land_between_steps_and_replay_exactly():
    """Pause, single steps, a slider change, an edit and a reset, sent while training at full
    speed: each lands between two steps (the worker says which), nothing is lost, and a session
    given the same commands at the same step counts ends with the very same table."""
    watched = _maze_session()
    worker = SessionWorker(watched, chunk_seconds=0.0005).start()
    at = {}

    def mark(name, fn):
        return worker.call(lambda s: (at.setdefault(name, s.total_steps), fn(s))[1])

    try:
        worker.play()
        _progress(worker, 0)
        mark("alpha", lambda s: s.set_hyperparameters(alpha=0.1)).result(WAIT)
        _progress(worker, at["alpha"])
        edit = mark("edit", lambda s: s.set_level(Level.from_text(EDITED))).result(WAIT)
        assert edit.kept and edit.changed_cells == {(0, 3)}
        _progress(worker, at["edit"])
        worker.pause()
        paused_at = worker.call(lambda s: s.total_steps).result(WAIT)
        one = worker.step(1).result(WAIT)
        assert one.steps == 1 and len(one.transitions) == 1  # a single step is recorded
        assert worker.call(lambda s: s.total_steps).result(WAIT) == paused_at + 1
        worker.play()
        _progress(worker, paused_at + 1)
        mark("reset", lambda s: s.reset(11)).result(WAIT)
        _progress(worker, 0)
        worker.pause()
        end = worker.call(lambda s: s.total_steps).result(WAIT)
        reports = worker.take_reports()
    finally:
        worker.stop()
    assert at["alpha"] > 0 and at["edit"] > at["alpha"] and at["reset"] > paused_at
    assert sum(r.steps for r in reports if r.steps) == at["reset"] + end  # every step reported

    replay = _maze_session()
    replay.advance(at["alpha"])
    replay.set_hyperparameters(alpha=0.1)
    replay.advance(at["edit"] - at["alpha"])
    replay.set_level(Level.from_text(EDITED))
    replay.advance(paused_at - at["edit"])
    replay.advance(1, record=True)
    replay.advance(at["reset"] - paused_at - 1)
    replay.reset(11)
    replay.advance(end)
    assert np.array_equal(watched.agent.q, replay.agent.q)
    assert np.isfinite(watched.agent.q).all()


def test_snapshots_are_copies_the_worker_never_writes_into():
    session = _maze_session()
    worker = SessionWorker(session, chunk_seconds=0.001).start()
    try:
        worker.request_snapshot()
        worker.step(10, record=False).result(WAIT)
        first = worker.latest
        deadline = time.monotonic() + WAIT
        while first is None and time.monotonic() < deadline:
            time.sleep(0.001)
            first = worker.latest
        frozen = first.session.q.copy()
        worker.step(20_000, record=False).result(WAIT)
        worker.request_snapshot()
        worker.call(lambda s: None).result(WAIT)
        assert np.array_equal(first.session.q, frozen)  # the old snapshot did not move
        assert worker.latest.serial > first.serial
        assert worker.latest.session.total_steps == 20_010
    finally:
        worker.stop()


def test_paced_play_keeps_to_its_speed_and_a_demo_pauses_after_its_episode():
    session = _maze_session(turbo=False)
    worker = SessionWorker(session).start()
    try:
        t0 = time.perf_counter()
        worker.play(Pace(steps_per_second=200.0, record=True))
        _progress(worker, 5)
        worker.pause()
        steps = worker.call(lambda s: s.total_steps).result(WAIT)
        elapsed = time.perf_counter() - t0
        assert steps <= 200 * elapsed + 1  # never ahead of the clock, however slow the machine
        worker.call(lambda s: s.set_mode("greedy")).result(WAIT)
        worker.play(Pace(max_episodes=1))
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            worker.request_snapshot()
            if worker.call(lambda s: s.greedy_episodes).result(WAIT) >= 1:
                break
            time.sleep(0.005)
        time.sleep(0.05)  # had it not paused, it would run further episodes meanwhile
        assert worker.call(lambda s: s.greedy_episodes).result(WAIT) == 1
        worker.request_snapshot()
        worker.call(lambda s: None).result(WAIT)
        assert not worker.latest.playing
    finally:
        worker.stop()


def test_errors_in_calls_reach_the_caller_and_the_worker_goes_on():
    from agents.config import ConfigError

    worker = SessionWorker(_maze_session()).start()
    try:
        with pytest.raises(ConfigError):
            worker.call(lambda s: s.set_hyperparameters(alpha=7.0)).result(WAIT)
        assert worker.step(5).result(WAIT).steps == 5
    finally:
        worker.stop()


def test_stop_joins_cleanly_while_training_at_full_speed():
    worker = SessionWorker(_maze_session()).start()
    worker.play()
    time.sleep(0.05)
    pending = [worker.call(lambda s: time.sleep(0.01)) for _ in range(100)]
    t0 = time.monotonic()
    worker.stop(timeout=WAIT)
    assert not worker.alive and time.monotonic() - t0 < WAIT
    assert worker.failure is None
    assert all(f.done() for f in pending)  # run or cancelled, none left hanging
    assert worker.latest is not None  # the final state was published
    worker.stop()  # a second stop is a no-op


def test_a_started_worker_has_a_snapshot_and_gives_back_the_switch_interval():
    import sys

    before = sys.getswitchinterval()
    worker = SessionWorker(_maze_session()).start()
    try:
        assert worker.latest is not None and worker.latest.session.total_steps == 0
        assert sys.getswitchinterval() <= before
    finally:
        worker.stop()
    assert sys.getswitchinterval() == before

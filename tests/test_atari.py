"""Atari through ale-py: lazy registration, the preprocessing pipeline, a DQN on frame stacks."""

from __future__ import annotations

import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation

from levels import atari
from levels.envs import EnvSpecError, make_env

pytest.importorskip("ale_py")


def play(env: gym.Env, seed: int, steps: int) -> list[np.ndarray]:
    obs, _ = env.reset(seed=seed)
    frames = [obs]
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        obs, _, term, trunc, _ = env.step(int(rng.integers(env.action_space.n)))
        frames.append(obs)
        if term or trunc:
            obs, _ = env.reset()
            frames.append(obs)
    return frames


def test_importing_the_env_resolver_does_not_load_ale():
    code = ("import sys, levels.envs, agents.cli; "
            "print('ale_py' in sys.modules, 'cv2' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120)
    assert out.stdout.split() == ["False", "False"]


@pytest.mark.parametrize("env_id", ["ALE/SpaceInvaders-v5", "SpaceInvadersNoFrameskip-v4"])
def test_make_env_matches_gymnasiums_wrappers_frame_for_frame(env_id):
    ours, resolved = make_env(env_id)
    assert resolved.env_id == env_id and resolved.notice is None
    assert ours.observation_space.shape == (4, 84, 84)
    assert ours.observation_space.dtype == np.uint8
    assert atari.action_names(ours) == ("NOOP", "FIRE", "RIGHT", "LEFT", "RIGHTFIRE",
                                        "LEFTFIRE")
    theirs = FrameStackObservation(AtariPreprocessing(gym.make(env_id, frameskip=1)), 4)
    for a, b in zip(play(ours, 3, 60), play(theirs, 3, 60), strict=True):
        np.testing.assert_array_equal(a, b)


def test_v4_noframeskip_equals_v5_without_sticky_actions():
    v4, _ = make_env("SpaceInvadersNoFrameskip-v4")
    v5, _ = make_env("ALE/SpaceInvaders-v5:repeat_action_probability=0.0")
    for a, b in zip(play(v4, 5, 40), play(v5, 5, 40), strict=True):
        np.testing.assert_array_equal(a, b)


def test_rewards_are_the_raw_game_score():
    env, _ = make_env("ALE/SpaceInvaders-v5")
    env.reset(seed=0)
    rewards = set()
    for _ in range(400):
        _, r, term, trunc, _ = env.step(1)  # FIRE
        rewards.add(r)
        if term or trunc:
            break
    assert max(rewards) > 1  # invaders are worth 5 to 30 points: nothing was clipped


def test_preprocessing_options_and_step_limit():
    env, resolved = make_env("ALE/Pong-v5:stack=2,terminal_on_life_loss=True", max_steps=5)
    assert env.observation_space.shape == (2, 84, 84)
    assert resolved.spec == "ALE/Pong-v5:stack=2,terminal_on_life_loss=True"
    env.reset(seed=0)
    done = [env.step(0)[3] for _ in range(5)]
    assert done == [False] * 4 + [True]


def test_bad_atari_specs_are_one_sentence():
    with pytest.raises(EnvSpecError, match="did you mean ALE/SpaceInvaders-v5"):
        make_env("ALE/SpaceInvader-v5")
    with pytest.raises(EnvSpecError, match="frameskip must stay 1"):
        make_env("ALE/SpaceInvaders-v5:frameskip=4")


@pytest.mark.slow
def test_dqn_on_space_invaders_trains_with_the_nature_cnn_and_frame_replay():
    from agents.dqn import DQN
    from agents.frame_replay import FrameReplay
    from agents.presets import preset_for
    from agents.session import TrainingSession

    env, _ = make_env("ALE/SpaceInvaders-v5", max_steps=40)
    hp = dict(preset_for("ALE/SpaceInvaders-v5"), buffer_size=500, learning_starts=30,
              batch_size=4)
    agent = DQN(env.observation_space, env.action_space, device="cpu", seed=0, **hp)
    assert agent.network_kind == "nature_cnn" and agent.config.clip_rewards
    assert agent.uses_frame_replay and agent.buffer is None
    session = TrainingSession(env, agent, seed=0)
    report = session.advance(60)
    assert report.error is None and agent.num_updates == len(range(32, 61, 4))
    assert len(report.episodes) == 1 and report.episodes[0].ret >= 0
    assert isinstance(agent.buffer, FrameReplay) and agent.buffer.size == 60
    assert agent._max_abs_reward <= 1.0  # learning saw clipped rewards only
    q = agent.q_values(session.state[None])
    assert q.shape == (1, 6) and np.isfinite(q).all()

"""The frame-once replay returns exactly the stacks a naive obs/next_obs buffer would."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch
from gymnasium.wrappers import FrameStackObservation

from agents.buffers import NStepAccumulator
from agents.frame_replay import FrameReplay


class RandomFrames(gym.Env):
    """Random 5x6 uint8 frames; episodes end after a random length (terminated or truncated)."""

    observation_space = gym.spaces.Box(0, 255, (5, 6), np.uint8)
    action_space = gym.spaces.Discrete(3)

    def __init__(self, max_len: int) -> None:
        self.max_len = max_len

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.left = int(self.np_random.integers(1, self.max_len + 1))
        return self._frame(), {}

    def _frame(self):
        return self.np_random.integers(0, 256, (5, 6), dtype=np.uint8)

    def step(self, action):
        self.left -= 1
        end = self.left == 0
        truncated = end and bool(self.np_random.integers(2))
        return self._frame(), float(action), end and not truncated, truncated, {}


def run(replay: FrameReplay, steps: int, max_len: int, n_step: int = 1, padding="reset",
        seed: int = 0) -> list[tuple]:
    """Drive a stacked env for ``steps`` steps into ``replay``; the naive rows, oldest first."""
    env = FrameStackObservation(RandomFrames(max_len), 4, padding_type=padding)
    rng = np.random.default_rng(seed)
    naive, by_pos = NStepAccumulator(n_step, 0.9), NStepAccumulator(n_step, 0.9)
    rows = []
    obs, _ = env.reset(seed=seed)
    for _ in range(steps):
        action = int(rng.integers(3))
        nxt, reward, term, trunc, _ = env.step(action)
        pos, next_pos = replay.register(obs, nxt)
        rows += naive.push(obs, action, reward, nxt, term, trunc)
        for row in by_pos.push(pos, action, reward, next_pos, term, trunc):
            replay.add(*row)
        obs = nxt
        if term or trunc:
            obs, _ = env.reset()
    return rows


def assert_same(replay: FrameReplay, rows: list[tuple]) -> None:
    held = replay.transitions()
    expected = rows[len(rows) - replay.size:]
    assert replay.size == len(expected) > 0
    np.testing.assert_array_equal(held["obs"], np.stack([r[0] for r in expected]))
    np.testing.assert_array_equal(held["actions"], [r[1] for r in expected])
    np.testing.assert_allclose(held["returns"], [r[2] for r in expected], rtol=1e-6)
    np.testing.assert_array_equal(held["next_obs"], np.stack([r[3] for r in expected]))
    np.testing.assert_allclose(held["discounts"], [r[4] for r in expected], rtol=1e-6)


def make(capacity: int, staged: bool = False) -> FrameReplay:
    return FrameReplay(capacity, (4, 5, 6), "cpu", torch.Generator().manual_seed(0),
                       stage_rows=7, staged=staged)


@pytest.mark.parametrize("staged", [False, True])
@pytest.mark.parametrize("n_step", [1, 3])
def test_matches_naive_buffer_across_episode_ends_and_wraparound(staged, n_step):
    replay = make(50, staged)
    rows = run(replay, 400, max_len=9, n_step=n_step)  # ~60 episodes, the ring wraps 8 times
    assert_same(replay, rows)
    # Stacks at episode starts repeat the reset frame (FrameStackObservation's padding), never
    # a frame of the previous episode: the naive rows prove it, and they matched.


def test_zero_padding_and_one_step_episodes_stay_exact():
    replay = make(40)
    rows = run(replay, 300, max_len=1, padding="zero")
    assert_same(replay, rows)
    assert replay.size < 40  # every episode costs extra frames: the oldest rows were dropped


def test_long_episodes_fill_the_whole_capacity():
    replay = make(60)
    rows = run(replay, 500, max_len=200)
    assert replay.size == 60
    assert_same(replay, rows)


def test_sampled_batches_are_held_transitions():
    replay = make(30)
    rows = run(replay, 100, max_len=8)
    batch = replay.sample(64)
    held = replay.transitions()
    assert batch.obs.shape == (64, 4, 5, 6) and batch.obs.dtype == torch.uint8
    keys = {(o.tobytes(), n.tobytes()) for o, n in zip(held["obs"], held["next_obs"])}
    for o, n in zip(batch.obs.numpy(), batch.next_obs.numpy()):
        assert (o.tobytes(), n.tobytes()) in keys
    assert len(rows) >= 30


@pytest.mark.parametrize("channels_last", [True, False])
def test_scaled_float_batches_are_the_stored_stacks_converted(channels_last):
    """A replay given the network's scale hands over float stacks, bit for bit what converting
    its uint8 stacks gives (the CPU's one-pass numba gather for channels-last), across episode
    ends and wrap-around, in the layout asked for."""
    plain, scaled = make(50), FrameReplay(50, (4, 5, 6), "cpu", torch.Generator().manual_seed(0),
                                          stage_rows=7, scale=1 / 255,
                                          channels_last=channels_last)
    run(plain, 400, max_len=9)
    run(scaled, 400, max_len=9)
    expected, batch = plain.sample(64), scaled.sample(64)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    for stored, floats in ((expected.obs, batch.obs), (expected.next_obs, batch.next_obs)):
        assert floats.dtype == torch.float32 and floats.is_contiguous(memory_format=layout)
        assert torch.equal(floats, stored.to(torch.float32).mul_(1 / 255))
        assert floats.max() <= 1.0 and floats.max() > 0.9
    assert torch.equal(batch.actions, expected.actions)


def test_memory_for_100k_atari_transitions_is_under_a_gigabyte():
    replay = FrameReplay(100_000, (4, 84, 84), "cpu", torch.Generator())
    naive = 100_000 * 2 * 4 * 84 * 84
    assert replay.nbytes < 0.75e9 < naive / 7  # ~0.72 GB against ~5.6 GB


def test_refuses_other_shapes():
    replay = make(10)
    with pytest.raises(ValueError, match="shape"):
        replay.register(np.zeros((3, 5, 6), np.uint8), np.zeros((3, 5, 6), np.uint8))

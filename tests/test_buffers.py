"""Replay ring and n-step accumulator: wrap-around, uniform sampling, returns computed by hand."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from agents.buffers import NStepAccumulator, ReplayBuffer


def make_buffer(capacity: int, seed: int = 0, **kw) -> ReplayBuffer:
    gen = torch.Generator().manual_seed(seed)
    return ReplayBuffer(capacity, (2,), np.float32, "cpu", gen, **kw)


def fill(buffer: ReplayBuffer, count: int) -> None:
    """Row i holds obs (i, -i), action i % 3, return i, next obs (i + 1, 0), discount 0.5."""
    for i in range(count):
        buffer.add(np.array([i, -i]), i % 3, float(i), np.array([i + 1, 0]), 0.5)


def test_ring_wraps_around_and_keeps_the_newest_rows():
    buffer = make_buffer(5)
    fill(buffer, 8)
    assert len(buffer) == 5 and buffer.pos == 3
    rows = buffer.rows(range(5))
    # positions 0..2 were overwritten by rows 5, 6, 7; positions 3, 4 still hold rows 3, 4
    assert rows["returns"].tolist() == [5.0, 6.0, 7.0, 3.0, 4.0]
    assert rows["obs"][:, 0].tolist() == [5.0, 6.0, 7.0, 3.0, 4.0]
    assert rows["obs"][:, 1].tolist() == [-5.0, -6.0, -7.0, -3.0, -4.0]
    assert rows["actions"].tolist() == [2, 0, 1, 0, 1]
    assert rows["next_obs"][:, 0].tolist() == [6.0, 7.0, 8.0, 4.0, 5.0]
    assert rows["discounts"].tolist() == [0.5] * 5


def test_sampling_is_uniform_over_stored_rows_only():
    buffer = make_buffer(100)
    fill(buffer, 10)
    batch = buffer.sample(20_000)
    returns = batch.returns.numpy()
    assert set(returns.tolist()) == set(range(10))  # never an empty slot
    counts = np.bincount(returns.astype(int), minlength=10)
    # 2,000 expected per row; 5 standard deviations is about 212
    assert np.all(np.abs(counts - 2_000) < 212), counts
    # every field of a sampled row comes from the same stored row
    assert np.array_equal(batch.obs[:, 0].numpy(), returns)
    assert np.array_equal(batch.next_obs[:, 0].numpy(), returns + 1)
    assert np.array_equal(batch.actions.numpy(), returns.astype(int) % 3)
    assert batch.actions.dtype == torch.int64 and batch.obs.dtype == torch.float32


def test_sampling_depends_only_on_the_generator_seed():
    a, b, c = make_buffer(50, seed=7), make_buffer(50, seed=7), make_buffer(50, seed=8)
    for buffer in (a, b, c):
        fill(buffer, 30)
    ra, rb, rc = (x.sample(64).returns for x in (a, b, c))
    assert torch.equal(ra, rb)
    assert not torch.equal(ra, rc)


def test_staged_path_matches_the_direct_ring():
    """The GPU path's host staging (forced on here) must store exactly what the CPU path does."""
    direct = make_buffer(7)
    staged = make_buffer(7, staged=True, stage_rows=3)
    for count in (2, 3, 9, 4):  # flushes when staging is full, on sample, and across the wrap
        fill(direct, count)
        fill(staged, count)
        assert staged.pos == direct.pos and len(staged) == len(direct)
        for name, values in direct.rows(range(7)).items():
            assert np.array_equal(staged.rows(range(7))[name], values), name
    assert torch.equal(staged.sample(32).returns, direct.sample(32).returns)


def test_empty_buffer_refuses_to_sample_and_clear_forgets():
    buffer = make_buffer(4)
    with pytest.raises(ValueError, match="empty replay buffer"):
        buffer.sample(1)
    fill(buffer, 3)
    buffer.clear()
    assert len(buffer) == 0
    with pytest.raises(ValueError):
        ReplayBuffer(0, (1,), np.float32, "cpu", torch.Generator())


def test_discrete_observations_are_stored_as_indices():
    buffer = ReplayBuffer(4, (), np.int64, "cpu", torch.Generator().manual_seed(0))
    buffer.add(3, 1, 1.0, 7, 0.0)
    batch = buffer.sample(2)
    assert batch.obs.dtype == torch.int64 and batch.obs.tolist() == [3, 3]
    assert batch.next_obs.tolist() == [7, 7]


GAMMA = 0.9


def test_n_step_returns_by_hand_and_termination_flush():
    acc = NStepAccumulator(3, GAMMA)
    assert acc.push(0, 0, 1.0, 1, False, False) == []
    assert acc.push(1, 1, 2.0, 2, False, False) == []
    (row,) = acc.push(2, 0, 3.0, 3, False, False)
    state, action, ret, next_state, discount = row
    assert (int(state), action, next_state) == (0, 0, 3)
    assert ret == pytest.approx(1 + 0.9 * 2 + 0.81 * 3)  # 5.23
    assert discount == pytest.approx(0.9**3)
    (row,) = acc.push(3, 1, 4.0, 4, False, False)
    assert row[2] == pytest.approx(2 + 0.9 * 3 + 0.81 * 4)
    assert int(row[0]) == 1 and row[3] == 4
    rows = acc.push(4, 1, 5.0, 5, True, False)  # terminated: flush all, nothing to bootstrap
    assert [int(r[0]) for r in rows] == [2, 3, 4]
    assert [r[2] for r in rows] == pytest.approx([3 + 0.9 * 4 + 0.81 * 5, 4 + 0.9 * 5, 5.0])
    assert [r[3] for r in rows] == [5, 5, 5]
    assert [r[4] for r in rows] == [0.0, 0.0, 0.0]
    assert len(acc) == 0


def test_truncation_flushes_but_keeps_bootstrapping_from_the_last_state():
    acc = NStepAccumulator(3, GAMMA)
    acc.push(0, 0, 1.0, 1, False, False)
    rows = acc.push(1, 1, 2.0, 2, False, True)  # time limit after 2 steps
    assert [int(r[0]) for r in rows] == [0, 1]
    assert [r[2] for r in rows] == pytest.approx([1 + 0.9 * 2, 2.0])
    assert [r[3] for r in rows] == [2, 2]
    assert [r[4] for r in rows] == pytest.approx([0.9**2, 0.9])


def test_one_step_accumulator_is_plain_td():
    acc = NStepAccumulator(1, GAMMA)
    (row,) = acc.push(np.array([0.5, 1.0]), 1, 2.0, np.array([0.6, 1.1]), False, False)
    assert row[2] == 2.0 and row[4] == pytest.approx(0.9)
    (row,) = acc.push(np.array([0.6, 1.1]), 0, 1.0, np.array([0.7, 1.2]), True, False)
    assert row[4] == 0.0
    with pytest.raises(ValueError):
        NStepAccumulator(0, GAMMA)


def test_pending_states_are_copied_not_aliased():
    acc = NStepAccumulator(2, GAMMA)
    obs = np.array([1.0, 2.0])
    acc.push(obs, 0, 1.0, obs, False, False)
    obs[:] = 9.0  # an env that reuses its observation array
    (row,) = acc.push(obs, 0, 1.0, obs, False, False)
    assert row[0].tolist() == [1.0, 2.0]

"""A CNN DQN on a maze in image mode: the preset it gets, numpy acting on its grid CNN, and that
it learns ``maze_small`` from pixels with the settings a user gets by default.

The learning run is ``benchmarks/dqn_maze_image.py``'s (the ``grid-image`` preset, training
episodes of up to ``TRAIN_MAX_STEPS`` steps), so the figure it prints and what this test asserts
are one measurement.
"""

from __future__ import annotations

import numpy as np
import pytest

from agents.dqn import DQN
from agents.numpy_policy import NumpyGridGreedy
from agents.presets import preset_for, preset_name
from agents.torchdevice import has_native_bf16
from benchmarks.dqn_maze_image import BUDGET, train_on_maze
from levels.envs import make_env

SPEC = "GridMaze-v0:level=maze_small,observation=image"


def test_an_image_maze_gets_the_grid_image_preset_and_the_grid_cnn():
    env, _ = make_env(SPEC)
    shape = env.observation_space.shape
    assert preset_name("GridMaze-v0", shape) == "grid-image"
    assert preset_name("GridMaze-v0", ()) == "GridMaze-v0"  # index mode: the one-hot MLP's
    assert preset_name("ALE/Pong-v5", (4, 84, 84)) == "atari"
    agent = DQN(env.observation_space, env.action_space, device="cpu", seed=0,
                **preset_for("GridMaze-v0", shape))
    assert agent.network_kind == "grid_cnn"
    assert isinstance(agent._numpy_greedy, NumpyGridGreedy)


@pytest.mark.parametrize("dueling", [False, True])
def test_numpy_acting_on_the_grid_cnn_picks_torchs_argmax_and_follows_training(dueling):
    env, _ = make_env(SPEC)
    base = env.unwrapped
    images = base.images(np.arange(base.n_states))
    agent = DQN(env.observation_space, env.action_space, device="cpu", seed=1, dueling=dueling,
                learning_starts=16, batch_size=16, train_freq=1, learning_rate=0.05)

    def torch_greedy() -> list[int]:
        return agent.q_values(images).argmax(axis=1).tolist()

    before = torch_greedy()
    assert [agent.greedy(obs) for obs in images] == before
    rng = np.random.default_rng(0)
    for i in rng.integers(0, base.n_states, 60):
        agent.update(images[i], int(rng.integers(4)), float(rng.normal()), images[i - 1], False)
    after = torch_greedy()
    assert after != before  # learning changed the policy ...
    assert [agent.greedy(obs) for obs in images] == after  # ... and numpy sees the new weights


@pytest.mark.slow
def test_a_cnn_dqn_reaches_the_goal_of_maze_small_from_pixels():
    """Seeded, one torch thread (the preset's): after ``BUDGET`` env steps the greedy episode
    from the start, within the level's own 100-step limit, ends on the goal.

    Measured here with ``benchmarks/dqn_maze_image.py`` (oneDNN, 1 thread): the greedy episode
    first reached the goal after 11,000-23,000 steps on seeds 0-12 (seed 0: 14,000), and after
    30,000 steps it took the optimal 38-step path on 10 of 10 seeds, after 45,000 too; ``BUDGET``
    is 45,000, 1.96x the slowest.  Other rounding: two threads, seeds 0-1 at 16,000 / 13,000;
    oneDNN off (torch's own kernels, ``--no-mkldnn``), seeds 0-2 at 17,000 / 16,000 / 19,000.
    """
    run = train_on_maze(seed=0)
    assert run.steps == BUDGET
    assert run.final_goal, f"greedy episode ended off the goal after {run.final_length} steps"


@pytest.mark.slow
@pytest.mark.skipif(not has_native_bf16(), reason="no bf16 arithmetic on this CPU: it would learn "
                    "the same, converted, at a fifth of the speed (measured with oneDNN off)")
def test_the_same_maze_is_learnt_in_bf16_mixed_precision():
    """``precision="bf16"`` (bfloat16 passes, float32 weights and Adam) learns it too.

    Measured here (AVX512-BF16), seeds 0-4: the greedy episode first reached the goal after
    9,000-19,000 steps and took the optimal 38-step path after 45,000 on 5 of 5 seeds; the budget
    is 2.4x the slowest.  With oneDNN off (torch's own bf16 kernels) seed 0 learnt it too, in
    about five times the time.
    """
    run = train_on_maze(seed=0, precision="bf16")
    assert run.final_goal, f"greedy episode ended off the goal after {run.final_length} steps"

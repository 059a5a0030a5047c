"""Figure 8.2's shape: Dyna-Q with 50 planning steps walks the Dyna maze's shortest path within
a few episodes, without planning it takes dozens (the book: about 3 against about 25).

Margins measured on seeds 0, 100, ..., 600 with 20 runs each: episodes 3-5 averaged 16-18 steps
(n = 50), 35-43 (n = 5) and 335-416 (n = 0); the mean first fell to 20 steps or fewer at episode
3 (n = 50), 6 (n = 5) and 26-30 (n = 0).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.dyna_figure import PLANNING_STEPS, plot, steps_per_episode


def first_near_optimal(mean: np.ndarray, steps: float = 20) -> int | None:
    """1-based episode (from the second on) where the mean length first drops to ``steps``."""
    hits = np.flatnonzero(mean[1:] <= steps)
    return int(hits[0]) + 2 if len(hits) else None


@pytest.fixture(scope="module")
def curves() -> dict[int, np.ndarray]:
    return {n: steps_per_episode(n, runs=20, seed=0).mean(axis=0) for n in PLANNING_STEPS}


@pytest.mark.slow
def test_more_planning_learns_the_maze_in_fewer_episodes(curves) -> None:
    early = {n: curves[n][2:5].mean() for n in PLANNING_STEPS}  # episodes 3-5
    assert early[50] <= 25 < early[5] < 100 < 150 <= early[0]
    assert first_near_optimal(curves[50]) <= 5
    assert first_near_optimal(curves[0]) is None or first_near_optimal(curves[0]) >= 15
    for n in PLANNING_STEPS:  # every agent ends near the 14-step path (epsilon 0.1 wanders)
        assert curves[n][-10:].mean() <= 25


@pytest.mark.slow
def test_the_figure_is_written(tmp_path, curves) -> None:
    path = tmp_path / "fig.png"
    plot(curves, 20, str(path))
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

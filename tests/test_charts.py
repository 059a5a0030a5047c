"""app.charts: pixels of rendered charts, caching and rate limiting."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from app import colors as C
from app.charts import LineChart, Series, moving_average, nice_ticks


@pytest.fixture(autouse=True)
def _pygame():
    pygame.init()
    yield


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def line_rows(surface: pygame.Surface, color, x_range) -> list[float]:
    """Mean y of pixels close to ``color`` in each column of ``x_range`` (nan if none)."""
    px = pygame.surfarray.array3d(surface).astype(int)  # [w, h, 3]
    near = (np.abs(px - np.array(color)).sum(axis=2) < 40)
    out = []
    for x in x_range:
        ys = np.flatnonzero(near[x])
        out.append(float(ys.mean()) if ys.size else float("nan"))
    return out


def test_rising_series_is_drawn_higher_on_the_right():
    surface = pygame.Surface((400, 200))
    chart = LineChart((0, 0, 400, 200), "loss")
    chart.set_series([Series("rising", np.linspace(0, 10, 500), color=C.SERIES[2])])
    chart.draw(surface)
    left = np.nanmean(line_rows(surface, C.SERIES[2], range(60, 110)))
    right = np.nanmean(line_rows(surface, C.SERIES[2], range(330, 380)))
    assert np.isfinite(left) and np.isfinite(right)
    assert right < left - 80  # screen y grows downwards: higher on screen = smaller y


def test_learning_curve_draws_moving_average_and_raw_points():
    surface = pygame.Surface((400, 200))
    chart = LineChart((0, 0, 400, 200), "return per episode")
    returns = np.r_[np.zeros(300), np.full(300, 10.0)]
    chart.set_learning_curve(returns, window=20)
    chart.draw(surface)
    mean_left = np.nanmean(line_rows(surface, C.CHART_MEAN, range(60, 150)))
    mean_right = np.nanmean(line_rows(surface, C.CHART_MEAN, range(300, 380)))
    assert mean_right < mean_left - 80


def test_empty_chart_says_no_episodes_yet():
    surface = pygame.Surface((300, 120))
    chart = LineChart((0, 0, 300, 120), "return per episode")
    chart.set_learning_curve(np.array([]))
    chart.draw(surface)
    font = pygame.font.Font(None, 18)
    expected_w = font.size("no episodes yet")[0]
    px = pygame.surfarray.array3d(surface).astype(int)
    text = (np.abs(px - np.array(C.TEXT_FAINT)).sum(axis=2) < 60)
    cols = np.flatnonzero(text[:, 50:90].any(axis=1))
    assert cols.size and abs((cols.max() - cols.min() + 1) - expected_w) <= 4
    assert abs((cols.max() + cols.min()) / 2 - 150) <= 4  # centred


def test_epsilon_curve_marks_the_current_value():
    surface = pygame.Surface((300, 150))
    chart = LineChart((0, 0, 300, 150), "epsilon")
    x = np.arange(1000)
    eps = 0.05 + 0.95 * np.exp(-0.003 * x)
    chart.set_epsilon(x, eps, current=(500, float(eps[500])))
    chart.draw(surface)
    px = pygame.surfarray.array3d(surface).astype(int)
    marker = (np.abs(px - np.array(C.CHART_MARKER)).sum(axis=2) < 30)
    assert marker.any()
    rows = line_rows(surface, C.CHART_EPSILON, range(60, 280))
    assert np.nanmean(rows[:30]) < np.nanmean(rows[-30:])  # decaying: starts high on screen


def test_render_is_cached_and_rate_limited():
    clock = FakeClock()
    surface = pygame.Surface((200, 100))
    chart = LineChart((0, 0, 200, 100), max_fps=5, clock=clock)
    chart.set_series([Series("a", np.arange(10.0))])
    chart.draw(surface)
    chart.set_series([Series("a", np.arange(10.0))])  # same data: no re-render
    clock.t += 1.0
    chart.draw(surface)
    assert chart.renders == 1
    chart.set_series([Series("a", np.arange(11.0))])  # changed, long after the last render
    chart.draw(surface)
    assert chart.renders == 2
    chart.set_series([Series("a", np.arange(12.0))])
    clock.t += 0.05  # changed again, but too soon: keep showing the last rendering
    chart.draw(surface)
    assert chart.renders == 2
    clock.t += 0.2
    chart.draw(surface)
    assert chart.renders == 3


def test_long_histories_are_downsampled_to_pixels():
    surface = pygame.Surface((300, 120))
    chart = LineChart((0, 0, 300, 120))
    rng = np.random.default_rng(0)
    chart.set_learning_curves({"A": (rng.normal(size=100_000), 1), "B": (rng.normal(size=50), 1)})
    chart.draw(surface)  # completes quickly whatever the length; legend for two agents
    assert chart.renders == 1


def test_helpers():
    assert moving_average(np.array([1.0, 3.0, 5.0, 7.0]), 2).tolist() == [1.0, 2.0, 4.0, 6.0]
    assert nice_ticks(0, 10, 5) == [0, 2.5, 5, 7.5, 10]
    assert nice_ticks(-7, 23, 4) == [0, 10, 20]

"""What the window shows where: size entries, the epsilon marker's label, the chart column at the
default size, and which cheeses-eaten situation the board shows."""

from __future__ import annotations

import numpy as np
import pygame
import pytest
from apphelp import click, dqn_built, press, stop, train

import app.charts as charts
from app import colors as C
from app.app import App
from app.charts import LineChart, format_tick, place_label
from app.commands import ChooseAgent


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    return tmp_path


def open_app(spec: str) -> App:
    app = App(spec, size=(1280, 800), offer_recovery=False)
    app.run_frames(2)
    return app


def shown_size(app: App) -> tuple[str, str]:
    return app.controls.rows_entry.get_text(), app.controls.cols_entry.get_text()


# --- the size entries follow the level ----------------------------------------------------------


def test_size_entries_show_the_current_levels_shape(state_dir):
    app = open_app("mouse")
    try:
        assert shown_size(app) == ("2", "3")  # the mouse level, not a default 12 x 12
        path = state_dir / "corridor.txt"
        path.write_text("name: corridor\nS....#..\n.##..#..\n....##.G\n........\n")
        assert app.files.open_level(path)
        app.run_frames(1)
        assert shown_size(app) == ("4", "8")
        app.controls.rows_entry.set_text("6")  # typed sizes are what Generate uses
        app.controls.cols_entry.set_text("7")
        click(app, app.controls.file_buttons["generate"])
        assert (app.level.nrows, app.level.ncols) == (6, 7) and shown_size(app) == ("6", "7")
        app.controls.rows_entry.set_text("3")
        click(app, app.controls.file_buttons["resize"])
        assert shown_size(app) == ("3", "7")
        press(app, pygame.K_z, pygame.KMOD_CTRL)  # undoing the resize shows the old shape
        assert (app.level.nrows, app.level.ncols) == (6, 7) and shown_size(app) == ("6", "7")
        # a grid env: its shape, Generate's default
        app.worlds.open_spec("FrozenLake-v1:map_name=8x8")
        app.run_frames(1)
        assert shown_size(app) == ("8", "8")
        app.files.open_level("maze_small")
        app.run_frames(1)
        assert app.world is None and shown_size(app) == ("7", "9")
        assert app.controls.size() == (7, 9)
    finally:
        app.close()


# --- charts ------------------------------------------------------------------------------------


def test_marker_label_stays_inside_the_plot_and_off_the_curve(monkeypatch):
    pygame.font.init()
    placed = []
    real = charts.place_label

    def spy(size, point, plot, lines):
        rect = real(size, point, plot, lines)
        placed.append((rect, point, plot, lines))
        return rect

    monkeypatch.setattr(charts, "place_label", spy)
    x = np.linspace(0.0, 10_000.0, 160)
    eps = 0.05 + 0.95 * np.exp(-0.0005 * x)
    for current, height in (((0.0, 1.0), 94), ((0.0, 1.0), 60), ((6000.0, 0.097), 94)):
        chart = LineChart((0, 0, 416, height), "epsilon per episode")
        chart.set_epsilon(x, eps, current)
        chart.draw(pygame.Surface((416, height)))
        rect, point, plot, lines = placed[-1]
        assert plot.contains(rect), (current, height)
        assert not charts._hits(rect, lines), f"label on the curve: {current}, {height}"
        assert not rect.collidepoint(point)  # the marker stays visible beside its label


def test_place_label_prefers_beside_the_marker():
    plot = pygame.Rect(40, 20, 300, 80)
    flat = (np.arange(40.0, 340.0), np.full(300, 90.0))  # a curve along the bottom
    rect = place_label((60, 12), (200.0, 90.0), plot, [flat])
    assert rect.bottom <= 86 and abs(rect.left - 208) <= 1  # above right of the marker


def test_tick_labels_keep_enough_decimals_to_differ():
    ticks = [1_470_000.0, 1_472_000.0, 1_474_000.0]
    labels = [format_tick(v, 2000.0) for v in ticks]
    assert labels == ["1.470M", "1.472M", "1.474M"]
    assert [format_tick(v, 2500.0) for v in (0.0, 2500.0, 5000.0)] == ["0", "2500", "5000"]
    assert format_tick(12_500.0, 2500.0) == "12.5k" and format_tick(0.5, 0.25) == "0.5"


def test_charts_keep_a_readable_height_at_the_default_size(state_dir):
    app = open_app("maze_small")
    try:
        assert app.layout.show_epsilon_chart and app.charts.epsilon.rect.height >= 80
        assert app.charts.returns.rect.height >= 80
        # the DQN's knobs take more room: loss and mean Q must still show
        app.command(ChooseAgent("dqn"))
        dqn_built(app)
        app.run_frames(2)
        assert app.layout.show_epsilon_chart, "loss and mean-Q charts hidden at 1280 x 800"
        for chart in (app.charts.loss, app.charts.meanq, app.charts.returns):
            assert chart.rect.height >= 70 and chart.rect.width >= 190
            assert app.layout.chart_area.contains(chart.rect)
        assert app.controls.panel.rect.bottom <= app.layout.chart_area.top
        surface = app.screen  # the loss chart is really drawn there
        px = pygame.surfarray.pixels3d(surface)[app.charts.loss.rect.x:app.charts.loss.rect.right,
                                                app.charts.loss.rect.y:app.charts.loss.rect.bottom]
        assert (np.abs(px.astype(int) - np.array(C.CHART_BG)).sum(axis=2) < 4).mean() > 0.3
        del px
    finally:
        app.close()


# --- which cheeses-eaten situation the board shows -----------------------------------------------


def test_fast_training_shows_the_most_visited_situation_and_says_which(state_dir):
    app = open_app("maze_small")  # two small cheeses: four situations (layers)
    try:
        grid = app.session.grid
        assert grid.n_layers == 4
        press(app, pygame.K_n)  # stepping: the mouse's own situation, said so
        assert "values with 0 of 2 small cheese eaten" in app.live.layer_caption
        assert "as for the mouse right now" in app.live.layer_caption
        train(app, 40, speed=None)
        stop(app)
        snap = app.session.snapshot()
        per_layer = np.bincount(grid.layer, weights=snap.visits, minlength=grid.n_layers)
        assert per_layer[app.live.layer] * 1.1 >= per_layer.max()  # (within the 10 % hysteresis)
        eaten = bin(app.live.layer).count("1")
        assert f"values with {eaten} of 2 small cheese eaten" in app.live.layer_caption
        assert "the case the mouse has been in most" in app.live.layer_caption
        view = app.live.board_view()  # the cheeses eaten in that situation are drawn as gone
        cheeses = app.level.small_cheeses
        assert view.eaten == {c for i, c in enumerate(cheeses) if app.live.layer >> i & 1}
        caption = app.layout.layer_caption_rect
        assert caption.height and caption.bottom <= app.board.board_rect.top
        app.run_frames(1)
        px = pygame.surfarray.array3d(app.screen.subsurface(caption)).astype(int)
        assert (np.abs(px - np.array(C.TEXT_DIM)).sum(axis=2) < 40).sum() > 50  # text drawn
    finally:
        app.close()


def test_levels_without_small_cheese_get_no_caption_row(state_dir):
    app = open_app("cliff")
    try:
        assert not app.layout.layered() and app.layout.layer_caption_rect.width == 0
        app.editor.set_tool("7")  # paint a small cheese: the board makes room for the caption
        pos = app.board.cell_rect(0, 5).center
        app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)])
        app.run_frames(2, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])
        assert app.level.small_cheeses == ((0, 5),)
        assert app.layout.layered()
        assert app.layout.layer_caption_rect.bottom <= app.board.board_rect.top
    finally:
        app.close()

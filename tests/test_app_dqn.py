"""DQN in the app: arrows from the network, its own controls, presets, charts, divergence."""

from __future__ import annotations

import numpy as np
import pygame
import pygame_gui
import pytest
from apphelp import choose, dqn_built, play_until, press, small_dqn, stop, train, train_until

from agents.config import DQNConfig, field_help
from agents.presets import preset_for
from app.app import App
from app.commands import ChooseAgent
from app.dqncontrols import KNOBS
from app.qview import DIRS, cell_values
from app.sprites import ARROW_LEVELS, arrow_color, arrow_signature
from levels.level import Level

MAZE = Level.from_text("name: dqn maze\nmax_steps: 30\nS..#\n.#..\n...#\n#.CG\n")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    app = App(MAZE, offer_recovery=False)
    app.run_frames(2)
    yield app
    app.close()


def to_dqn(app: App) -> None:
    choose(app, app.controls.agent_menu, "DQN")
    dqn_built(app)
    assert app.session.agent.kind == "dqn"
    small_dqn(app)


def move_slider(app: App, name: str, position: float) -> None:
    slider = app.controls.sliders[name]
    pygame.event.post(pygame.event.Event(pygame_gui.UI_HORIZONTAL_SLIDER_MOVED,
                                         {"value": position, "ui_element": slider}))
    app.run_frames(2)


def test_dqn_on_a_maze_draws_the_arrows_of_its_q_values(app):
    to_dqn(app)
    assert train_until(app, 200) >= 200
    stop(app)
    assert app.session.agent.num_updates > 0
    app.board.arrow_interval = 0.0  # no redraw throttling: the board shows the newest values
    app.state.overlays.update(arrows=True, policy=False)  # the four Q arrows, unobscured
    app.controls.sync()
    press(app, pygame.K_n)  # one more step, then the view re-reads the network
    app.run_frames(2)
    session, grid = app.session, app.session.grid
    q = session.agent.q_values(np.arange(session.n_states))
    expected = cell_values(q, grid, app.live.layer)
    np.testing.assert_allclose(app.live.values.q_dir, expected.q_dir, rtol=1e-6, equal_nan=True)
    # pick the open cell with the longest arrow for its best action (not under the mouse)
    sig = arrow_signature(expected.value.shape, expected.q_dir, None, None,
                          np.zeros(expected.value.shape, dtype=bool))
    agent_cell = session.grid.position(session.state)
    best = None
    for r, c in np.ndindex(expected.value.shape):
        d = int(expected.greedy_dirs[r, c])
        if d < 0 or MAZE.tile(r, c) in "#HGCP" or (r, c) == agent_cell:
            continue
        level = int((sig[r, c] >> (5 * d)) & 31) - ARROW_LEVELS - 1
        if best is None or abs(level) > abs(best[3]):
            best = (r, c, d, level)
    assert best is not None
    r, c, d, level = best
    assert level != 0
    colour = arrow_color(level)
    cell = app.board.cell_rect(r, c)
    cx, cy = cell.center
    dr, dc = DIRS[d]
    run = 0
    for k in range(2, cell.width // 2):  # walk from the centre toward the best action
        px = tuple(app.screen.get_at((cx + dc * k, cy + dr * k)))[:3]
        if max(abs(a - b) for a, b in zip(px, colour, strict=True)) <= 6:
            run += 1
    length = (0.1 + 0.29 * abs(level) / ARROW_LEVELS) * app.board.cell  # the sprite's length
    assert abs(run - length) <= 4, (run, length)
    # and a direction whose bucket differs is drawn differently (colour or length)
    for other in range(4):
        lv = int((sig[r, c] >> (5 * other)) & 31) - ARROW_LEVELS - 1
        if lv != level:
            dr2, dc2 = DIRS[other]
            same = sum(1 for k in range(2, cell.width // 2)
                       if tuple(app.screen.get_at((cx + dc2 * k, cy + dr2 * k)))[:3] == colour)
            assert same < run


def test_dqn_controls_come_from_the_config_and_change_the_agent(app):
    to_dqn(app)
    controls = app.controls
    for name in KNOBS:
        assert field_help(DQNConfig, name) in controls.sliders[name].tool_tip_text
    assert "alpha" not in controls.sliders  # the tabular knobs are gone
    move_slider(app, "batch_size", 5)  # log2 scale: 2**5
    assert app.session.agent.config.batch_size == 32
    assert controls.value_labels["batch_size"].text == "32"
    move_slider(app, "learning_rate", KNOBS["learning_rate"].scale.position(1e-3))
    assert app.session.agent.learning_rate == pytest.approx(1e-3)
    move_slider(app, "epsilon_end", 0.2)
    assert app.session.agent.config.epsilon_end == pytest.approx(0.2)
    assert app.session.schedule is app.session.agent.epsilon_schedule
    box = controls.dqn_section.switches["double"]
    pygame.event.post(pygame.event.Event(pygame_gui.UI_CHECK_BOX_UNCHECKED, {"ui_element": box}))
    app.run_frames(2)
    assert app.session.agent.config.double is False
    old_agent = app.session.agent
    box = controls.dqn_section.switches["dueling"]
    pygame.event.post(pygame.event.Event(pygame_gui.UI_CHECK_BOX_CHECKED, {"ui_element": box}))
    app.run_frames(3)
    agent = app.session.agent
    assert agent is not old_agent and agent.config.dueling and agent.config.batch_size == 32
    assert agent.config.double is False  # the other knobs survive the fresh network
    box = controls.dqn_section.switches["bf16"]
    pygame.event.post(pygame.event.Event(pygame_gui.UI_CHECK_BOX_CHECKED, {"ui_element": box}))
    app.run_frames(2)
    assert app.session.agent is agent and agent.config.precision == "bf16"  # no rebuild
    app.run_frames(30)  # the info box's title follows the agent's next readout
    assert "BF16 MIXED PRECISION" in app.info.title


def test_presets_device_and_charts_on_cartpole(app):
    app.worlds.open_spec("CartPole-v1")
    cfg = app.session.agent.config
    preset = preset_for("CartPole-v1")
    assert cfg.batch_size == preset["batch_size"] and cfg.hidden == tuple(preset["hidden"])
    assert cfg.threads == 1
    small_dqn(app)
    train_until(app, 200)  # past learning_starts, however many steps a frame gets
    from agents.dqn import resolve_device

    assert f"DQN on {resolve_device('auto').upper()}" in app.status.stats_text
    assert "steps/s" in app.status.stats_text
    # the meter needs two looks at the session while it trains: a fast machine can run the
    # 200 steps between two of them
    assert play_until(app, lambda: app.live.rate.rate > 0, max_frames=2000)
    stop(app)
    assert app.charts.loss.series and app.charts.loss.series[0].y.size > 0
    assert app.charts.meanq.series and np.isfinite(app.charts.meanq.series[0].y).all()
    assert "gradient steps" in app.arithmetic_text


def test_bursty_presets_are_spread_over_the_frames(app):
    app.worlds.open_spec("MountainCar-v0")
    cfg = app.session.agent.config
    assert (cfg.train_freq, cfg.gradient_steps) == (2, 1)  # the Zoo's 8 per 16, spread out
    assert cfg.target_update_interval >= 16


def test_a_diverging_dqn_stops_with_a_visible_message_and_the_app_keeps_running(app):
    to_dqn(app)
    move_slider(app, "learning_rate", KNOBS["learning_rate"].scale.positions)  # 1e6
    assert app.session.agent.learning_rate == pytest.approx(1e6)
    train(app, 1)
    assert play_until(app, lambda: not app.playing)  # stopped by the divergence
    assert "Training stopped" in app.status.message and "diverged" in app.status.message
    assert "Training stopped" in app.arithmetic_text
    app.run_frames(5)  # the window goes on
    press(app, pygame.K_SPACE)  # play is refused, with the reason
    assert not app.playing and "diverged" in app.status.message
    move_slider(app, "learning_rate", KNOBS["learning_rate"].scale.position(1e-3))
    press(app, pygame.K_r)
    assert app.session.error is None
    assert train(app, 10) > 0
    stop(app)


def test_a_nan_injected_into_a_q_table_stops_training(app):
    app.session.agent.q[:, :] = np.nan
    train(app, 10, speed=None)
    assert not app.playing and app.session.error is not None
    assert "Training stopped" in app.status.message
    app.run_frames(3)
    press(app, pygame.K_r)
    assert app.session.error is None and np.isfinite(app.session.agent.q).all()


def test_painting_a_small_cheese_rebuilds_the_dqn_and_training_goes_on(app):
    to_dqn(app)
    move_slider(app, "epsilon_end", 0.2)
    assert train(app, 20) > 0
    stop(app)
    old = app.session.agent
    assert app.session.n_states == 16
    press(app, pygame.K_7)  # small cheese: doubles the states the network must take in
    pos = app.board.cell_rect(0, 1).center
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])
    assert app.level.grid[0] == "Sc.#"
    session, agent = app.session, app.session.agent
    assert session.n_states == 32 and agent is not old and agent.kind == "dqn"
    assert agent.n_inputs == 32 and agent.config == old.config  # the user's settings survive
    assert agent.config.batch_size == 16 and agent.config.epsilon_end == pytest.approx(0.2)
    assert "32 states (was 16)" in app.status.message
    assert "network was reset" in app.status.message
    assert train(app, 30) > 0
    stop(app)
    assert session.error is None and agent.num_steps > 0 and app.session is session
    app.board.arrow_interval = 0.0
    press(app, pygame.K_n)
    app.run_frames(2)
    q = agent.q_values(np.arange(32))
    expected = cell_values(q, session.grid, app.live.layer)
    np.testing.assert_allclose(app.live.values.q_dir, expected.q_dir, rtol=1e-6, equal_nan=True)


BUILDING_SCRIPT = """
import json, os, sys
os.environ['SDL_VIDEODRIVER'] = 'dummy'; os.environ['SDL_AUDIODRIVER'] = 'dummy'
os.environ['RL_SANDBOX_STATE_DIR'] = sys.argv[1]
sys.path.insert(0, 'tests')
import pygame
from apphelp import click, dqn_built, press
from app.app import App
from app.commands import ChooseAgent, Play
a = App('mouse', offer_recovery=False); a.run_frames(3)
out = {'torch_at_start': 'torch' in sys.modules}
a.command(ChooseAgent('dqn')); a.run_frames(1)
out.update(ready=a.torch.ready, kind=a.session.agent.kind, message=a.status.message,
           box=a.info.arithmetic_text, title=a.info.title, panel=a.state.agent_kind)
a.command(Play(True)); a.run_frames(1)
out.update(playing=a.playing, held=a.status.message)
frames = a.frames; dqn_built(a)
out.update(frames=a.frames - frames, after_kind=a.session.agent.kind, after=a.status.message,
           after_panel=a.state.agent_kind)
a.close()
b = App('mouse', offer_recovery=False); b.run_frames(3)
click(b, b.controls.agent_menu, frames=1)
out.update(menu_started=b.torch.started)
b.close()
print(json.dumps(out))
"""


def test_choosing_dqn_says_building_at_once_and_the_window_keeps_going_while_torch_loads(
        tmp_path):
    """In a fresh process (torch not imported): the next frame after choosing DQN says "Building
    the DQN…" in the status bar and the box under the board; frames keep running while torch
    imports on a thread; Play waits; then the DQN is built and replaces the agent. Opening the
    agent menu of a torch-free app starts the import."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    run = subprocess.run([sys.executable, "-c", BUILDING_SCRIPT, str(tmp_path)], cwd=root,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-1500:]
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["torch_at_start"] is False
    assert out["ready"] is False and out["kind"] == "q-learning"  # the next frame: still loading
    assert out["message"].startswith("Building the DQN\u2026")
    assert out["title"] == "DQN" and "PyTorch is loading" in out["box"]
    assert out["panel"] == "q-learning"  # the panel shows the agent that exists
    assert out["playing"] is False and out["held"].startswith("Still building the DQN")
    assert out["frames"] >= 1  # the window went on drawing frames while torch loaded
    assert out["after_kind"] == "dqn" and out["after_panel"] == "dqn"
    assert out["after"].startswith("Switched to DQN")
    assert out["menu_started"] is True


def test_a_loaded_dqn_tells_its_true_state_and_learns_on(app, tmp_path):
    """A DQN saved mid-schedule and loaded again: the status bar's ε is its schedule's at its own
    step count (not ε start again), the box under the board gives that step count and says when
    learning resumes (its replay is not in the file: it refills first), and learning does
    resume then."""
    to_dqn(app)  # learning_starts 32
    train_until(app, 1_500)
    stop(app)
    agent = app.session.agent
    steps, updates = agent.num_steps, agent.num_updates
    expected = agent.epsilon_at(steps)
    assert updates > 0 and 0.05 < expected < 0.99  # mid-schedule: neither end
    path = tmp_path / "maze-dqn.pt"
    assert app.agent_files.save_agent_to(path)
    app.command(ChooseAgent("q-learning"))
    assert app.agent_files.load_agent_from(path)
    app.run_frames(3)
    session = app.session
    assert session.agent.kind == "dqn" and session.agent.num_steps == steps
    assert session.epsilon == pytest.approx(expected)
    assert f"\u03b5 {expected:.3f}" in app.status.stats_text
    box = app.info.arithmetic_text
    assert f"step {steps:,}, loaded: learning resumes after 32 steps in replay (now 0)" in box
    assert "training starts after" not in box and "loaded from maze-dqn.pt" in box
    train_until(app, 48)
    stop(app)
    assert app.session.agent.num_updates > updates  # it learns on
    app.run_frames(3)
    assert app.info.arithmetic_text.startswith("loss ")


def test_the_n_step_switch_names_the_n_the_agent_uses(app):
    """The image-maze preset learns from 10-step returns: the switch says 10, not 3."""
    app.worlds.open_spec("GridMaze-v0:level=maze_small,observation=image")
    choose(app, app.controls.agent_menu, "DQN")
    dqn_built(app)
    assert app.session.agent.config.n_step == 10
    box = app.controls.dqn_section.switches["nstep"]
    assert box.get_state() and box.text == "10-step"

"""Retake the README's screenshots from the app as it is now, driven as a person would drive it.

Run it on a display (an X server; Xvfb will do) from the project folder::

    xvfb-run -s "-screen 0 1400x1100x24" python docs/screenshots/retake.py            # all
    xvfb-run -s "-screen 0 1400x1100x24" python docs/screenshots/retake.py taxi env_picker

Each scene opens the app at 1280x800 (the study: 1280x1000), gets it where the README's caption
says through the same events and commands a user's clicks and keys send (the helpers of
``tests/apphelp.py``), trains for a fixed number of steps where the picture needs learning, and
saves the window as F12 does, into this folder. Training counts steps, not seconds, so a busy
machine takes longer but shows the same kind of picture. Look at every PNG before committing.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("RL_SANDBOX_STATE_DIR", tempfile.mkdtemp(prefix="rl-sandbox-retake-"))

import pygame  # noqa: E402
from apphelp import cell_click, choose, click, press, stop, train_until  # noqa: E402

from app import commands as cmd  # noqa: E402
from app.app import App  # noqa: E402
from levels.level import Level, default_max_steps  # noqa: E402
from levels.levelfile import save_level  # noqa: E402

#: The 8x8 level tests/test_app_ux.py paints: a +1 goal 14 steps away, +10 cheese 20 away.
STALL_LEVEL = ("S.......", ".######.", ".#....#.", ".#.##.#.", ".#C#P.#.", ".###..#.",
               ".....##.", "#######G")


def settle(app: App, frames: int = 30) -> None:
    """A few real-time frames: throttled views (charts, arrows) catch up, glides finish."""
    for _ in range(frames):
        app.run_frames(1)
        time.sleep(0.02)


def pointer_away(app: App) -> None:
    """Move the pointer where it shows no hover card (over the panel's empty bottom)."""
    pos = (app.screen.get_width() - 30, app.screen.get_height() - 60)
    pygame.mouse.set_pos(pos)
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                          buttons=(0, 0, 0))])


def train_then_slow_down(app: App, steps: int, frames: int) -> None:
    """Train ``steps`` flat out, then watch at 5 steps/s for ``frames`` frames: the picture
    shows a learnt agent mid-episode, with its last update on screen."""
    train_until(app, steps, max_frames=100_000)
    app.state.speed = 5.0
    app.controls.sync()
    settle(app, frames)


def type_knob(app: App, name: str, text: str) -> None:
    entry = app.controls.value_labels[name]
    click(app, entry)
    entry.set_text(text)
    press(app, pygame.K_RETURN)
    pointer_away(app)  # no tooltip over the panel


def open_stall_level(app: App) -> None:
    """Open the level tests/test_app_ux.py paints, from a file as Open would."""
    grid = Level(grid=STALL_LEVEL)
    level = Level(grid=STALL_LEVEL, name="my_maze", max_steps=default_max_steps(grid))
    folder = Path(os.environ["RL_SANDBOX_STATE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    save_level(level, folder / "my_maze.txt")
    app.files.open_level(folder / "my_maze.txt")


# ---- the scenes ----------------------------------------------------------------------------------
def main_mouse_training(app: App) -> None:
    for k in (pygame.K_d, pygame.K_s):  # right, then down: the course's 0.1 and -1.0
        press(app, k)
        settle(app, 20)


def maze20_overlays(app: App) -> None:
    app.command(cmd.ChooseLevel("maze_large"))
    train_until(app, 3_000_000, max_frames=100_000)
    settle(app)


def compare_cliff(app: App) -> None:
    app.command(cmd.ChooseLevel("cliff"))
    choose(app, app.controls.compare_menu, "vs SARSA")
    train_until(app, 100_000, max_frames=100_000)
    stop(app)
    settle(app)


def cartpole_dqn(app: App) -> None:
    app.worlds.open_spec("CartPole-v1")
    train_until(app, 15_000, max_frames=100_000)
    stop(app)
    settle(app)


def taxi(app: App) -> None:
    app.worlds.open_spec("Taxi-v4")
    train_then_slow_down(app, 300_000, 60)


def editor_invalid_level(app: App) -> None:
    app.command(cmd.ChooseLevel("maze_small"))
    press(app, pygame.K_9)  # the eraser on the start: a level without a start cannot train
    pos = app.board.cell_rect(0, 0).center
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])
    pointer_away(app)
    settle(app)


def env_picker(app: App) -> None:
    press(app, pygame.K_e)
    picker = app.worlds.picker
    item = next(i for i in picker.env_list.item_list if i["text"] == "FrozenLake 8x8")
    click(app, item["button_element"])
    settle(app, 10)


def level_settings(app: App) -> None:
    press(app, pygame.K_l)
    settle(app, 10)


def stalled_hint(app: App) -> None:
    open_stall_level(app)
    app.live.stall_check_s = 0.0
    app.command(cmd.SetOverlay("optimal", True))
    app.controls.show_overlays(optimal=True)
    for _ in range(40):
        train_until(app, 30_000, max_frames=20_000)
        if app.live.stall_hint:
            break
    settle(app, 5)
    pos = app.status.notice_rect.center
    pygame.mouse.set_pos(pos)
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                          buttons=(0, 0, 0))])


def numbers_overlay(app: App) -> None:
    open_stall_level(app)
    type_knob(app, "initial_q", "10")
    app.controls.show_overlays(numbers=True)
    app.command(cmd.SetOverlay("numbers", True))
    train_until(app, 100_000, max_frames=100_000)
    stop(app)
    settle(app)


def dp_value_iteration(app: App) -> None:
    app.command(cmd.ChooseLevel("dyna_maze"))
    for _ in range(7):
        press(app, pygame.K_v)
    settle(app, 10)


def traces_dyna(app: App) -> None:
    app.command(cmd.ChooseLevel("dyna_maze"))
    app.command(cmd.ChooseAgent("sarsa"))
    for name, value in (("epsilon", "0.1"), ("lam", "0.9"), ("epsilon_decay", "0.0005")):
        type_knob(app, name, value)
    app.command(cmd.SetHyperparameter("planning_steps", 5))
    for overlay in ("traces", "dyna"):
        app.command(cmd.SetOverlay(overlay, True))
    app.controls.show_overlays(traces=True, dyna=True)
    app.controls.sync()
    train_then_slow_down(app, 3_000, 90)


def study_window(app: App) -> None:
    app.command(cmd.ChooseLevel("cliff"))
    type_knob(app, "gamma", "1")
    type_knob(app, "epsilon", "0.1")
    type_knob(app, "epsilon_decay", "0")
    app.state.speed = None
    app.controls.sync()
    press(app, pygame.K_SPACE)
    window = app.study.open()
    click(app, window.run_button)
    deadline = time.monotonic() + 900
    while window.run_button.text == "Stop" and time.monotonic() < deadline:
        settle(app, 5)
    pointer_away(app)
    settle(app)


#: A 6x8 room with a wall: the reward tool gives a row of cells -1 and another -10.
REWARD_LEVEL = ("S.......", "........", "..##....", "........", "........", ".......G")


def reward_tool(app: App) -> None:
    level = Level(grid=REWARD_LEVEL, name="rewards", max_steps=default_max_steps(
        Level(grid=REWARD_LEVEL)))
    folder = Path(os.environ["RL_SANDBOX_STATE_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    save_level(level, folder / "rewards.txt")
    app.files.open_level(folder / "rewards.txt")
    press(app, pygame.K_0)
    for cells, value in (([(1, c) for c in range(2, 6)], "-1"),
                         ([(3, c) for c in range(1, 5)], "-10"), ([(5, 4)], "-1")):
        for cell in cells:
            cell_click(app, cell)
            app.dialogs.reward_window.entry.set_text(value)
            press(app, pygame.K_RETURN)
    train_until(app, 150_000, max_frames=100_000)
    stop(app)
    cell_click(app, (1, 6))
    app.dialogs.reward_window.entry.set_text("-5")
    pointer_away(app)
    settle(app)


SCENES: dict[str, tuple[Callable[[App], None], tuple[int, int]]] = {
    name: (scene, (1280, 1000) if name == "study_window" else (1280, 800))
    for name, scene in [
        ("main_mouse_training", main_mouse_training), ("maze20_overlays", maze20_overlays),
        ("compare_cliff", compare_cliff), ("cartpole_dqn", cartpole_dqn), ("taxi", taxi),
        ("editor_invalid_level", editor_invalid_level), ("env_picker", env_picker),
        ("level_settings", level_settings), ("stalled_hint", stalled_hint),
        ("numbers_overlay", numbers_overlay), ("dp_value_iteration", dp_value_iteration),
        ("traces_dyna", traces_dyna), ("study_window", study_window),
        ("reward_tool", reward_tool),
    ]
}


def take(name: str) -> Path:
    scene, size = SCENES[name]
    app = App("mouse", size=size, offer_recovery=False)
    try:
        app.run_frames(3)
        pointer_away(app)
        scene(app)
        app.run_frames(2)
        path = HERE / f"{name}.png"
        pygame.image.save(app.screen, str(path))
        print(f"saved {path}", flush=True)
        return path
    finally:
        app.close()


if __name__ == "__main__":
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        sys.exit("retake.py needs a display: run it under xvfb-run (see its docstring)")
    for scene_name in sys.argv[1:] or list(SCENES):
        take(scene_name)

"""No display, no silent invisible app: one sentence pointing to the command line, exit 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_without_a_display_the_app_says_so_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "SDL_VIDEODRIVER")}
    env["RL_SANDBOX_STATE_DIR"] = str(tmp_path)
    proc = subprocess.run([sys.executable, str(ROOT / "main.py")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr
    assert "there is no display to open the app's window on" in proc.stderr
    assert "python main.py --help" in proc.stderr


def test_an_off_screen_driver_asked_for_is_honoured(monkeypatch):
    from app.display import missing_display

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # what the tests (and screenshots) ask for
    assert missing_display() is None


def test_the_window_is_titled_and_classed_rl_sandbox(tmp_path, monkeypatch):
    import pygame

    from app.app import App
    from app.display import WM_CLASS_HINT

    monkeypatch.delenv(WM_CLASS_HINT, raising=False)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path))
    app = App("mouse", offer_recovery=False)
    try:
        assert os.environ[WM_CLASS_HINT] == "RL Sandbox"
        assert pygame.display.get_caption()[0] == "RL Sandbox \u2014 mouse"
    finally:
        app.close()
    monkeypatch.setenv(WM_CLASS_HINT, "mine")  # a class the user chose is kept
    app = App("mouse", offer_recovery=False)
    try:
        assert os.environ[WM_CLASS_HINT] == "mine"
    finally:
        app.close()


def test_the_window_has_a_minimum_size_where_nothing_is_cut_off(tmp_path, monkeypatch):
    import warnings

    import pygame

    from app.app import App
    from app.controls import PANEL_WIDTH
    from app.display import MIN_WINDOW_SIZE
    from app.statusbar import StatusBar

    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path))
    app = App("mouse", offer_recovery=False)
    try:
        app.run_frames(2, [pygame.event.Event(pygame.VIDEORESIZE, size=(600, 400), w=600, h=400)])
        assert app.screen.get_size() == MIN_WINDOW_SIZE
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            assert pygame.Window.from_display_module().minimum_size == MIN_WINDOW_SIZE
        for spec in (None, "FrozenLake-v1", "CartPole-v1"):
            if spec is not None:
                app.worlds.open_spec(spec)
                app.run_frames(2)
            panel = app.controls.rect
            assert panel.height == app.controls.content_height  # the whole side panel shows
            assert panel.bottom <= app.screen.get_height() - StatusBar.HEIGHT
            assert panel.left >= PANEL_WIDTH  # a world area at least as wide as the panel
            assert app.layout.show_returns_chart
    finally:
        app.close()


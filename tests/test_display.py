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

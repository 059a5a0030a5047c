"""Starting the window: what the command line names, the theme, the fonts, a warm-up.

Kept out of :mod:`app.app` so the frame loop and the wiring read on their own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pygame
import pygame_gui

from app import colors as C
from app.editor import Tool
from levels.level import Level, LevelError
from levels.levelfile import bundled_level_names, load_level

THEME_PATH = Path(__file__).with_name("theme.json")


class StartError(Exception):
    """The app cannot start on what it was asked to open (one sentence, with an exit code)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def load_theme(tools: Sequence[Tool]) -> dict:
    """The JSON theme plus one border colour per tool button (the tile's own colour)."""
    theme = json.loads(THEME_PATH.read_text(encoding="utf-8"))
    for tool in tools:
        colour = C.TILE_COLORS.get(tool.tile, C.Q_POS)  # a tool without a tile: the reward
        if tool.tile in (".", "F") or tool.label.lower() == "eraser":
            colour = C.TEXT_FAINT
        hexc = C.hex_color(colour)
        theme[f"#tool_{tool.key}"] = {
            "colours": {"normal_border": hexc, "hovered_border": hexc, "selected_border": hexc},
            "misc": {"border_width": "2", "text_horiz_alignment_padding": "4"},
        }
    return theme


def warm_up_turbo() -> None:
    """Load the compiled training kernel off the frame loop (it takes ~0.25 s the first time),
    with a throwaway session, so the first press of Play at full speed does not stall a frame."""
    try:
        from agents.session import TrainingSession
        from agents.tabular import make_tabular
        from levels.gridmaze import GridMazeEnv

        env = GridMazeEnv("mouse")
        agent = make_tabular("q-learning", env.observation_space.n, env.action_space.n)
        TrainingSession(env, agent, seed=0, turbo=True).advance(1000)
    except Exception:  # only a speed-up: the real session loads the kernel itself if this fails
        pass


def resolve_start(spec: str | Level) -> tuple[Level, Path | None, str]:
    """The level to start with, its file (None for a bundled or given level) and its label."""
    if isinstance(spec, Level):
        return spec, None, spec.name
    try:
        level = load_level(spec)
    except LevelError as exc:
        raise StartError(str(exc)) from None
    text = str(spec)
    if text in bundled_level_names():
        return level, None, text
    return level, Path(text), Path(text).stem


def load_fonts() -> dict[str, pygame.font.Font]:
    data = Path(pygame_gui.__file__).with_name("data")
    regular, bold = data / "NotoSans-Regular.ttf", data / "NotoSans-Bold.ttf"
    mono = data / "FiraCode-Regular.ttf"
    return {"font": pygame.font.Font(str(regular), 14),
            "small_bold": pygame.font.Font(str(bold), 12),
            "mono": pygame.font.Font(str(mono), 14),
            "mono_small": pygame.font.Font(str(mono), 13)}

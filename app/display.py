"""Is there a screen to open a window on? Asked before the app starts.

Without X11 or Wayland (an ssh session, a server) SDL quietly falls back to its ``offscreen``
driver and the app would run invisibly until killed. When nobody asked for a driver
(``SDL_VIDEODRIVER`` unset) and SDL can only offer an off-screen one, the app refuses to start
and points to the command line instead. Setting ``SDL_VIDEODRIVER`` (``dummy`` in the tests,
``offscreen`` for screenshots) is asking for it, so it is honoured.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pygame

OFF_SCREEN_DRIVERS = ("offscreen", "dummy")
APP_NAME = "RL Sandbox"  #: the window's title and its X11 class (what docks and taskbars group by)
WM_CLASS_HINT = "SDL_VIDEO_X11_WMCLASS"
#: The smallest window where nothing is cut off: the side panel (440 px wide, up to 580 px tall
#: while editing a level) above the status bar with room for the learning curve below it, and a
#: world area wide enough for a DQN's longest status line in the box under it.
MIN_WINDOW_SIZE = (1120, 700)
NO_DISPLAY = ("there is no display to open the app's window on (no X11 or Wayland session); "
              "run it on a desktop, or use the command line: python main.py --help lists "
              "train, eval, levels and study")


def name_the_window_class() -> None:
    """Ask SDL to give the window the X11 class "RL Sandbox" (unless the user set one); SDL reads
    the hint when the display is initialised, so this must run before that."""
    os.environ.setdefault(WM_CLASS_HINT, APP_NAME)


def set_window_mode(size: tuple[int, int]) -> pygame.Surface:
    """The resizable window at ``size`` (at least :data:`MIN_WINDOW_SIZE`), which the user
    cannot shrink below that size."""
    import pygame

    size = (max(int(size[0]), MIN_WINDOW_SIZE[0]), max(int(size[1]), MIN_WINDOW_SIZE[1]))
    surface = pygame.display.set_mode(size, pygame.RESIZABLE)
    with warnings.catch_warnings():  # pygame-ce nudges towards Window-only rendering here
        warnings.simplefilter("ignore", DeprecationWarning)
        pygame.Window.from_display_module().minimum_size = MIN_WINDOW_SIZE
    return surface


def missing_display() -> str | None:
    """One sentence saying why no window can be shown, or None when one can (or one was asked
    for off-screen on purpose)."""
    name_the_window_class()
    if os.environ.get("SDL_VIDEODRIVER"):
        return None
    import pygame

    try:
        _with_stderr_silenced(pygame.display.init)  # SDL prints its fallback warnings there
    except pygame.error:
        return NO_DISPLAY
    if pygame.display.get_driver() in OFF_SCREEN_DRIVERS:
        pygame.display.quit()
        return NO_DISPLAY
    return None


def _with_stderr_silenced(action: Callable[[], object]) -> None:
    """Run ``action`` with file descriptor 2 pointing at the null device (SDL writes to it from
    C, past Python's ``sys.stderr``)."""
    try:
        sys.stderr.flush()
        saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    except OSError:
        action()
        return
    try:
        os.dup2(null, 2)
        action()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)

"""Shared helpers for the app tests (envs, DQN, compare mode, recordings).

Synthetic input goes through the same paths as a user's: pygame events into ``App.run_frames``,
clicks on pygame_gui widgets (hover, press, release), widget events drained for a few frames.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pygame
import pygame_gui

from app.app import App


def key(k: int, mod: int = 0, unicode: str = "") -> list[pygame.event.Event]:
    return [pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode=unicode, scancode=0),
            pygame.event.Event(pygame.KEYUP, key=k, mod=mod, unicode=unicode, scancode=0)]


def press(app: App, k: int, mod: int = 0, frames: int = 2) -> None:
    app.run_frames(frames, key(k, mod))


def click(app: App, element: Any, frames: int = 4) -> None:
    """A real click on a widget: hover, press, release (buttons fire on release)."""
    pos = element.rect.center
    pygame.mouse.set_pos(pos)
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                          buttons=(0, 0, 0))])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])
    app.run_frames(frames)


def cell_click(app: App, cell: tuple[int, int], button: int = 1) -> None:
    """Point at a board cell and click it with ``button`` (1 left, 3 right), as a mouse does."""
    pos = app.board.cell_rect(*cell).center
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                          buttons=(0, 0, 0))])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button)])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button)])


def drag(app: App, start: tuple[int, int], offsets: tuple[int, ...]) -> tuple[int, int]:
    """Press the left button at ``start``, move right by each offset in turn (left when
    negative), release; returns where. pygame_gui's sliders read the polled mouse position while
    dragging, so it is set along with each event."""
    pygame.mouse.set_pos(start)
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=start, rel=(0, 0),
                                          buttons=(0, 0, 0))])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=start, button=1)])
    pos = start
    for dx in offsets:
        pos = (start[0] + dx, start[1])
        pygame.mouse.set_pos(pos)
        app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                              buttons=(1, 0, 0))])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])
    return pos


def choose(app: App, menu: pygame_gui.elements.UIDropDownMenu, option: str) -> None:
    """Pick ``option`` in a drop-down with real clicks: expand it, click the option."""
    click(app, menu)
    options = menu.current_state.options_selection_list.item_list_container.elements
    click(app, next(b for b in options if b.text == option))


FRAME_S = 1.0 / 60.0  # App.run's frame rate


def run_frame(app: App) -> None:
    """One frame, lasting as long as one of ``App.run`` while training runs on the worker
    thread: frames that draw nothing return at once, and a test's frames would otherwise follow
    each other faster than the worker steps."""
    start = time.perf_counter()
    app.run_frames(1)
    if app.training.worker is not None:
        time.sleep(max(0.0, FRAME_S - (time.perf_counter() - start)))


def train(app: App, frames: int, speed: float | None = None) -> int:
    """Play at ``speed`` (None: max) for ``frames`` frames; returns the steps taken."""
    app.state.speed = speed
    app.controls.sync()
    before = app.session.total_steps
    if not app.playing:
        press(app, pygame.K_SPACE, frames=1)
    for _ in range(frames):
        run_frame(app)
    return app.session.total_steps - before


def train_until(app: App, steps: int, speed: float | None = None,
                max_frames: int = 5000) -> int:
    """Play at ``speed`` (None: max) until at least ``steps`` env steps ran; frames, not
    seconds, bound it. Returns the steps taken.

    The number of steps one frame gets depends on the machine's speed (each frame's training
    has a time budget), so tests that need a minimum amount of training count steps rather than
    frames: they cannot flake under load.
    """
    app.state.speed = speed
    app.controls.sync()
    before = app.session.total_steps
    if not app.playing:
        press(app, pygame.K_SPACE, frames=1)
    for _ in range(max_frames):
        if app.training.session.total_steps - before >= steps:  # read, the worker left running
            break
        run_frame(app)
    return app.session.total_steps - before


def play_until(app: App, done: Callable[[], bool], max_frames: int = 5000) -> bool:
    """Run frames until ``done()`` (True) or ``max_frames`` ran (False): a bounded wait for
    something a number of steps brings, however many steps a frame gets."""
    for _ in range(max_frames):
        if done():
            return True
        run_frame(app)
    return done()


def dqn_built(app: App, hang_guard_s: float = 300.0) -> None:
    """Run frames until a DQN that waits for PyTorch to import is built (at once when torch is
    in already). The wall-clock limit is only a hang guard, far above a busy machine's import."""
    deadline = time.monotonic() + hang_guard_s
    while app.torch.waiting and time.monotonic() < deadline:
        app.run_frames(1)
        time.sleep(0.005)
    assert not app.torch.waiting, "PyTorch never finished importing"


def stop(app: App) -> None:
    if app.playing:
        press(app, pygame.K_SPACE, frames=1)
    app.run_frames(2)


def small_dqn(app: App) -> None:
    """Make the running DQN start learning at once (few hundred steps are enough for tests)."""
    app.session.set_hyperparameters(learning_starts=32, batch_size=16, train_freq=1)

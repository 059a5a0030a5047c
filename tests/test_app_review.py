"""Review fixes: long status notices fit the bar, drop-downs fold when their own option is chosen
again or a shortcut runs, and greedy demonstrations are not counted as training."""

from __future__ import annotations

import pygame
import pytest
from apphelp import click, press, train_until

from app.app import App
from app.statusbar import ELLIPSIS, StatusBar

LONG_NOTICE = ("Level edited: Q-values of 3 changed cell(s) reset, the rest kept. Note: no goal, "
               "cheese or other reward can be reached from the start")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    app = App("mouse", size=(1280, 800), offer_recovery=False)
    app.run_frames(2)
    yield app
    app.close()


def hover(app: App, pos: tuple[int, int]) -> None:
    pygame.mouse.set_pos(pos)
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                          buttons=(0, 0, 0))])


# --- 1. long notices ------------------------------------------------------------------------------


def test_a_long_notice_ends_in_an_ellipsis_inside_the_window_and_shows_in_full_on_hover(app):
    app.status.notify(LONG_NOTICE, "warn", 8)
    app.run_frames(1)
    status = app.status
    width = pygame.display.get_surface().get_width()
    assert width == 1280
    assert status.message == LONG_NOTICE  # the full text is still what the bar is about
    assert status.shown_notice.endswith(ELLIPSIS)
    assert LONG_NOTICE.startswith(status.shown_notice[:-1].rstrip())
    assert status.notice_rect.right <= width and status.notice_rect.left >= status.stats_rect.right
    assert status.tooltip_rect is None
    hover(app, status.notice_rect.center)
    card = status.tooltip_rect
    assert card is not None and pygame.display.get_surface().get_rect().contains(card)
    assert card.bottom <= status.rect.top  # above the bar, not over it


@pytest.mark.parametrize("width", [320, 640, 1280, 2000])
@pytest.mark.parametrize("stats_extra", ["", "DQN on CPU vs Expected SARSA \u00b7 recording a GIF"])
def test_notice_and_counters_never_draw_past_the_bar_or_over_each_other(width, stats_extra):
    pygame.font.init()
    bar = StatusBar(pygame.font.Font(None, 18))
    bar.rect = pygame.Rect(0, 100, width, StatusBar.HEIGHT)
    bar.set_stats(episode=1_234_567, steps=98_765_432, steps_per_s=12_345_678, epsilon=0.05,
                  extra=stats_extra)
    surface = pygame.Surface((width, 200))
    for message in ("Saved", LONG_NOTICE, LONG_NOTICE * 3):
        bar.notify(message, "info")
        bar.draw(surface)
        assert bar.notice_rect.right <= width - 12 and bar.stats_rect.left >= 12
        assert bar.stats_rect.right <= bar.notice_rect.left
        fits = bar.font.size(message)[0] <= bar.notice_rect.width
        assert (bar.shown_notice == message) == fits
        assert bar.font.size(bar.shown_notice)[0] == bar.notice_rect.width
    bar.set_problem(None)
    bar.notify("")
    bar.draw(surface)  # nothing to say: the counters alone, no crash
    assert bar.shown_notice == ""


# --- 2. drop-downs ----------------------------------------------------------------------------


def expanded(menu) -> bool:
    return menu.current_state is menu.menu_states["expanded"]


def test_choosing_the_agent_already_selected_folds_the_menu(app):
    menu = app.controls.agent_menu
    kind = app.session.agent.kind
    click(app, menu)
    assert expanded(menu)
    options = menu.current_state.options_selection_list.item_list_container.elements
    current = next(b for b in options if b.text == menu.selected_option[0])
    click(app, current)
    assert not expanded(menu)
    assert app.session.agent.kind == kind and app.state.agent_kind == kind
    click(app, app.controls.play_button)  # the Play button is reachable again
    assert app.playing


def test_a_shortcut_folds_an_open_drop_down(app):
    menu = app.controls.agent_menu
    click(app, menu)
    assert expanded(menu)
    press(app, pygame.K_SPACE)
    assert app.playing and not expanded(menu)


# --- 3. greedy demonstrations ------------------------------------------------------------------


def test_greedy_demo_steps_are_not_training_steps(app):
    train_until(app, 5000)  # steps, not frames: the greedy run below must reach the goal
    press(app, pygame.K_SPACE)
    app.run_frames(2)
    before = app.status.stats_text
    steps, episodes = app.session.total_steps, app.session.episode
    press(app, pygame.K_g)
    assert app.demo
    for _ in range(300):
        if not app.demo:
            break
        app.run_frames(1)
    assert not app.demo and "Greedy run" in app.status.message
    app.run_frames(2)
    assert app.session.total_steps > steps and app.session.episode == episodes + 1
    assert app.session.greedy_steps == app.session.total_steps - steps
    assert app.session.greedy_episodes == 1
    assert app.status.stats_text == before  # same episode and step counts, same epsilon
    meta = app.agent_files.agent_meta()
    assert meta["steps"] == steps and meta["episodes"] == episodes

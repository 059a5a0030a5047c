"""Every text on screen shows whole, at the default window (1280x800) and the minimum (1120x700).

The walk covers every pygame_gui widget the manager draws — panel labels, buttons, value
entries, check boxes, drop-downs (closed and expanded), the env picker and the level settings
window — in every panel the app builds: the tabular agents and the DQN on a level, compare mode,
and the Gymnasium envs. A text fits when its rendered width (the widget's own font) is within
the room its widget leaves inside the border, shadow, rounded corners and padding; a widget's
ink (a label's text, any other widget's rect) must not run into its neighbour's; and the status
bar's counters are never cut.
"""

from __future__ import annotations

import itertools

import pygame
import pygame_gui
import pytest
from apphelp import choose, click, dqn_built, press
from pygame_gui.core import UIContainer
from pygame_gui.elements import UICheckBox, UIDropDownMenu, UILabel, UITextBox

from app.app import App
from app.commands import ChooseAgent
from app.display import MIN_WINDOW_SIZE

SIZES = [(1280, 800), MIN_WINDOW_SIZE]


@pytest.fixture(params=SIZES, ids=lambda size: f"{size[0]}x{size[1]}")
def app(request, tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path))
    app = App("mouse", size=request.param, offer_recovery=False)
    app.run_frames(2)
    assert app.screen.get_size() == request.param
    yield app
    app.close()


# ---- measuring -----------------------------------------------------------------------------------
def text_room(element: pygame_gui.core.UIElement) -> int:
    """Pixels a widget's one-line text has: its width less shadow, border, rounded corners and
    the padding on the side it is aligned to (pygame_gui's own arithmetic)."""
    shape = element.drawable_shape
    theming = shape.theming
    room = (shape.containing_rect.width - 2 * shape.shadow_width
            - shape.border_widths["left"] - shape.border_widths["right"]
            - sum(shape.rounded_corner_width_offsets))
    if theming.get("text_horiz_alignment") in ("left", "right"):
        room -= max(theming.get("text_horiz_alignment_padding", 0), 0)
    return room


def drawn_text(element: pygame_gui.core.UIElement) -> tuple[str, object] | None:
    """(text, font) a widget draws on one line, or None (no text, or not a one-line widget)."""
    theming = getattr(getattr(element, "drawable_shape", None), "theming", None) or {}
    text, font = theming.get("text"), theming.get("font")
    if not text or font is None or isinstance(element, UITextBox):
        return None
    return text, font


def cut_texts(manager: pygame_gui.UIManager) -> list[str]:
    """'text' (needs W px, has R) for every visible one-line text wider than its room."""
    problems = []
    for element in manager.get_sprite_group().sprites():
        found = drawn_text(element) if element.visible else None
        if found is None:
            continue
        text, font = found
        need, room = font.size(text)[0], text_room(element)
        if need > room:
            problems.append(f"{type(element).__name__} {text!r} needs {need} px, has {room}")
    return problems


def ink(element: pygame_gui.core.UIElement) -> pygame.Rect | None:
    """Where a widget draws: a label only where its text is, anything else its whole rect."""
    if isinstance(element, UILabel):
        found = drawn_text(element)
        if found is None:
            return None
        width = found[1].size(found[0])[0]
        rect = element.rect.copy()
        if element.drawable_shape.theming.get("text_horiz_alignment") == "right":
            rect.left = rect.right - width
        elif element.drawable_shape.theming.get("text_horiz_alignment") != "left":
            rect.left = rect.centerx - width // 2
        rect.width = width
        return rect
    return element.rect.copy()


def crowded(app: App) -> list[str]:
    """Pairs of the panel's widgets that draw over each other, and widgets outside the window."""
    container = app.controls.panel.get_container()
    parts = []
    for element in app.manager.get_sprite_group().sprites():
        if not element.visible or isinstance(element, UIContainer):
            continue  # a slider's track is a container inside it
        owner = getattr(element, "parent_element", None)
        mine = element.ui_container is container and owner is None
        if mine or (isinstance(owner, UICheckBox) and owner.ui_container is container):
            rect = ink(element)
            if rect is not None and rect.width > 0:
                parts.append((element, rect))
    problems = []
    screen = app.screen.get_rect()
    for element, rect in parts:
        if not screen.contains(rect):
            problems.append(f"{type(element).__name__} at {rect} is outside the window")
    for (a, ra), (b, rb) in itertools.combinations(parts, 2):
        if ra.colliderect(rb) and not (getattr(a, "parent_element", None) is b
                                       or getattr(b, "parent_element", None) is a):
            problems.append(f"{text_of(a)} {ra} runs into {text_of(b)} {rb}")
    return problems


def text_of(element: pygame_gui.core.UIElement) -> str:
    found = drawn_text(element)
    return f"{type(element).__name__} {found[0]!r}" if found else type(element).__name__


def menus(app: App) -> list[UIDropDownMenu]:
    return [m for m in (app.controls.level_menu, app.controls.agent_menu,
                        app.controls.compare_menu) if m is not None]


def assert_whole(app: App, where: str) -> None:
    """Every text whole and nothing crowded, with each drop-down closed and then open."""
    app.run_frames(2)
    problems = cut_texts(app.manager) + crowded(app)
    assert not problems, f"{where} at {app.screen.get_size()}: " + "; ".join(problems)
    for menu in menus(app):
        click(app, menu, frames=2)
        options = menu.current_state.options_selection_list.item_list_container.elements
        assert options, where
        problems = cut_texts(app.manager)
        press(app, pygame.K_ESCAPE, frames=2)
        app.controls.close_menus()
        app.run_frames(2)
        assert not problems, f"{where}, {menu.selected_option[0]} menu open: " + \
            "; ".join(problems)


def assert_counters_whole(app: App) -> None:
    """The status bar's counters are never cut, even beside a long notice."""
    app.status.notify("A notice long enough to need most of the bar: " + "words " * 60, "info")
    app.run_frames(1)
    status = app.status
    assert status.font.size(status.stats_text)[0] == status.stats_rect.width, status.stats_text
    assert status.stats_rect.right <= status.notice_rect.left


# ---- the screens ---------------------------------------------------------------------------------
def test_every_agent_panel_on_a_level_shows_its_labels_whole(app):
    for kind in ("q-learning", "sarsa", "expected-sarsa", "dqn"):
        app.command(ChooseAgent(kind))
        dqn_built(app)
        assert app.session.agent.kind == kind
        assert app.controls.agent_menu.selected_option[1] == kind  # the menu names it too
        assert_whole(app, kind)
    assert_counters_whole(app)


@pytest.mark.parametrize("second", ["Expected SARSA", "DQN"])
def test_compare_mode_names_both_agents_whole(app, second):
    choose(app, app.controls.compare_menu, f"vs {second}")
    dqn_built(app)
    assert app.training.lane is not None
    assert app.controls.compare_menu.selected_option[0] == f"vs {second}"
    assert_whole(app, f"compare vs {second}")
    assert second in app.status.stats_text
    assert_counters_whole(app)


@pytest.mark.parametrize("spec", [
    "FrozenLake-v1", "FrozenLake-v1:map_name='8x8',is_slippery=False", "CliffWalking-v1",
    "CliffWalking-v1:is_slippery=True", "Taxi-v4", "CartPole-v1", "MountainCar-v0",
    pytest.param("ALE/SpaceInvaders-v5", marks=pytest.mark.slow),
])
def test_every_gymnasium_env_panel_shows_its_labels_whole(app, spec):
    app.worlds.open_spec(spec)
    for kind in app.state.agent_options:
        app.command(ChooseAgent(kind))
        dqn_built(app)
        assert_whole(app, f"{spec} with {kind}")
    assert_counters_whole(app)


def test_level_settings_and_help_windows_show_their_labels_whole(app):
    press(app, pygame.K_l)
    window = app.dialogs.settings_window
    assert window is not None and window.alive()
    assert app.screen.get_rect().contains(window.rect)
    assert not cut_texts(app.manager)
    window.kill()
    press(app, pygame.K_F1)
    helps = [w for w in app.manager.get_sprite_group().sprites()
             if isinstance(w, pygame_gui.elements.UIWindow) and w.alive()]
    assert helps and all(app.screen.get_rect().contains(w.rect) for w in helps)
    assert not cut_texts(app.manager)


@pytest.mark.parametrize("typed", ["NoSuchEnv-v9", "CartPole-v1:foo=1",
                                   "FrozenLake-v1:map_name='9x9'"])
def test_the_env_pickers_error_shows_whole_and_the_window_stays_usable(app, typed):
    press(app, pygame.K_e)
    picker = app.worlds.picker
    picker.entry.set_text(typed)
    click(app, picker.open_button)
    assert picker.alive() and picker.error_text  # refused: the window stays, says why
    box = picker.error_box
    assert box.visible and box.scroll_bar is None  # every line of it shows
    assert box.text_box_layout.layout_rect.height <= box.text_box_layout.view_rect.height
    inside = picker.get_container().get_rect()
    for widget in (picker.env_list, picker.slippery, picker.entry, box, picker.open_button):
        assert inside.contains(widget.rect), widget
    for upper, lower in ((picker.env_list, picker.slippery), (picker.entry, box),
                         (box, picker.open_button)):
        assert upper.rect.bottom <= lower.rect.top
    assert not cut_texts(app.manager)
    picker.entry.set_text("CartPole-v1")  # fixed: the box goes, the window opens the env
    click(app, picker.open_button)
    assert not picker.alive() and app.world is not None and app.world.spec == "CartPole-v1"

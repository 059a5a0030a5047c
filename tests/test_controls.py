"""The side panel on its own: slider scales, ranges from the config metadata, widget -> command."""

from __future__ import annotations

import math

import pygame
import pygame_gui
import pytest

from agents.config import TabularConfig, field_help, field_range
from agents.tabular import TDUpdate
from app.commands import ChooseTool, GenerateLevel, Play, ResetLearning, SetOverlay
from app.controls import (
    DECAY_POSITIONS,
    PANEL_WIDTH,
    SPEED_POSITIONS,
    Controls,
    PanelState,
    decay_from_position,
    format_number,
    position_from_decay,
    position_from_speed,
    speed_from_position,
    speed_label,
)
from app.statusbar import format_td_update

TOOLS = [(str(i), f"Tool{i}", f"tip {i}") for i in range(1, 10)]


class Panel:
    """A Controls panel in a bare window, with a tiny frame loop and a command log."""

    def __init__(self) -> None:
        pygame.display.init()
        pygame.font.init()
        self.screen = pygame.display.set_mode((800, 800))
        self.manager = pygame_gui.UIManager((800, 800))
        self.commands: list[object] = []
        state = PanelState(level_options=["mouse", "cliff"], level_choice="mouse", speed=5.0,
                           tool="3")
        agent = {"alpha": 0.1, "gamma": 0.99, "epsilon": 1.0, "epsilon_decay": 0.001}
        self.controls = Controls(self.manager, pygame.Rect(300, 0, PANEL_WIDTH, 700), state,
                                 TOOLS, self.commands.append, lambda: agent)

    def frames(self, n: int, events: list[pygame.event.Event] = ()) -> None:  # type: ignore[assignment]
        for i in range(n):
            batch = (list(events) if i == 0 else []) + pygame.event.get()
            for event in batch:
                self.manager.process_events(event)
                self.controls.process_event(event)
            self.manager.update(1 / 60)
            self.manager.draw_ui(self.screen)

    def click(self, element: object) -> None:
        pos = element.rect.center  # type: ignore[attr-defined]
        pygame.mouse.set_pos(pos)
        self.frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0),
                                           buttons=(0, 0, 0))])
        self.frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)])
        self.frames(4, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])


@pytest.fixture
def panel():
    return Panel()


# --- scales ---------------------------------------------------------------------------------------


def test_speed_slider_is_logarithmic_from_one_step_per_second_to_max():
    assert speed_from_position(0) == pytest.approx(1.0)
    assert speed_from_position(SPEED_POSITIONS - 1) == pytest.approx(100_000.0)
    assert speed_from_position(SPEED_POSITIONS) is None
    speeds = [speed_from_position(p) for p in range(SPEED_POSITIONS)]
    ratios = [b / a for a, b in zip(speeds, speeds[1:], strict=False)]
    assert all(r == pytest.approx(ratios[0]) for r in ratios)  # equal ratios: a log scale
    assert ratios[0] > 1
    for p in range(SPEED_POSITIONS + 1):
        assert position_from_speed(speed_from_position(p)) == p
    assert speed_label(None) == "max"
    assert speed_label(5.0) == "5.0/s"
    assert speed_label(20_000.0) == "20k/s"


def test_decay_slider_is_logarithmic_with_zero_at_the_left_end():
    lo, hi = field_range(TabularConfig, "epsilon_decay")
    assert decay_from_position(0) == 0.0
    assert decay_from_position(1) == pytest.approx(1e-5)
    assert decay_from_position(DECAY_POSITIONS) == pytest.approx(0.1)
    for p in range(DECAY_POSITIONS + 1):
        value = decay_from_position(p)
        assert lo <= value <= hi
        assert position_from_decay(value) == p
    assert math.log10(decay_from_position(51)) == pytest.approx(-3.0, abs=0.03)


def test_format_number_is_short():
    assert format_number(0.1) == "0.1"
    assert format_number(0.99) == "0.99"
    assert format_number(0.0005) == "0.0005"
    assert format_number(0.0) == "0"


# --- widgets ----------------------------------------------------------------------------------


def test_slider_ranges_and_tooltips_come_from_the_config_metadata(panel):
    for name in ("alpha", "gamma", "epsilon"):
        slider = panel.controls.sliders[name]
        assert tuple(slider.value_range) == tuple(float(v) for v in field_range(TabularConfig,
                                                                                 name))
        assert field_help(TabularConfig, name) in slider.tool_tip_text
    assert panel.controls.sliders["alpha"].get_current_value() == pytest.approx(0.1)
    assert panel.controls.value_labels["epsilon_decay"].text == "0.001"
    assert panel.controls.value_labels["speed"].text == "5.0/s"


def test_buttons_and_check_boxes_send_commands(panel):
    panel.click(panel.controls.tool_buttons["7"])
    panel.click(panel.controls.play_button)
    panel.click(panel.controls.reset_button)
    panel.click(panel.controls.overlay_boxes["policy"])
    assert ChooseTool("7") in panel.commands
    assert Play(True) in panel.commands
    assert ResetLearning() in panel.commands
    assert SetOverlay("policy", False) in panel.commands
    assert panel.controls.state.overlays["policy"] is False


def test_new_and_generate_use_the_size_entries(panel):
    panel.controls.rows_entry.set_text("9")
    panel.controls.cols_entry.set_text("15")
    panel.click(panel.controls.file_buttons["generate"])
    assert GenerateLevel((9, 15)) in panel.commands


def test_training_buttons_can_be_disabled(panel):
    panel.controls.set_training_enabled(False)
    panel.click(panel.controls.play_button)
    assert not any(isinstance(c, Play) for c in panel.commands)
    panel.controls.set_training_enabled(True)
    panel.click(panel.controls.play_button)
    assert Play(True) in panel.commands


def test_level_choice_shows_files_that_are_not_bundled(panel):
    panel.controls.set_level_choice("my maze")
    assert panel.controls.level_menu.selected_option[0] == "my maze"
    assert panel.controls.state.level_choice == "my maze"


# --- the arithmetic text ------------------------------------------------------------------------


def _update(**kw: float) -> TDUpdate:
    base = dict(state=3, action=2, reward=1.0, next_state=4, terminated=False, old_q=0.0,
                bootstrap=0.5, target=1.495, td_error=1.495, new_q=0.15, alpha=0.1, gamma=0.99)
    base.update(kw)
    return TDUpdate(**base)  # type: ignore[arg-type]


def test_arithmetic_names_target_error_and_the_bootstrap_of_each_rule():
    names = ("left", "down", "right", "up")
    lines = format_td_update(_update(), names, "q-learning")
    assert lines[0] == "Q(s3, right) <- 0.000 + 0.10 x (1 + 0.99 x 0.500 - 0.000) = 0.150"
    assert lines[1].startswith("TD target = 1 + 0.99 x 0.500 = 1.495")
    assert "max over a of Q(s4, a)" in lines[1]
    assert lines[2] == "TD error  = 1.495 - 0.000 = 1.495"
    assert "SARSA takes next" in format_td_update(_update(), names, "sarsa")[1]
    assert "expected" in format_td_update(_update(), names, "expected-sarsa")[1]
    terminal = format_td_update(_update(terminated=True, bootstrap=0.0), names, "sarsa")
    assert "terminal" in terminal[1]


def test_enter_in_a_size_entry_gives_the_keyboard_back(panel):
    entry = panel.controls.rows_entry
    panel.click(entry)
    assert entry.is_focused
    entry.set_text("7")
    panel.frames(3, [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="\r",
                                        scancode=0)])
    assert not entry.is_focused
    assert panel.controls.state.rows == 7

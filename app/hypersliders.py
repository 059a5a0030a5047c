"""The panel's tabular hyperparameter sliders and the speed slider.

Every slider's range and tooltip come from the hyperparameter dataclass's field metadata
(``agents.config.TabularConfig``), so the app refuses exactly what the CLI refuses. The epsilon
decay and the speed move along log scales (:mod:`app.scales`). A DQN's knobs are built by
:mod:`app.dqncontrols` with the same row layout (:meth:`HyperSliders._slider_row`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pygame
import pygame_gui
from pygame_gui.elements import UIHorizontalSlider, UILabel

from agents.config import field_help, field_range
from app import scales
from app.panelbase import MARGIN, PANEL_WIDTH, PanelBase

SLIDER_ROW_H = 26
LABEL_W = 96  # the name column
VALUE_W = 70  # the value column (right-aligned)


@dataclass(frozen=True)
class SliderSpec:
    """One hyperparameter slider: which field, how it is labelled, and its scale."""

    name: str
    label: str
    log_decay: bool = False  # True: the epsilon-decay log scale with 0 at the left end


TABULAR_SLIDERS: tuple[SliderSpec, ...] = (
    SliderSpec("alpha", "alpha \u03b1"),
    SliderSpec("gamma", "gamma \u03b3"),
    SliderSpec("epsilon", "\u03b5 start"),
    SliderSpec("epsilon_decay", "\u03b5 decay", log_decay=True),
)


class HyperSliders(PanelBase):
    """Labelled sliders with a value column; ``sliders`` / ``value_labels`` are keyed by field."""

    sliders: dict[str, UIHorizontalSlider]
    value_labels: dict[str, UILabel]

    def _slider_rect(self, y: int) -> pygame.Rect:
        return pygame.Rect(MARGIN + LABEL_W, y + 3, self.inner_width - LABEL_W - VALUE_W, 20)

    def build_sliders(self, y: int, config_cls: type, specs: Sequence[SliderSpec]) -> int:
        """One labelled slider per hyperparameter, range and tooltip from the dataclass metadata."""
        y = self._heading(y, "HYPERPARAMETERS  (apply at once)")
        for spec in specs:
            lo, hi = field_range(config_cls, spec.name)
            tip = f"{spec.name.replace('_', ' ')}: {field_help(config_cls, spec.name)}"
            if spec.name == "epsilon":
                tip += "; set \u03b5 decay to 0 to hold \u03b5 at this value"
            value = self.state.hyper.get(spec.name, 0.0)
            if spec.log_decay:
                slider = UIHorizontalSlider(
                    self._slider_rect(y), scales.position_from_decay(value),
                    (0, scales.DECAY_POSITIONS), self.manager, container=self.panel,
                    click_increment=1,
                )
            else:
                slider = UIHorizontalSlider(
                    self._slider_rect(y), float(value), (float(lo), float(hi)), self.manager,
                    container=self.panel, click_increment=0.01,
                )
            self._slider_row(y, spec.name, spec.label, slider, tip)
            self._handlers[slider] = lambda e, sp=spec, lo=lo, hi=hi: self._on_slider(sp, lo, hi, e)
            y += SLIDER_ROW_H
        return y

    def _slider_row(self, y: int, name: str, label: str, slider: UIHorizontalSlider,
                    tip: str) -> None:
        """The name and value labels of a slider, tooltips on all three."""
        slider.set_tooltip(tip)
        if slider.sliding_button is not None:
            slider.sliding_button.set_tooltip(tip)
        name_label = UILabel(pygame.Rect(MARGIN, y, LABEL_W - 2, SLIDER_ROW_H), label,
                             self.manager, container=self.panel)
        name_label.set_tooltip(tip)
        value_label = UILabel(pygame.Rect(PANEL_WIDTH - MARGIN - 66, y, 66, SLIDER_ROW_H), "",
                              self.manager, container=self.panel,
                              object_id=pygame_gui.core.ObjectID(class_id="@value_label"))
        value_label.set_tooltip(tip)
        self.sliders[name] = slider
        self.value_labels[name] = value_label

    def _build_speed(self, y: int) -> int:
        slider = UIHorizontalSlider(
            self._slider_rect(y), scales.position_from_speed(self.state.speed),
            (0, scales.SPEED_POSITIONS), self.manager, container=self.panel, click_increment=1,
        )
        tip = ("Training speed in steps per second, on a log scale from 1/s to 'max' (as many as "
               "the frame budget allows). At 20/s or less the agent is animated and each update "
               "is shown as arithmetic")
        self._slider_row(y, "speed", "speed", slider, tip)
        self._handlers[slider] = self._on_speed
        return y + SLIDER_ROW_H

    def _sync_sliders(self, tabular: bool) -> None:
        """Show the speed (and, for a tabular agent, ``state.hyper``) in the sliders."""
        s = self.state
        for name, slider in self.sliders.items():
            if name == "speed":
                slider.set_current_value(scales.position_from_speed(s.speed), warn=False)
                self.value_labels[name].set_text(scales.speed_label(s.speed))
                continue
            if not tabular:
                continue
            value = s.hyper.get(name, 0.0)
            if name == "epsilon_decay":
                slider.set_current_value(scales.position_from_decay(value), warn=False)
            else:
                slider.set_current_value(value, warn=False)
            self.value_labels[name].set_text(scales.format_number(value))

    # -- event handlers ------------------------------------------------------------------------
    def _on_slider(self, spec: SliderSpec, lo: float, hi: float, event: pygame.event.Event) -> None:
        if spec.log_decay:
            value = min(scales.decay_from_position(event.value), hi)
        else:
            value = min(max(round(float(event.value), 4), lo), hi)
        self.state.hyper[spec.name] = value
        self.value_labels[spec.name].set_text(scales.format_number(value))
        self.on_command("hyper", (spec.name, value))

    def _on_speed(self, event: pygame.event.Event) -> None:
        self.state.speed = scales.speed_from_position(event.value)
        self.value_labels["speed"].set_text(scales.speed_label(self.state.speed))
        self.on_command("speed", self.state.speed)

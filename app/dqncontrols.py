"""The DQN's own controls in the side panel: sliders and switches built from ``DQNConfig``.

When the agent is a DQN the panel's hyperparameter section is built here instead of from the
tabular sliders. Every slider's range and tooltip come from the field metadata of
:class:`agents.config.DQNConfig` (the CLI reads the same), so the app refuses exactly what the
CLI refuses. Knobs that span decades (learning rate, batch size, target update interval) move on
a log scale; pairs of related knobs share a row so the panel keeps room for the charts.

Widget events become the panel's usual :class:`app.commands.SetHyperparameter` commands; the
one structural switch, the dueling head, becomes :class:`app.commands.RebuildDQN` because it
needs a fresh network. No torch here: the panel is built from the dataclass alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pygame
import pygame_gui
from pygame_gui.elements import UICheckBox, UIHorizontalSlider, UILabel

from agents.config import DQNConfig, field_help, field_range
from app.commands import CommandSink, RebuildDQN, SetHyperparameter
from app.panelbase import AgentValues, PanelKit, PanelState
from app.scales import LogScale, format_count, format_number, format_rate

SLIDER_H = 26
LABEL_W = 96  # full-width rows: label column, as the tabular sliders
HALF_LABEL_W = 68  # half-width rows ("gamma \u03b3" fits)
VALUE_W = 66
HALF_VALUE_W = 46


@dataclass(frozen=True)
class DQNKnob:
    """One DQN slider: the ``DQNConfig`` field, its label, and its scale (None: linear)."""

    name: str
    label: str
    scale: LogScale | None = None
    kind: str = "number"  # how the value is written: number, rate or count

    def text(self, value: float) -> str:
        if self.kind == "rate":
            return format_rate(value)
        if self.kind == "count":
            return format_count(value)
        return format_number(value)

    def value(self, position: float, lo: float, hi: float) -> float:
        """The hyperparameter value of a slider position (clamped to the config's range)."""
        if self.scale is None:
            return min(max(round(float(position), 4), lo), hi)
        v = self.scale.value(position)
        return int(v) if self.scale.integer else v

    def position(self, value: float) -> float:
        return float(value) if self.scale is None else self.scale.position(value)


#: Rows of the DQN section; two knobs in a row share it half and half (four rows, so the
#: loss and mean-Q charts below the panel keep a readable height in an 800-pixel window).
DQN_ROWS: tuple[tuple[DQNKnob, ...], ...] = (
    (DQNKnob("learning_rate", "learn rate", LogScale(1e-6, 1e6, 240), "rate"),),
    (DQNKnob("gamma", "gamma \u03b3"),
     DQNKnob("batch_size", "batch", LogScale(1, 1024, 10, integer=True), "count")),
    (DQNKnob("epsilon_start", "\u03b5 start"), DQNKnob("epsilon_end", "\u03b5 end")),
    (DQNKnob("exploration_fraction", "\u03b5 decay"),
     DQNKnob("target_update_interval", "target", LogScale(1, 100_000, 50, integer=True),
             "count")),
)
KNOBS: dict[str, DQNKnob] = {k.name: k for row in DQN_ROWS for k in row}
_EXTRA_HELP = {
    "exploration_fraction": "; the decay runs over that share of the planned total steps",
    "target_update_interval": " (the target network's refresh period)",
    "learning_rate": "; the slider runs 1e-6 to 1e6 on a log scale",
}

#: Switches: (key, label, DQNConfig field, value when on, value when off, tooltip).
SWITCHES: tuple[tuple[str, str, str, Any, Any, str], ...] = (
    ("double", "Double", "double", True, False,
     "Double DQN: the online network picks the next action, the target network values it"),
    ("dueling", "Dueling", "dueling", True, False,
     "Dueling head Q = V + A - mean(A); changing it builds a fresh network (learning restarts)"),
    ("huber", "Huber", "loss", "huber", "mse",
     "Huber loss (robust to large TD errors); off: mean squared error"),
    ("soft", "Soft \u03c4", "tau", 0.005, 1.0,
     "Soft target updates: blend 0.5% of the online network in at every target update; "
     "off: copy it (hard update)"),
    ("nstep", "n-step", "n_step", 3, 1,
     "Multi-step returns: sum n rewards before bootstrapping (ticking it sets n = 3; a preset "
     "may use more, e.g. 10 for image mazes); off: one-step TD targets"),
    ("bf16", "bf16", "precision", "bf16", "fp32",
     "bf16 mixed precision for training: bfloat16 convolutions and matrix products, float32 "
     "weights and Adam (about 1.4x faster on CPUs with AVX512-BF16 or AMX and on GPUs); "
     "off: float32"),
)


def _switch_on(key: str, values: Mapping[str, Any]) -> bool:
    _k, _label, name, on, _off, _tip = next(s for s in SWITCHES if s[0] == key)
    value = values.get(name, getattr(DQNConfig(), name))
    if name == "tau":
        return float(value) < 1.0
    if name == "n_step":
        return int(value) > 1
    return value == on


class DQNSection:
    """The DQN sliders and switches of the side panel (``sliders`` / ``value_labels`` by field)."""

    def __init__(self, kit: PanelKit, state: PanelState, emit: CommandSink,
                 values: AgentValues) -> None:
        self.kit = kit
        self.state = state
        self.emit = emit
        self.values = values
        self.sliders: dict[str, UIHorizontalSlider] = {}
        self.value_labels: dict[str, UILabel] = {}
        self.switches: dict[str, UICheckBox] = {}

    def build(self, y: int) -> int:
        """Add the section at ``y``; returns the y below it."""
        kit = self.kit
        values = self.values()
        y = kit.heading(y, "DQN HYPERPARAMETERS  (apply at once)")
        full, half_gap = kit.inner_width, 8
        half = (full - half_gap) // 2
        for row in DQN_ROWS:
            if len(row) == 1:
                self._slider(values, row[0], y, 12, full, LABEL_W, VALUE_W)
            else:
                self._slider(values, row[0], y, 12, half, HALF_LABEL_W, HALF_VALUE_W)
                self._slider(values, row[1], y, 12 + half + half_gap, half, HALF_LABEL_W,
                             HALF_VALUE_W)
            y += SLIDER_H
        y += 2
        per_row = (len(SWITCHES) + 1) // 2  # two rows: six labelled boxes do not fit in one
        cells = kit.row(y, per_row, 22) + kit.row(y + 22, per_row, 22)
        for cell, (key, label, _name, _on, _off, tip) in zip(cells, SWITCHES):
            if key == "nstep" and _switch_on(key, values):  # the n the agent really uses
                label = f"{int(values.get('n_step', DQNConfig().n_step))}-step"
            box = UICheckBox(pygame.Rect(cell.x, cell.y, 20, 20), label, kit.manager,
                             container=kit.container,
                             initial_state=_switch_on(key, values), tool_tip_text=tip)
            self.switches[key] = box
            kit.register(box, lambda e, k=key: self._on_switch(k, e))
        return y + 22 + 24 + 2

    def _slider(self, values: Mapping[str, Any], knob: DQNKnob, y: int, x: int, width: int,
                label_w: int, value_w: int) -> None:
        kit = self.kit
        lo, hi = field_range(DQNConfig, knob.name)
        lo, hi = float(lo), float(hi)
        value = values.get(knob.name, getattr(DQNConfig(), knob.name))
        rect = pygame.Rect(x + label_w, y + 3, width - label_w - value_w - 4, 20)
        if knob.scale is None:
            slider = UIHorizontalSlider(rect, float(value), (lo, hi), kit.manager,
                                        container=kit.container, click_increment=0.01)
        else:
            slider = UIHorizontalSlider(rect, knob.position(value), (0, knob.scale.positions),
                                        kit.manager, container=kit.container, click_increment=1)
        tip = (f"{knob.name.replace('_', ' ')}: {field_help(DQNConfig, knob.name)}"
               f"{_EXTRA_HELP.get(knob.name, '')}")
        slider.set_tooltip(tip)
        if slider.sliding_button is not None:
            slider.sliding_button.set_tooltip(tip)
        name_label = UILabel(pygame.Rect(x, y, label_w - 2, SLIDER_H), knob.label, kit.manager,
                             container=kit.container)
        name_label.set_tooltip(tip)
        value_label = UILabel(pygame.Rect(x + width - value_w, y, value_w, SLIDER_H), "",
                              kit.manager, container=kit.container,
                              object_id=pygame_gui.core.ObjectID(class_id="@value_label"))
        value_label.set_tooltip(tip)
        self.sliders[knob.name] = slider
        self.value_labels[knob.name] = value_label
        kit.register(slider, lambda e, k=knob, lo=lo, hi=hi: self._on_slider(k, lo, hi, e))

    # -- events --------------------------------------------------------------------------------
    def _on_slider(self, knob: DQNKnob, lo: float, hi: float, event: pygame.event.Event) -> None:
        value = knob.value(event.value, lo, hi)
        self.value_labels[knob.name].set_text(knob.text(value))
        self.emit(SetHyperparameter(knob.name, value))

    def _on_switch(self, key: str, event: pygame.event.Event) -> None:
        _k, _label, name, on_value, off_value, _tip = next(s for s in SWITCHES if s[0] == key)
        value = on_value if event.type == pygame_gui.UI_CHECK_BOX_CHECKED else off_value
        if self.values().get(name) == value:
            return
        self.emit(RebuildDQN(name, value) if name == "dueling" else SetHyperparameter(name, value))

    # -- showing state -------------------------------------------------------------------------
    def sync(self) -> None:
        """Show the agent's values in the sliders, value labels and switches."""
        values = self.values()
        for name, knob in KNOBS.items():
            slider = self.sliders.get(name)
            if slider is None or name not in values:
                continue
            slider.set_current_value(knob.position(values[name]), warn=False)
            self.value_labels[name].set_text(knob.text(values[name]))
        for key, box in self.switches.items():
            on = _switch_on(key, values)
            if box.get_state() != on:
                box.set_state(on)

"""The panel's tabular hyperparameter sliders and the speed slider.

Every slider's range and tooltip come from the hyperparameter dataclass's field metadata
(``agents.config.TabularConfig``), so the app refuses exactly what the CLI refuses. The epsilon
decay and the speed move along log scales (:mod:`app.scales`). A DQN's knobs are built by
:mod:`app.dqncontrols` with the same row layout (:func:`slider_row`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UIHorizontalSlider, UILabel, UITextEntryLine

from agents.config import AUTO, ConfigError, check_range, field_help, field_range
from app import scales
from app.agentsettings import INITIAL_Q_USED
from app.commands import CommandSink, OpenStudy, SetHyperparameter, SetSpeed, ShowNotice
from app.panelbase import MARGIN, PANEL_WIDTH, AgentValues, PanelKit, PanelState

SLIDER_ROW_H = 26
LABEL_W = 96  # the name column
VALUE_W = 70  # the value column (right-aligned)
STUDY_W = 80  # the Study... button beside the heading


@dataclass(frozen=True)
class SliderSpec:
    """One hyperparameter slider: which field, how it is labelled, and its scale.

    ``step`` snaps a linear slider to round values (a drag lands on 0.99, not 0.987);
    ``slider_range`` narrows a knob whose valid range is too wide to drag (a typed value may
    use the whole valid range).
    """

    name: str
    label: str
    log_decay: bool = False  # True: the epsilon-decay log scale with 0 at the left end
    planning: bool = False  # True: one position per value of scales.PLANNING_VALUES
    half: bool = False  # True: half a row; two half specs in a row share it, left then right
    step: float = 0.01
    slider_range: tuple[float, float] | None = None
    value_w: int | None = None  # a wider value column (a half row with nothing to its right)


# Two knobs a row, so the panel keeps room for the charts at the default window size.
TABULAR_SLIDERS: tuple[SliderSpec, ...] = (
    SliderSpec("alpha", "\u03b1", half=True),
    SliderSpec("gamma", "\u03b3", half=True, step=0.005),
    SliderSpec("epsilon", "\u03b5 start", half=True),
    SliderSpec("epsilon_decay", "\u03b5 decay", log_decay=True, half=True),
    SliderSpec("lam", "\u03bb", half=True),
    SliderSpec("planning_steps", "planning", planning=True, half=True),
    SliderSpec("initial_q", "initial Q", half=True, step=0.5, slider_range=(-10.0, 20.0),
               value_w=96),  # room for "auto (9.99)"
)
HALF_LABEL_W = 58  # the name column of a half row
HALF_VALUE_W = 58  # the value column of a half row ("0.0005" shows whole)
INITIAL_Q_TIP = ("; above the rewards, every untried action looks worth trying: the agent "
                 "explores everything once (optimism). Type auto for the default. Changing it "
                 "starts learning over")
TRACE_LABELS = {"replacing": "\u03bb repl.", "accumulating": "\u03bb accum."}
TRACE_TIP = ("Eligibility traces \u03bb: replacing sets a revisited pair's trace back to 1, "
             "accumulating adds 1 to it; both fade by \u03bb\u03b3 every step. Click to switch")


def shown_value(name: str, values: AgentValues | dict) -> str:
    """The text of a knob's value column: the number, or for "auto" what it stands for
    (``auto (10)``), so the panel shows the value really used."""
    values = values() if callable(values) else values
    value = values.get(name, 0.0)
    if value == AUTO:
        used = values.get(INITIAL_Q_USED) if name == "initial_q" else None
        return AUTO if used is None else f"{AUTO} ({scales.format_number(used)})"
    return scales.format_number(float(value))


def slider_number(name: str, values: dict) -> float:
    """Where a knob's slider sits: its value, or the number "auto" stands for (0 unknown)."""
    value = values.get(name, 0.0)
    if value == AUTO:
        return float(values.get(INITIAL_Q_USED, 0.0)) if name == "initial_q" else 0.0
    return float(value)


def snap(value: float, step: float) -> float:
    """``value`` rounded to a multiple of ``step`` (and to 6 decimals, so 0.99 prints as 0.99)."""
    return round(round(value / step) * step, 6)


def slider_row(kit: PanelKit, y: int, label: str, slider: UIHorizontalSlider,
               tip: str) -> UILabel:
    """The name and value labels of a full-width slider row, tooltips on all three; returns
    the value label."""
    slider.set_tooltip(tip)
    if slider.sliding_button is not None:
        slider.sliding_button.set_tooltip(tip)
    name_label = UILabel(pygame.Rect(MARGIN, y, LABEL_W - 2, SLIDER_ROW_H), label,
                         kit.manager, container=kit.container)
    name_label.set_tooltip(tip)
    value_label = UILabel(pygame.Rect(PANEL_WIDTH - MARGIN - 66, y, 66, SLIDER_ROW_H), "",
                          kit.manager, container=kit.container,
                          object_id=pygame_gui.core.ObjectID(class_id="@value_label"))
    value_label.set_tooltip(tip)
    return value_label


class HyperSliders:
    """The tabular hyperparameter sliders and the speed slider; ``sliders`` / ``value_labels``
    are keyed by field ("speed" for the speed). The sliders show ``values()``, the agent's."""

    def __init__(self, kit: PanelKit, state: PanelState, emit: CommandSink,
                 config_cls: type, values: AgentValues) -> None:
        self.kit = kit
        self.state = state
        self.emit = emit
        self.config_cls = config_cls
        self.values = values
        self.sliders: dict[str, UIHorizontalSlider] = {}
        self.value_labels: dict[str, UILabel | UITextEntryLine] = {}
        self.trace_button: UIButton | None = None

    def clear(self) -> None:
        """Forget the widgets (the panel is being rebuilt)."""
        self.sliders, self.value_labels = {}, {}
        self.trace_button = None

    def _slider_rect(self, y: int) -> pygame.Rect:
        return pygame.Rect(MARGIN + LABEL_W, y + 3, self.kit.inner_width - LABEL_W - VALUE_W, 20)

    def build_hyperparameters(self, y: int, specs: Sequence[SliderSpec]) -> int:
        """One labelled slider per hyperparameter, range and tooltip from the dataclass metadata;
        ``half`` specs two to a row. The lambda slider's name is the trace-kind switch."""
        kit, config_cls = self.kit, self.config_cls
        values = self.values()
        kit.button(pygame.Rect(PANEL_WIDTH - MARGIN - STUDY_W, y - 1, STUDY_W, 22), "Study...",
                   "Sweep one hyperparameter over many runs of this world and plot the result "
                   "(Sutton & Barto's Figure 6.3); the board keeps going",
                   lambda: self.emit(OpenStudy()))
        y = kit.heading(y, "HYPERPARAMETERS  (click a value to type)")
        column = 0
        for spec in specs:
            lo, hi = field_range(config_cls, spec.name)
            tip = f"{spec.name.replace('_', ' ')}: {field_help(config_cls, spec.name)}"
            if spec.name == "epsilon":
                tip += "; set \u03b5 decay to 0 to hold \u03b5 at this value"
            if spec.name == "initial_q":
                tip += INITIAL_Q_TIP
            value = slider_number(spec.name, values)
            if spec.log_decay:
                position, span, step = (scales.position_from_decay(value),
                                        (0, scales.DECAY_POSITIONS), 1)
            elif spec.planning:
                position, span, step = (scales.position_from_planning(value),
                                        (0, len(scales.PLANNING_VALUES) - 1), 1)
            else:
                span = spec.slider_range or (float(lo), float(hi))
                position, step = min(max(float(value), span[0]), span[1]), spec.step
            rect = self._half_rects(y, column, spec.value_w) if spec.half else None
            slider = UIHorizontalSlider(
                rect[1] if rect else self._slider_rect(y), position, span, kit.manager,
                container=kit.container, click_increment=step,
            )
            self.sliders[spec.name] = slider
            if rect is None:
                self.value_labels[spec.name] = slider_row(kit, y, spec.label, slider, tip)
            else:
                self.value_labels[spec.name] = self._half_labels(spec, rect, slider, tip)
            if not spec.planning:  # the value column takes a typed value
                self.value_labels[spec.name] = self._value_entry(
                    spec, shown_value(spec.name, values), lo, hi, tip)
            kit.register(slider, lambda e, sp=spec, lo=lo, hi=hi: self._on_slider(sp, lo, hi, e))
            column = 1 - column if spec.half else 0
            if column == 0:
                y += SLIDER_ROW_H
        return y + (SLIDER_ROW_H if column else 0)

    def _value_entry(self, spec: SliderSpec, text: str, lo: float, hi: float,
                     tip: str) -> UITextEntryLine:
        """A text entry where the value label was: click it, type a value, press Enter."""
        label = self.value_labels[spec.name]
        rect = label.relative_rect.inflate(0, -4)
        label.kill()
        entry = UITextEntryLine(rect, self.kit.manager, container=self.kit.container,
                                object_id=pygame_gui.core.ObjectID(class_id="@value_entry"))
        entry.set_text(text)
        entry.set_tooltip(f"{tip}. Type a value from {lo:g} to {hi:g} and press Enter")
        self.kit.register(entry, lambda e, sp=spec: self._on_typed(sp, e))
        return entry

    def _half_rects(self, y: int, column: int, value_w: int | None = None
                    ) -> tuple[pygame.Rect, pygame.Rect, pygame.Rect]:
        """Name, slider and value rects of the left (0) or right (1) half of a row; a
        ``value_w`` wider than the column's runs on into the (empty) half beside it."""
        width = (self.kit.inner_width - 10) // 2
        x = MARGIN + column * (width + 10)
        slider_w = width - HALF_LABEL_W - HALF_VALUE_W
        return (pygame.Rect(x, y, HALF_LABEL_W - 2, SLIDER_ROW_H),
                pygame.Rect(x + HALF_LABEL_W, y + 3, slider_w, 20),
                pygame.Rect(x + HALF_LABEL_W + slider_w, y, value_w or HALF_VALUE_W,
                            SLIDER_ROW_H))

    def _half_labels(self, spec: SliderSpec, rects: tuple[pygame.Rect, ...],
                     slider: UIHorizontalSlider, tip: str) -> UILabel:
        """The name (for lambda: the trace-kind switch) and value of a half row."""
        kit = self.kit
        slider.set_tooltip(tip)
        if slider.sliding_button is not None:
            slider.sliding_button.set_tooltip(tip)
        if spec.name == "lam":
            self.trace_button = kit.button(rects[0].inflate(0, -4), "", TRACE_TIP,
                                           self._on_trace)
        else:
            UILabel(rects[0], spec.label, kit.manager, container=kit.container).set_tooltip(tip)
        value = UILabel(rects[2], "", kit.manager, container=kit.container,
                        object_id=pygame_gui.core.ObjectID(class_id="@value_label"))
        value.set_tooltip(tip)
        return value

    def build_speed(self, y: int) -> int:
        kit = self.kit
        slider = UIHorizontalSlider(
            self._slider_rect(y), scales.position_from_speed(self.state.speed),
            (0, scales.SPEED_POSITIONS), kit.manager, container=kit.container, click_increment=1,
        )
        tip = ("Training speed in steps per second, on a log scale from 1/s to 'max' (as many as "
               "the frame budget allows). At 20/s or less the agent is animated and each update "
               "is shown as arithmetic")
        self.sliders["speed"] = slider
        self.value_labels["speed"] = slider_row(kit, y, "speed", slider, tip)
        kit.register(slider, self._on_speed)
        return y + SLIDER_ROW_H

    def sync(self) -> None:
        """Show the speed and the agent's hyperparameters in the sliders."""
        s = self.state
        values = self.values()
        for name, slider in self.sliders.items():
            if name == "speed":
                slider.set_current_value(scales.position_from_speed(s.speed), warn=False)
                self.value_labels[name].set_text(scales.speed_label(s.speed))
                continue
            value = slider_number(name, values)
            if name == "epsilon_decay":
                slider.set_current_value(scales.position_from_decay(value), warn=False)
            elif name == "planning_steps":
                slider.set_current_value(scales.position_from_planning(value), warn=False)
            else:
                lo, hi = slider.value_range
                slider.set_current_value(min(max(value, lo), hi), warn=False)
            widget = self.value_labels[name]
            if not (isinstance(widget, UITextEntryLine) and widget.is_focused):
                widget.set_text(shown_value(name, values))  # never under the user's typing
        if self.trace_button is not None:
            self.trace_button.set_text(TRACE_LABELS[values.get("trace", "replacing")])

    # -- event handlers ------------------------------------------------------------------------
    def _on_slider(self, spec: SliderSpec, lo: float, hi: float, event: pygame.event.Event) -> None:
        if spec.log_decay:
            value = min(scales.decay_from_position(event.value), hi)
        elif spec.planning:
            value = scales.planning_from_position(event.value)
        else:
            value = min(max(snap(float(event.value), spec.step), lo), hi)
            self.sliders[spec.name].set_current_value(value, warn=False)  # shows what is used
        if value == self.values().get(spec.name):
            return  # the drag is still within the same round value
        self.value_labels[spec.name].set_text(scales.format_number(value))
        self.emit(SetHyperparameter(spec.name, value))

    def _on_typed(self, spec: SliderSpec, event: pygame.event.Event) -> None:
        """A value typed in the value column: checked against the CLI's range, then applied."""
        if event.type != pygame_gui.UI_TEXT_ENTRY_FINISHED:
            return
        entry = self.value_labels[spec.name]
        self.kit.manager.set_focus_set(None)  # Enter hands the keyboard back to the shortcuts
        text = entry.get_text().strip().replace(",", ".")
        try:
            if text.lower().startswith(AUTO):  # "auto" or the shown "auto (10)"
                check_range(self.config_cls, spec.name, AUTO)
                self.emit(SetHyperparameter(spec.name, AUTO))
                entry.set_text(shown_value(spec.name, self.values))
                slider = self.sliders[spec.name]
                lo, hi = slider.value_range
                used = slider_number(spec.name, dict(self.values()))
                slider.set_current_value(min(max(used, lo), hi), warn=False)
                return
            value = float(check_range(self.config_cls, spec.name, float(text)))
        except (ValueError, ConfigError) as exc:
            entry.set_text(shown_value(spec.name, self.values))
            also = " or auto" if spec.name == "initial_q" else ""
            reason = str(exc) if isinstance(exc, ConfigError) else f"{text!r} is not a number{also}"
            self.emit(ShowNotice(reason, "error"))
            return
        entry.set_text(scales.format_number(value))
        slider = self.sliders[spec.name]
        if spec.log_decay:
            slider.set_current_value(scales.position_from_decay(value), warn=False)
        else:
            lo, hi = slider.value_range
            slider.set_current_value(min(max(value, lo), hi), warn=False)
        self.emit(SetHyperparameter(spec.name, value))

    def _on_trace(self) -> None:
        kind = "accumulating" if self.values().get("trace") == "replacing" else "replacing"
        self.emit(SetHyperparameter("trace", kind))
        if self.trace_button is not None:
            self.trace_button.set_text(TRACE_LABELS[kind])

    def _on_speed(self, event: pygame.event.Event) -> None:
        speed = scales.speed_from_position(event.value)
        self.value_labels["speed"].set_text(scales.speed_label(speed))
        self.emit(SetSpeed(speed))

"""The panel's SHOW section: which overlays the board draws, and the distance-to-Q* readout.

Only worlds drawn as a board have it (not CartPole & co.). A switch sends
:class:`app.commands.SetOverlay`; the panel records it in ``PanelState.overlays``, which the
board view reads.
"""

from __future__ import annotations

import pygame
import pygame_gui
from pygame_gui.elements import UICheckBox, UILabel

from app.commands import CommandSink, SetOverlay
from app.panelbase import HEADING, MARGIN, PanelKit, PanelState

OVERLAYS: tuple[tuple[str, str, str], ...] = (
    ("policy", "Policy", "One arrow per cell: what the agent would do now; the longer and "
     "whiter, the more the best action beats the next one"),
    ("heatmap", "Heat", "Heat map of the state value V(s) = max over actions of Q(s, a), "
     "scaled to the values on screen (the legend under the board gives the numbers)"),
    ("numbers", "Numbers", "Q-values written in each cell's four triangles (the best one bright) "
     "and V in the centre when cells are big enough"),
    ("arrows", "Arrows", "Four Q arrows per cell: length and colour show each action's Q-value"),
    ("optimal", "Optimal", "Gold arrows where the agent's greedy action is not optimal (value "
     "iteration's answer)"),
    ("visits", "Visits", "How often the agent has been in each cell"),
    ("trail", "Trail", "The path of the last finished episode"),
    ("traces", "Traces", "Eligibility traces: the cells the current TD error still credits, "
     "brighter the more; they fade by lambda times gamma each step (set lambda above 0)"),
    ("dyna", "Dyna", "Dyna's learnt model: faint blue on cells it knows, bright blue where the "
     "last step's planning updates landed (set planning n above 0)"),
)
PER_ROW = 5
BOX_ROW_H = 24
READOUT_X = 60  # after the heading's text
BOX = 20  # a check box's square


def label_x(box: UICheckBox) -> int:
    """How far right of its box's left edge a check box's label starts."""
    label = box.text_label
    return label.rect.left - box.rect.left if label is not None else BOX


class OverlayToggles:
    """Check boxes per overlay (``overlay_boxes``); the ``readout`` label beside the heading."""

    def __init__(self, kit: PanelKit, state: PanelState, emit: CommandSink) -> None:
        self.kit = kit
        self.state = state
        self.emit = emit
        self.overlay_boxes: dict[str, UICheckBox] = {}
        self.readout: UILabel | None = None

    def clear(self) -> None:
        """Forget the widgets (the panel is being rebuilt)."""
        self.overlay_boxes = {}
        self.readout = None

    def build(self, y: int) -> int:
        s, kit = self.state, self.kit
        top, y = y, kit.heading(y, "SHOW")
        # the distance-to-Q* readout shares the heading's line, right-aligned
        self.readout = UILabel(
            pygame.Rect(MARGIN + READOUT_X, top, kit.inner_width - READOUT_X, HEADING),
            "",
            kit.manager,
            container=kit.container,
            object_id=pygame_gui.core.ObjectID(class_id="@readout"),
        )
        self.readout.set_tooltip("Largest |Q(s,a) - Q*(s,a)| over the states the agent can reach: "
                                 "0 means it has learnt the exact optimal values")
        for i, (key, label, tip) in enumerate(OVERLAYS):
            box = UICheckBox(
                pygame.Rect(MARGIN, y + (i // PER_ROW) * BOX_ROW_H, BOX, BOX),
                label,
                kit.manager,
                container=kit.container,
                initial_state=bool(s.overlays.get(key)),
                tool_tip_text=tip,
            )
            self.overlay_boxes[key] = box
            kit.register(box, lambda e, k=key: self._on_overlay(k, e))
        self._place_columns()
        rows = -(-len(OVERLAYS) // PER_ROW)
        return y + rows * BOX_ROW_H + 6

    def _place_columns(self) -> None:
        """Columns as wide as their longest label, the room left shared out between them, so
        no label runs into the next box (equal columns cut "Numbers" against "Arrows")."""
        boxes = list(self.overlay_boxes.values())
        widths = [0] * PER_ROW
        for i, box in enumerate(boxes):
            label = box.text_label
            text_w = label.font.size(label.text)[0] if label is not None else 0
            widths[i % PER_ROW] = max(widths[i % PER_ROW], label_x(box) + text_w)
        spare = max(self.kit.inner_width - sum(widths), 0) / (PER_ROW - 1)
        lefts = [MARGIN + sum(widths[:c]) + round(c * spare) for c in range(PER_ROW)]
        for i, box in enumerate(boxes):
            box.set_relative_position((lefts[i % PER_ROW], box.relative_rect.y))

    def set_readout(self, text: str) -> None:
        """The distance-to-Q* line (empty when the Optimal overlay is off)."""
        readout = self.readout
        if readout is not None and readout.alive() and readout.text != text:
            readout.set_text(text)

    def sync(self) -> None:
        for key, box in self.overlay_boxes.items():
            on = bool(self.state.overlays.get(key))
            if box.get_state() != on:
                box.set_state(on)

    def _on_overlay(self, key: str, event: pygame.event.Event) -> None:
        on = event.type == pygame_gui.UI_CHECK_BOX_CHECKED
        if self.state.overlays.get(key) != on:
            self.emit(SetOverlay(key, on))

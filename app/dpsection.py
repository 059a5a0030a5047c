"""The panel's DYNAMIC PROGRAMMING row: one sweep of policy evaluation, one policy improvement,
one sweep of value iteration, or value iteration run to convergence, on the world's own model.

Shown wherever there is a board (a level or a tabular Gymnasium env). Each button sends
:class:`app.commands.DynamicProgrammingStep`; the keys P, I, V and C send the same.
"""

from __future__ import annotations

from app.commands import CommandSink, DynamicProgrammingStep
from app.panelbase import PanelKit

DP_BUTTONS: tuple[tuple[str, str, str], ...] = (
    ("evaluate", "Policy eval (P)",
     "One sweep of policy evaluation: V(s) <- sum over actions of pi(a|s) times the expected "
     "reward plus gamma V(next). Starts from V = 0 and the uniformly random policy"),
    ("improve", "Improve (I)",
     "Policy improvement: the policy becomes greedy in one step of lookahead on V (ties split)"),
    ("value", "Value iter. (V)",
     "One sweep of value iteration: V(s) <- max over actions of the expected reward plus "
     "gamma V(next); the policy shown is greedy in the new V"),
    ("converge", "Converge (C)",
     "Value iteration sweeps until no value changes by more than 1e-8"),
)


class DynamicProgrammingSection:
    """The heading and the four buttons (``buttons`` keyed by step kind)."""

    def __init__(self, kit: PanelKit, emit: CommandSink) -> None:
        self.kit = kit
        self.emit = emit
        self.buttons = {}

    def clear(self) -> None:
        """Forget the widgets (the panel is being rebuilt)."""
        self.buttons = {}

    def build(self, y: int) -> int:
        """One row of buttons, no heading (the panel keeps its room for the charts)."""
        kit = self.kit
        for rect, (kind, text, tip) in zip(kit.row(y, len(DP_BUTTONS), 26), DP_BUTTONS):
            self.buttons[kind] = kit.button(
                rect, text, f"Dynamic programming on the world's model. {tip}",
                lambda k=kind: self.emit(DynamicProgrammingStep(k)))
        return y + 26 + 4

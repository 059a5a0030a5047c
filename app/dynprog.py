"""Dynamic programming on the world on screen, one command at a time (the DP buttons, P I V C).

:class:`DynamicProgrammingControl` owns the run (an :class:`agents.dp.DynamicProgramming` on the
session's env, with the agent's gamma) and whether the board shows it. While it is shown the
board draws V as the heat map and as numbers, the policy as arrows and the lookahead Q-values as
Q arrows; the info box says which step ran, the sweep count and the largest change. Training
(Play, Step) hands the board back to the agent; a new world or a changed gamma starts the run
over. The app never computes a backup: ``agents.dp`` does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from agents.dp import DPStep, DynamicProgramming
from agents.planning import PlanningError
from app.statusbar import InfoStrip, StatusBar
from app.training import TrainingControl

CONVERGE_BUDGET_S = 0.5  # "Converge" sweeps at most this long per press: the window stays live
STEP_NAMES = {"evaluation": "one sweep of policy evaluation", "improvement": "policy improvement",
              "value iteration": "one sweep of value iteration"}


class DynamicProgrammingControl:
    """The DP run of the world on screen and whether the board shows it (``active``).

    Args:
        training: the session whose env's model is solved (and is paused while DP runs).
        status, info: where refusals and each step's numbers go.
        show_values: ``show_values(True)`` turns on the overlays that show V and the policy,
            ``show_values(False)`` puts the earlier ones back.
    """

    def __init__(self, training: TrainingControl, status: StatusBar, info: InfoStrip,
                 show_values: Callable[[bool], None]) -> None:
        self.training = training
        self.status = status
        self.info = info
        self.show_values = show_values
        self.dp: DynamicProgramming | None = None
        self.active = False
        self._source: tuple[object, float] | None = None
        self._steps = -1  # the session's step count when DP last ran

    def run(self, kind: str) -> DPStep | None:
        """Do one DP command ("evaluate", "improve", "value", "converge") and show the result."""
        dp = self._dp_for_world()
        if dp is None:
            return None
        self.training.pause()
        step = {"evaluate": dp.evaluate_sweep, "improve": dp.improve,
                "value": dp.value_iteration_sweep,
                "converge": lambda: dp.run_to_convergence(time_budget_s=CONVERGE_BUDGET_S)}[kind]()
        if not self.active:
            self.show_values(True)
        self.active = True
        self._steps = self.training.session.total_steps if self.training.session else -1
        self.info.set_title("DYNAMIC PROGRAMMING")
        self.info.set_arithmetic(describe(step, dp, kind == "converge"),
                                 "Space or Step returns the board to the agent")
        self.training.changed()
        return step

    def leave(self) -> None:
        """Show the agent's own values again (training resumed, the world changed)."""
        if self.active:
            self.active = False
            self.show_values(False)
            self.info.set_title("LAST UPDATE")
            self.info.set_arithmetic([])
            self.training.changed()

    def follow(self) -> None:
        """Called every frame: training (Play, a step), a new world or another gamma ends the DP
        view."""
        session = self.training.session
        if self.active and (self.training.playing or session is None
                            or session.total_steps != self._steps
                            or self._source != (session.env, float(session.agent.gamma))):
            self.leave()

    def _dp_for_world(self) -> DynamicProgramming | None:
        training = self.training
        session = training.session
        if session is None or not training.valid:
            self.status.notify("Dynamic programming needs a valid level or a tabular env.",
                               "error")
            return None
        source = (session.env, float(session.agent.gamma))
        if self.dp is None or source != self._source:
            try:
                self.dp = DynamicProgramming(session.env, gamma=source[1])
            except (PlanningError, AttributeError, TypeError) as exc:
                reason = exc if isinstance(exc, PlanningError) else "it publishes no model"
                self.status.notify(f"Dynamic programming needs the env's transition model: "
                                   f"{reason}", "error")
                return None
            self._source = source
        return self.dp

    def state_values(self) -> np.ndarray | None:
        """V ``[S]`` while the board shows DP, else None."""
        return self.dp.v if self.active and self.dp is not None else None


def describe(step: DPStep, dp: DynamicProgramming, converging: bool = False) -> list[str]:
    """The info box's lines for one DP step (``converging``: "Converge" ran out of time)."""
    if step.kind == "improvement":
        what = (f"policy improvement after {step.sweeps} sweep(s): "
                f"{step.policy_changes} state(s) changed their action")
        if step.converged:
            what += " - the policy is stable: it is optimal for these values"
    else:
        what = f"{STEP_NAMES[step.kind]}: sweep {step.sweeps}"
        if step.converged:
            what += " - converged"
        elif converging:
            what += " - not converged yet (C goes on)"
    delta = "\u2014" if not np.isfinite(step.delta) else f"{step.delta:.6g}"
    return [what, f"largest change \u0394 = {delta}    gamma {dp.gamma:g}    "
                  f"states {dp.n_states:,}    theta {dp.theta:g}"]
